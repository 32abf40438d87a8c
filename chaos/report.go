package chaos

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// settle waits until the outbox has nothing left to send, every message given to the mailbox is
// stored and every snooze has ended: the explicit end of the run.
func (r *run) settle(ctx context.Context) error {
	deadline := time.Now().Add(r.cfg.Drain)
	for {
		var pending, asleep, imported int
		err := r.d.GetContext(ctx, &pending, r.d.Rebind(`SELECT COUNT(*) FROM outbox WHERE status IN (?, ?, ?)`), "queued", "sending", "data")
		if err == nil {
			err = r.d.GetContext(ctx, &asleep, `SELECT COUNT(*) FROM tickets WHERE snoozed_until IS NOT NULL`)
		}
		if err == nil {
			err = r.d.GetContext(ctx, &imported, r.d.Rebind(`SELECT COUNT(DISTINCT message_id) FROM messages WHERE message_id LIKE ?`), "chaos-imap-"+r.load.tag+"-%")
		}
		if err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		appended, _ := r.mailbox.counts()
		if pending == 0 && asleep == 0 && imported == len(appended) {
			r.logf("settled %s after the load: the outbox drained, the mailbox imported, every snooze ended", time.Since(r.start.Add(r.cfg.Duration)).Round(time.Millisecond))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chaos: not settled %s after the load: %d mails to send, %d tickets asleep, %d of %d mailbox messages imported",
				r.cfg.Drain, pending, asleep, imported, len(appended))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// count reads the database and the relay's counts into the report.
func (r *run) count(ctx context.Context, holders int) (Report, error) {
	rep := Report{Instances: len(r.instances), Duration: r.cfg.Duration, Outbox: map[string]int{}, MailboxHolders: holders}
	accepted, lost, offers := r.load.counts()
	rep.Accepted, rep.Lost, rep.Offers = len(accepted), lost, offers
	type stored struct {
		MessageID string `db:"message_id"`
		N         int    `db:"n"`
	}
	var rows []stored
	if err := r.d.SelectContext(ctx, &rows, r.d.Rebind(`SELECT message_id, COUNT(*) AS n FROM messages WHERE direction = ? GROUP BY message_id`), "in"); err != nil {
		return rep, fmt.Errorf("chaos: %w", err)
	}
	times := map[string]int{}
	for _, s := range rows {
		times[s.MessageID] = s.N
	}
	check := func(ids []string, missing, twice *[]string) {
		for _, id := range ids {
			switch n := times[id]; {
			case n == 0:
				*missing = append(*missing, id)
			case n > 1:
				*twice = append(*twice, id)
			}
		}
	}
	check(accepted, &rep.NotStored, &rep.StoredTwice)
	appended, maxSel := r.mailbox.counts()
	rep.IMAPAppended, rep.MailboxSessions = len(appended), maxSel
	check(appended, &rep.IMAPNotStored, &rep.IMAPTwice)

	type out struct {
		ID        int64  `db:"id"`
		MessageID string `db:"message_id"`
		Status    string `db:"status"`
	}
	var outs []out
	if err := r.d.SelectContext(ctx, &outs, `SELECT id, message_id, status FROM outbox`); err != nil {
		return rep, fmt.Errorf("chaos: %w", err)
	}
	received, got := r.relay.seen()
	rep.Relayed = received
	for id, n := range got {
		if n > 1 {
			rep.RelayedTwice = append(rep.RelayedTwice, id)
		}
	}
	r.mu.Lock()
	atData := map[int64]*Kill{}
	for i, snap := range r.snap {
		for id, w := range snap {
			if w.Status == "data" {
				atData[id] = r.kills[i]
			}
		}
	}
	for _, o := range outs {
		rep.Outbox[o.Status]++
		switch o.Status {
		case "sent":
			if got[o.MessageID] == 0 {
				rep.NotRelayed = append(rep.NotRelayed, o.MessageID)
			}
		case "uncertain":
			rep.Uncertain++
			if got[o.MessageID] > 0 {
				rep.UncertainGot++
			}
			if k, ok := atData[o.ID]; ok {
				k.Uncertain++
			} else {
				rep.UnexplainedUn++
			}
		}
	}
	for _, k := range r.kills {
		rep.KillLog = append(rep.KillLog, *k)
	}
	r.mu.Unlock()
	rep.Kills = len(rep.KillLog)

	var woke []struct {
		Number int64 `db:"number"`
		N      int   `db:"n"`
	}
	if err := r.d.SelectContext(ctx, &woke, r.d.Rebind(`SELECT t.number, COUNT(e.id) AS n FROM tickets t
		LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.kind = ? WHERE t.number <= ? GROUP BY t.number ORDER BY t.number`), "woke", r.cfg.Snoozes); err != nil {
		return rep, fmt.Errorf("chaos: %w", err)
	}
	rep.Snoozed = r.cfg.Snoozes
	for _, w := range woke {
		switch {
		case w.N == 1:
			rep.WokenOnce++
		case w.N > 1:
			rep.WokenTwice = append(rep.WokenTwice, w.Number)
		default:
			rep.StillAsleep = append(rep.StillAsleep, w.Number)
		}
	}
	return rep, nil
}

// TakeoverBound is the longest a killed instance's work may wait for another: its outbox rows and
// its mailbox.
const TakeoverBound = 30 * time.Second

// Problems lists the broken guarantees; none means the run held every one.
func (rep Report) Problems() []string {
	var p []string
	add := func(cond bool, format string, args ...any) {
		if cond {
			p = append(p, fmt.Sprintf(format, args...))
		}
	}
	add(len(rep.NotStored) > 0, "%d messages answered 250 are not stored: %v", len(rep.NotStored), first(rep.NotStored))
	add(len(rep.StoredTwice) > 0, "%d messages stored twice: %v", len(rep.StoredTwice), first(rep.StoredTwice))
	add(len(rep.Lost) > 0, "%d messages no instance accepted in two minutes: %v", len(rep.Lost), first(rep.Lost))
	add(len(rep.IMAPNotStored) > 0, "%d mailbox messages not imported: %v", len(rep.IMAPNotStored), first(rep.IMAPNotStored))
	add(len(rep.IMAPTwice) > 0, "%d mailbox messages imported twice: %v", len(rep.IMAPTwice), first(rep.IMAPTwice))
	add(rep.MailboxSessions > 1, "the mailbox was polled by %d sessions at once", rep.MailboxSessions)
	add(len(rep.RelayedTwice) > 0, "%d mails handed to the relay twice: %v", len(rep.RelayedTwice), first(rep.RelayedTwice))
	add(len(rep.NotRelayed) > 0, "%d mails marked sent the relay never got: %v", len(rep.NotRelayed), first(rep.NotRelayed))
	add(rep.Outbox["queued"]+rep.Outbox["sending"]+rep.Outbox["data"] > 0, "the outbox did not drain: %v", rep.Outbox)
	add(rep.Outbox["failed"] > 0, "%d mails failed", rep.Outbox["failed"])
	add(rep.UnexplainedUn > 0, "%d mails uncertain that were not at the end of DATA at a kill", rep.UnexplainedUn)
	add(len(rep.WokenTwice) > 0, "snoozes woken twice: %v", rep.WokenTwice)
	add(len(rep.StillAsleep) > 0, "snoozes not woken: %v", rep.StillAsleep)
	for i, k := range rep.KillLog {
		add(k.Between && (k.AtData > 0 || k.Uncertain > 0), "kill %d was between sends but left %d mails at the end of DATA, %d uncertain", i+1, k.AtData, k.Uncertain)
		add(k.Takeover < 0 || k.Takeover > TakeoverBound, "kill %d: its %d mails in flight were taken over after %s, not within %s", i+1, k.InFlight, dur(k.Takeover), TakeoverBound)
		add(k.Mailbox && (k.MailboxTakeover < 0 || k.MailboxTakeover > TakeoverBound), "kill %d: its mailbox was taken over after %s, not within %s", i+1, dur(k.MailboxTakeover), TakeoverBound)
	}
	p = append(p, rep.StopErrors...)
	return p
}

func first(ids []string) []string { return ids[:min(len(ids), 5)] }

func dur(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(100 * time.Millisecond).String()
}

// Print writes the counts.
func (rep Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d instances on one PostgreSQL, %s of load, %d SIGKILLs (each restarted at once)\n", rep.Instances, rep.Duration, rep.Kills)
	for i, k := range rep.KillLog {
		var what []string
		if k.Between {
			what = append(what, "between sends")
		}
		if k.Mailbox {
			what = append(what, fmt.Sprintf("the mailbox's holder: taken over after %s", dur(k.MailboxTakeover)))
		}
		fmt.Fprintf(w, "  kill %d at %5.1fs, instance %d: %d mails in flight (%d at the end of DATA, %d the killed one's), all taken over or settled after %s, %d uncertain %s\n",
			i+1, k.At.Seconds(), k.Instance, k.InFlight, k.AtData, k.Stuck, dur(k.Takeover), k.Uncertain, strings.Join(what, "; "))
	}
	fmt.Fprintf(w, "SMTP: %d messages answered 250 (%d offers refused or cut off by a kill, made again to another instance); %d not stored, %d stored twice, %d never accepted\n",
		rep.Accepted, rep.Offers, len(rep.NotStored), len(rep.StoredTwice), len(rep.Lost))
	fmt.Fprintf(w, "IMAP: %d messages into the mailbox; %d not imported, %d imported twice; held by %d instances in turn, at most %d polling at once\n",
		rep.IMAPAppended, len(rep.IMAPNotStored), len(rep.IMAPTwice), rep.MailboxHolders, rep.MailboxSessions)
	statuses := make([]string, 0, len(rep.Outbox))
	for s, n := range rep.Outbox {
		statuses = append(statuses, fmt.Sprintf("%s %d", s, n))
	}
	slices.Sort(statuses)
	fmt.Fprintf(w, "outbox: %s; the relay received %d mails, %d Message-IDs twice; %d uncertain (%d of them received by the relay, once; %d not explained by a kill)\n",
		strings.Join(statuses, ", "), rep.Relayed, len(rep.RelayedTwice), rep.Uncertain, rep.UncertainGot, rep.UnexplainedUn)
	fmt.Fprintf(w, "snoozes: %d, %d woken once, %d twice, %d not woken\n", rep.Snoozed, rep.WokenOnce, len(rep.WokenTwice), len(rep.StillAsleep))
	if p := rep.Problems(); len(p) > 0 {
		fmt.Fprintf(w, "BROKEN (%d):\n  %s\n", len(p), strings.Join(p, "\n  "))
	} else {
		fmt.Fprintln(w, "every guarantee held")
	}
}
