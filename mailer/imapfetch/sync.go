package imapfetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/tickets"
)

// poller imports one mailbox for as long as its context lives: connect, catch up from the
// checkpoint, wait for new mail (IDLE, else poll), again; reconnect with backoff on failure.
//
// Progress never depends on \Seen, which people reading the mailbox set and clear: the checkpoint
// is UIDVALIDITY plus the last UID done (RFC 9051 §2.3.1.1: UIDs only grow while UIDVALIDITY
// stays). A message is fetched with BODY.PEEK[], delivered, and only once its delivery is
// committed gets its after-action; then the checkpoint passes it. A crash anywhere in between
// fetches it again, and the store recognises the duplicate.
type poller struct {
	p     *Pollers
	mb    mailbox.Mailbox
	after mailbox.After
	log   *slog.Logger
	prop  tickets.Property
	cp    mailbox.Checkpoint
	// synced is set when a session caught up once: the next failure starts the backoff afresh.
	synced bool
}

func (pl *poller) run(ctx context.Context) {
	cfg := pl.p.cfg
	backoff := cfg.MinBackoff
	for {
		pl.synced = false
		err := pl.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, mailbox.ErrLeaseLost) {
			pl.log.Warn("imap: another instance polls this mailbox now")
			return
		}
		if errors.Is(err, oauth.ErrSignInNeeded) {
			// Asking the provider again would not help: the mailbox stops until an admin signs
			// in again (postdesk mailbox signin), and the scans leave it alone meanwhile.
			pl.log.Error("imap: the mailbox needs sign-in again: stopped", slog.Any("err", err))
			pl.p.store.Polled(ctx, pl.mb.ID, pl.p.owner, -1, err)
			return
		}
		if pl.synced {
			backoff = cfg.MinBackoff
		}
		pl.log.Warn("imap: mailbox session failed", slog.Any("err", err), slog.Duration("retry_in", backoff))
		if perr := pl.p.store.Polled(ctx, pl.mb.ID, pl.p.owner, -1, err); errors.Is(perr, mailbox.ErrLeaseLost) {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, cfg.MaxBackoff)
	}
}

func (pl *poller) session(ctx context.Context) error {
	// The checkpoint is the database's: another instance may have moved it while it held the lease.
	mb, err := pl.p.store.Get(ctx, pl.mb.ID)
	if err != nil {
		return err
	}
	pl.mb, pl.after, pl.cp = mb, mb.After(), mb.Checkpoint()
	if pl.prop, err = pl.p.property(ctx, mb.PropertyID); err != nil {
		return err
	}
	acct := Account{Host: mb.Host, Port: mb.Port, TLS: mb.TLS, Username: mb.Username, TLSConfig: pl.p.cfg.TLSConfig, Debug: pl.p.cfg.Debug}
	if mb.OAuth() {
		if mb.SignInNeededAt != nil {
			return fmt.Errorf("%w: %s account %s", oauth.ErrSignInNeeded, mb.OAuthProvider, mb.OAuthUser)
		}
		if pl.p.cfg.Tokens == nil {
			return fmt.Errorf("imapfetch: the mailbox signs in with %s, and OAuth2 is not set up here", mb.OAuthProvider)
		}
		if acct.Token, err = pl.p.cfg.Tokens(mb.OAuthProvider, *mb.GrantID); err != nil {
			return fmt.Errorf("imapfetch: %w", err)
		}
	} else if acct.Password, err = pl.p.store.Password(mb); err != nil {
		return err
	}
	ic, err := dialIMAP(ctx, acct, mb.Folder)
	if err != nil {
		return err
	}
	defer ic.close()
	if pl.after.Kind == mailbox.AfterMove {
		if err := ic.ensureFolder(pl.after.Folder); err != nil {
			return fmt.Errorf("imapfetch: %w", err)
		}
	}
	if err := pl.begin(ctx, ic); err != nil {
		return err
	}
	for {
		if err := pl.sync(ctx, ic); err != nil {
			return err
		}
		pl.synced = true
		if err := pl.wait(ctx, ic); err != nil {
			return err
		}
	}
}

// begin applies the first-poll rule, and starts over when the server changed UIDVALIDITY.
func (pl *poller) begin(ctx context.Context, ic *imapConn) error {
	validity, top := ic.sel.UIDValidity, uint32(ic.sel.UIDNext-1)
	if pl.cp.UIDValidity == validity && top >= pl.cp.LastUID {
		return nil
	}
	// The UIDs up to top were there before we started: of those, only mail received since Since.
	cp := mailbox.Checkpoint{UIDValidity: validity, ScanUntil: top, Since: pl.cp.Since}
	log := pl.log.With(slog.Uint64("uidvalidity", uint64(validity)), slog.Uint64("messages_there", uint64(ic.sel.NumMessages)))
	switch {
	case pl.cp.UIDValidity == 0 && cp.Since.IsZero():
		cp.Since, cp.LastUID = pl.p.store.Now(), top
		log.Info("imap: first poll: importing the mail that arrives from now on")
	case pl.cp.UIDValidity == 0:
		log.Info("imap: first poll: importing the mail received since", slog.Time("since", cp.Since))
	case pl.cp.UIDValidity == validity:
		// UIDs went backwards under the same UIDVALIDITY, which RFC 9051 §2.3.1.1 forbids (a
		// restored backup?): new mail would get UIDs we think are done. Scan again.
		log.Warn("imap: the server's next UID is below the checkpoint: scanning the folder again",
			slog.Uint64("uidnext", uint64(top)+1), slog.Uint64("last_uid", uint64(pl.cp.LastUID)), slog.Time("since", cp.Since))
	default:
		// Every UID we knew means nothing now (RFC 9051 §2.3.1.1). Scanning again from Since
		// re-delivers what was imported already; the store recognises those as duplicates.
		log.Warn("imap: UIDVALIDITY changed: scanning the folder again", slog.Uint64("old_uidvalidity", uint64(pl.cp.UIDValidity)), slog.Time("since", cp.Since))
	}
	if err := pl.p.store.Restart(ctx, pl.mb.ID, pl.p.owner, cp); err != nil {
		return err
	}
	pl.cp = cp
	return nil
}

// wait returns when there may be new mail.
func (pl *poller) wait(ctx context.Context, ic *imapConn) error {
	if ic.caps.Has(imap.CapIdle) && !pl.p.cfg.NoIdle {
		return ic.idle(ctx, pl.p.cfg.IdleRefresh)
	}
	t := time.NewTimer(pl.p.cfg.Poll)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ic.wake:
	case <-ctx.Done():
		return ctx.Err()
	case <-ic.c.Closed():
		return fmt.Errorf("imapfetch: the server closed the connection")
	}
	return nil
}

// pending lists the UIDs still to import, ascending.
func (pl *poller) pending(ic *imapConn) ([]imap.UID, error) {
	cp := pl.cp
	var uids []imap.UID
	if cp.LastUID < cp.ScanUntil {
		old, err := ic.searchUIDs(imap.UID(cp.LastUID+1), imap.UID(cp.ScanUntil), cp.Since)
		if err != nil {
			return nil, fmt.Errorf("imapfetch: %w", err)
		}
		uids = old
	}
	recent, err := ic.searchUIDs(imap.UID(max(cp.LastUID, cp.ScanUntil)+1), 0, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("imapfetch: %w", err)
	}
	return append(uids, recent...), nil
}

// sync imports everything past the checkpoint. Fetching and delivering overlap: while the
// database commits one batch, the next is on its way from the server.
func (pl *poller) sync(ctx context.Context, ic *imapConn) error {
	ic.drainWake()
	uids, err := pl.pending(ic)
	if err != nil {
		return err
	}
	if len(uids) == 0 {
		return pl.p.store.Polled(ctx, pl.mb.ID, pl.p.owner, 0, nil)
	}
	start := time.Now()
	pl.log.Info("imap: importing", slog.Int("messages", len(uids)), slog.Uint64("from_uid", uint64(uids[0])))
	imp := newImportState(uids)
	err = pl.importAll(ctx, ic, imp)
	imported, dups, skipped := imp.counts()
	attrs := []any{slog.Int("imported", imported), slog.Int("duplicates", dups), slog.Int("skipped", skipped), slog.Int("refused", imp.refusedCount()), slog.Duration("took", time.Since(start).Round(time.Millisecond))}
	if err != nil {
		pl.log.Warn("imap: import interrupted", append(attrs, slog.Any("err", err))...)
		return err
	}
	pl.log.Info("imap: caught up", attrs...)
	return pl.p.store.Polled(ctx, pl.mb.ID, pl.p.owner, 0, nil)
}

func (pl *poller) importAll(ctx context.Context, ic *imapConn, imp *importState) error {
	cfg := pl.p.cfg
	// Deliveries run on several workers, and on SQLite their commits are grouped. A reply still
	// never goes before the message it answers (it would open a ticket of its own): it queues
	// behind it on the same worker, and waits for it (threads).
	queues := make([]chan job, cfg.Workers)
	thr := newThreads()
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan job, max(1, cfg.Batch/cfg.Workers))
		wg.Add(1)
		go func(q <-chan job) {
			defer wg.Done()
			for j := range q {
				j.wait(ctx)
				// After a failure nothing more is delivered: the checkpoint cannot pass the
				// failed message, so all after it would be fetched again anyway.
				if imp.err() == nil && ctx.Err() == nil {
					r := pl.deliverSafely(ctx, j.raw)
					if inbound.IsPermanent(r.Err) {
						// It can never be stored, and its raw is kept nowhere else: it stays in
						// the folder as it is, for a person to see, and the checkpoint passes
						// it so the mailbox is not stuck behind it.
						pl.log.Error("imap: message can never be stored; left in the folder untouched", slog.Uint64("uid", uint64(j.uid)), slog.Any("message_id", msgIDs(j.raw, "Message-ID")), slog.Any("err", r.Err))
						imp.refuse(j.uid)
					} else {
						imp.delivered(j.uid, r.Duplicate, r.Err)
					}
				}
				thr.finish(j)
			}
		}(queues[i])
	}
	var err error
	for chunk := range slices.Chunk(imp.uids, cfg.Batch) {
		if err = pl.fetchChunk(ctx, ic, imp, chunk, thr, queues); err != nil {
			break
		}
		if err = imp.err(); err != nil {
			break
		}
		if err = pl.settle(ctx, ic, imp, len(imp.uids) > cfg.Batch); err != nil {
			break
		}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	// Whatever committed gets its after-action and checkpoint, even when something failed.
	if serr := pl.settle(ctx, ic, imp, false); err == nil {
		err = serr
	}
	if err == nil {
		err = imp.err()
	}
	return err
}

func (pl *poller) fetchChunk(ctx context.Context, ic *imapConn, imp *importState, chunk []imap.UID, thr *threads, queues []chan job) error {
	got := make(map[imap.UID]bool, len(chunk))
	route := func(f fetched) error {
		if got[f.uid] || !imp.has(f.uid) {
			return nil
		}
		got[f.uid] = true
		if f.uid <= imap.UID(pl.cp.ScanUntil) && !f.date.IsZero() && f.date.Before(pl.cp.Since.Add(-clockSkew)) {
			imp.skip(f.uid) // there before the first poll, and older than asked for
			return nil
		}
		j := thr.add(f, len(queues))
		select {
		case queues[j.worker] <- j:
			return nil
		case <-ctx.Done():
			thr.finish(j)
			return ctx.Err()
		}
	}
	if err := ic.fetch(chunk, route); err != nil {
		return ctxErr(ctx, fmt.Errorf("imapfetch: %w", err))
	}
	var missing []imap.UID
	for _, u := range chunk {
		if !got[u] {
			missing = append(missing, u)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// An unsolicited flag update for a message can take the place of its answer in imapclient:
	// ask once more before concluding that someone expunged it meanwhile.
	if err := ic.fetch(missing, route); err != nil {
		return ctxErr(ctx, fmt.Errorf("imapfetch: %w", err))
	}
	for _, u := range missing {
		if !got[u] {
			imp.skip(u)
		}
	}
	return nil
}

// settle applies the after-action to the messages committed since the last call, then moves the
// checkpoint past every message done.
func (pl *poller) settle(ctx context.Context, ic *imapConn, imp *importState, progress bool) error {
	if ready := imp.takeReady(); len(ready) > 0 {
		if err := ic.applyAfter(pl.after, ready); err != nil {
			return ctxErr(ctx, fmt.Errorf("imapfetch: after-action %s: %w", pl.after, err))
		}
		imp.acted(ready)
	}
	upto, imported, left := imp.advance()
	if imported == 0 && upto <= pl.cp.LastUID {
		return nil
	}
	upto = max(upto, pl.cp.LastUID)
	if err := pl.p.store.Advance(ctx, pl.mb.ID, pl.p.owner, pl.cp.UIDValidity, upto, imported, int64(left)); err != nil {
		return err
	}
	pl.cp.LastUID = upto
	if progress {
		pl.log.Info("imap: import progress", slog.Int("left", left), slog.Uint64("last_uid", uint64(upto)))
	}
	return nil
}

// clockSkew is how far INTERNALDATE (the server's clock, to the second) may be behind ours
// without a message being taken for older than Since: better import a message from just before
// the first poll than miss one that arrived just after it.
const clockSkew = 10 * time.Minute

// deliverSafely delivers raw; a panic in the delivery is an error for this message, so the
// checkpoint stays before it and the next poll fetches it again, and the daemon goes on.
func (pl *poller) deliverSafely(ctx context.Context, raw []byte) (r inbound.Result) {
	defer func() {
		if p := recover(); p != nil {
			pl.log.Error("imap: delivery panicked; the message is fetched again on the next poll", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			r = inbound.Result{Err: fmt.Errorf("imapfetch: delivery panicked: %v", p)}
		}
	}()
	m := inbound.Message{Source: inbound.IMAP, EnvelopeFrom: envelopeSender(raw), Raw: raw}
	return inbound.DeliverTo(ctx, pl.p.deliver, m, inbound.Property{Property: pl.prop})
}
