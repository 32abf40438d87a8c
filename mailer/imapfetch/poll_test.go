package imapfetch_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/testclock"
)

func TestIMAPNewMailIsPushedByIdleAndBecomesATicketWithinSeconds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		srv.appendMail(t, nil, "INBOX", mail("old", "Written before postdesk came"), time.Now())
		m := f.addMailbox(t, srv.account, "INBOX", "seen", nil)
		// Polling is slowed to an hour: only IDLE can bring the mail in time.
		f.run(t, f.deliverer(), imapfetch.WithIntervals(imapfetch.Intervals{Poll: time.Hour}))
		f.waitPolled(t, m.ID)

		start := time.Now()
		srv.appendMail(t, nil, "INBOX", mail("new", "Printer on fire"), time.Now())
		waitFor(t, 30*time.Second, "the new mail as a ticket", func() bool { return len(f.tickets(t)) == 1 })
		t.Logf("mail became a ticket %s after it arrived", time.Since(start).Round(time.Millisecond))
		ts := f.tickets(t)
		if ts[0].Subject != "Printer on fire" || ts[0].Customer != "new@customer.example" {
			t.Fatalf("ticket %+v", ts[0])
		}
		// The mail that was there before the first poll is left alone (no --since).
		waitFor(t, 30*time.Second, "the \\Seen flag", func() bool {
			return hasFlag(srv.folderState(t, "INBOX")["new@customer.example"], imap.FlagSeen)
		})
		if flags := srv.folderState(t, "INBOX")["old@customer.example"]; hasFlag(flags, imap.FlagSeen) {
			t.Fatalf("pre-existing mail touched: %v", flags)
		}
		// The checkpoint is written after the flag is set: wait for it, then read the status.
		waitFor(t, 30*time.Second, "the checkpoint", func() bool { return f.mailbox(t, m.ID).LastUID == 2 })
		got := f.mailbox(t, m.ID)
		if got.Imported != 1 || got.LastError != "" || got.Backlog == nil || *got.Backlog != 0 || got.LastUID != 2 {
			t.Fatalf("status: imported %d, error %q, backlog %v, last uid %d", got.Imported, got.LastError, got.Backlog, got.LastUID)
		}
	})
}

func TestIMAPMailAlreadyReadInAClientIsImported(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		since := time.Now().Add(-48 * time.Hour).UTC().Truncate(24 * time.Hour)
		srv.appendMail(t, nil, "INBOX", mail("ancient", "Before --since"), since.Add(-72*time.Hour))
		srv.appendMail(t, nil, "INBOX", mail("read", "Somebody opened me"), time.Now().Add(-time.Hour), imap.FlagSeen)
		srv.appendMail(t, nil, "INBOX", mail("unread", "Nobody opened me"), time.Now().Add(-time.Hour))
		m := f.addMailbox(t, srv.account, "INBOX", "seen", &since)
		f.run(t, f.deliverer())
		waitFor(t, 30*time.Second, "two tickets", func() bool { return len(f.tickets(t)) == 2 })
		// Someone reads and then un-reads a message: progress does not depend on \Seen.
		c := srv.dial(t)
		defer c.Close()
		srv.appendMail(t, c, "INBOX", mail("later", "Arrived and read at once"), time.Now(), imap.FlagSeen)
		waitFor(t, 30*time.Second, "three tickets", func() bool { return len(f.tickets(t)) == 3 })
		state := srv.folderState(t, "INBOX")
		for _, id := range []string{"read", "unread", "later"} {
			if !hasFlag(state[id+"@customer.example"], imap.FlagSeen) {
				t.Errorf("%s not flagged \\Seen: %v", id, state[id+"@customer.example"])
			}
		}
		if hasFlag(state["ancient@customer.example"], imap.FlagSeen) {
			t.Error("mail older than --since was touched")
		}
		if got := f.mailbox(t, m.ID); got.Imported != 3 {
			t.Fatalf("imported %d", got.Imported)
		}
	})
}

func TestIMAPChangedUIDValidityRescansWithoutDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		m := f.addMailbox(t, srv.account, "INBOX", "seen", nil)
		_, stop := f.run(t, f.deliverer())
		before := f.waitPolled(t, m.ID)
		for i := range 3 {
			srv.appendMail(t, nil, "INBOX", mail(fmt.Sprint("m", i), fmt.Sprint("Question ", i)), time.Now())
		}
		waitFor(t, 30*time.Second, "three tickets", func() bool { return len(f.tickets(t)) == 3 })
		stop()

		// The server rebuilds the folder (a migration, a restore): same mail, new UIDs, new
		// UIDVALIDITY, and one message that arrived meanwhile.
		if err := srv.user.Rename("INBOX", "Old", nil); err != nil {
			t.Fatal(err)
		}
		if err := srv.user.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			srv.appendMail(t, nil, "INBOX", mail(fmt.Sprint("m", i), fmt.Sprint("Question ", i)), time.Now())
		}
		srv.appendMail(t, nil, "INBOX", mail("meanwhile", "Sent while we were away"), time.Now())
		f.run(t, f.deliverer())
		waitFor(t, 30*time.Second, "the new UIDVALIDITY", func() bool {
			got := f.mailbox(t, m.ID)
			return got.UIDValidity != before.UIDValidity && got.LastUID == 4
		})
		if n := len(f.tickets(t)); n != 4 {
			t.Fatalf("%d tickets after the rescan, want 4", n)
		}
		if n := f.messageCount(t); n != 4 {
			t.Fatalf("%d messages stored, want 4", n)
		}
		for id, flags := range srv.folderState(t, "INBOX") {
			if !hasFlag(flags, imap.FlagSeen) {
				t.Errorf("%s not flagged after the rescan", id)
			}
		}
	})
}

func TestIMAPCheckpointAheadOfTheServerRescans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		m := f.addMailbox(t, srv.account, "INBOX", "seen", nil)
		_, stop := f.run(t, f.deliverer())
		f.waitPolled(t, m.ID)
		stop()
		// The server was restored from a backup that kept UIDVALIDITY: our checkpoint is ahead.
		if _, err := d.ExecContext(context.Background(), d.Rebind(`UPDATE mailboxes SET last_uid = 1000, scan_until = 1000 WHERE id = ?`), m.ID); err != nil {
			t.Fatal(err)
		}
		srv.appendMail(t, nil, "INBOX", mail("a", "After the restore"), time.Now())
		f.run(t, f.deliverer())
		waitFor(t, 30*time.Second, "the mail below the stale checkpoint", func() bool { return len(f.tickets(t)) == 1 })
	})
}

func TestIMAPMoveAfterActionCreatesTheFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps imap.CapSet
	}{
		{"MOVE", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}}},
		{"COPY and UID EXPUNGE", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}},
		{"COPY and EXPUNGE", imap.CapSet{imap.CapIMAP4rev1: {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				f := newFixture(t, d)
				srv := startMemIMAP(t, memOptions{caps: tc.caps})
				since := time.Now().Add(-time.Hour)
				srv.appendMail(t, nil, "INBOX", mail("a", "First"), time.Now())
				srv.appendMail(t, nil, "INBOX", mail("b", "Second"), time.Now())
				f.addMailbox(t, srv.account, "INBOX", "move:Done/Tickets", &since)
				f.run(t, f.deliverer())
				waitFor(t, 30*time.Second, "the inbox to empty", func() bool {
					return len(f.tickets(t)) == 2 && len(srv.folderState(t, "INBOX")) == 0
				})
				moved := srv.folderState(t, "Done/Tickets")
				if _, ok := moved["a@customer.example"]; len(moved) != 2 || !ok {
					t.Fatalf("Done/Tickets holds %v", moved)
				}
				srv.appendMail(t, nil, "INBOX", mail("c", "Third"), time.Now())
				waitFor(t, 30*time.Second, "the third mail moved", func() bool {
					return len(srv.folderState(t, "Done/Tickets")) == 3 && len(f.tickets(t)) == 3
				})
			})
		})
	}
}

func TestIMAPDeleteAfterAction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		since := time.Now().Add(-time.Hour)
		srv.appendMail(t, nil, "INBOX", mail("a", "First"), time.Now())
		// Older than --since, and flagged \Deleted in someone's client without an expunge: not
		// ours to remove. UID EXPUNGE (RFC 4315 §2.1) leaves it be.
		srv.appendMail(t, nil, "INBOX", mail("theirs", "Not ours to delete"), since.Add(-24*time.Hour), imap.FlagDeleted)
		srv.appendMail(t, nil, "INBOX", mail("b", "Second"), time.Now())
		f.addMailbox(t, srv.account, "INBOX", "delete", &since)
		f.run(t, f.deliverer())
		waitFor(t, 30*time.Second, "two tickets and only their mail left", func() bool {
			left := srv.folderState(t, "INBOX")
			_, theirs := left["theirs@customer.example"]
			return len(f.tickets(t)) == 2 && len(left) == 1 && theirs
		})
	})
}

// commitThenCrash commits the first delivery and then fails as a crash would, before the
// after-action: the message is a ticket, the mailbox does not know it yet.
type commitThenCrash struct {
	next    inbound.Receiver
	crashed atomic.Bool
}

func (c *commitThenCrash) Receive(ctx context.Context, m inbound.Message) []inbound.Result {
	if c.crashed.Load() {
		return []inbound.Result{{Err: errors.New("process is dead")}}
	}
	res := c.next.Receive(ctx, m)
	if res[0].Err != nil {
		return res
	}
	c.crashed.Store(true)
	return []inbound.Result{{Err: errors.New("crash after commit")}}
}

func TestIMAPCrashBetweenCommitAndFlagImportsNothingTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		since := time.Now().Add(-time.Hour)
		srv.appendMail(t, nil, "INBOX", mail("a", "Committed, then the crash"), time.Now())
		m := f.addMailbox(t, srv.account, "INBOX", "seen", &since)
		crash := &commitThenCrash{next: f.deliverer()}
		_, stop := f.run(t, crash, imapfetch.WithFetch(1, 1))
		waitFor(t, 30*time.Second, "the crash", func() bool { return crash.crashed.Load() && len(f.tickets(t)) == 1 })
		stop()
		if flags := srv.folderState(t, "INBOX")["a@customer.example"]; hasFlag(flags, imap.FlagSeen) {
			t.Fatal("flagged although the poller died before the after-action")
		}
		if got := f.mailbox(t, m.ID); got.LastUID != 0 {
			t.Fatalf("checkpoint moved past an unflagged message: %d", got.LastUID)
		}

		srv.appendMail(t, nil, "INBOX", mail("b", "After the restart"), time.Now())
		f.run(t, f.deliverer())
		waitFor(t, 30*time.Second, "the restart to catch up", func() bool { return f.mailbox(t, m.ID).LastUID == 2 })
		if n := f.messageCount(t); n != 2 {
			t.Fatalf("%d messages stored, want 2: the re-fetched one must be recognised", n)
		}
		for id, flags := range srv.folderState(t, "INBOX") {
			if !hasFlag(flags, imap.FlagSeen) {
				t.Errorf("%s not flagged after the restart", id)
			}
		}
	})
}

func TestIMAPReconnectsAfterTheConnectionDrops(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		m := f.addMailbox(t, srv.account, "INBOX", "seen", nil)
		f.run(t, f.deliverer())
		f.waitPolled(t, m.ID)
		srv.proxy.cut()
		srv.appendMail(t, nil, "INBOX", mail("a", "Sent while the line was down"), time.Now())
		waitFor(t, 30*time.Second, "the mail after reconnecting", func() bool { return len(f.tickets(t)) == 1 })
		waitFor(t, 30*time.Second, "the error to clear", func() bool { return f.mailbox(t, m.ID).LastError == "" })
	})
}

func TestIMAPWrongPasswordIsRecordedAndRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		a := srv.account
		a.pass = "wrong"
		m := f.addMailbox(t, a, "INBOX", "seen", nil)
		f.run(t, f.deliverer())
		var got mailbox.Mailbox
		waitFor(t, 30*time.Second, "the error in the status", func() bool {
			got = f.mailbox(t, m.ID)
			return got.LastError != ""
		})
		if got.UIDValidity != 0 || got.LastPollAt == nil {
			t.Fatalf("status %+v", got)
		}
		t.Logf("last error: %s", got.LastError)
	})
}

func TestIMAPPollsServersWithoutIdle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		m := f.addMailbox(t, srv.account, "INBOX", "seen", nil)
		f.run(t, f.deliverer(), imapfetch.WithoutIdle())
		f.waitPolled(t, m.ID)
		srv.appendMail(t, nil, "INBOX", mail("a", "Polled"), time.Now())
		waitFor(t, 30*time.Second, "the polled mail", func() bool { return len(f.tickets(t)) == 1 })
	})
}

func TestIMAPOverTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	for _, mode := range []string{mailbox.TLSImplicit, mailbox.TLSStartTLS} {
		t.Run(mode, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				f := newFixture(t, d)
				srv := startMemIMAP(t, memOptions{tls: mode, tlsCerts: serverTLS})
				since := time.Now().Add(-time.Hour)
				srv.appendMail(t, nil, "INBOX", mail("a", "Over TLS"), time.Now())
				f.addMailbox(t, srv.account, "INBOX", "seen", &since)
				f.run(t, f.deliverer(), imapfetch.WithTLSConfig(clientTLS))
				waitFor(t, 30*time.Second, "the mail over TLS", func() bool { return len(f.tickets(t)) == 1 })
			})
		})
	}
}

func TestIMAPBacklogKeepsRepliesWithTheirThreads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		c := srv.dial(t)
		defer c.Close()
		// 60 conversations of 4 messages each, each conversation's messages next to each other,
		// so whole conversations are in flight at once. Half of them name only the message they
		// answer, not the whole chain (clients that trim References).
		for conv := range 60 {
			for round := range 4 {
				id := fmt.Sprintf("c%d-%d", conv, round)
				var refs []string
				switch {
				case round > 0 && conv%2 == 0:
					refs = append(refs, fmt.Sprintf("In-Reply-To: <c%d-%d@customer.example>", conv, round-1),
						fmt.Sprintf("References: <c%d-0@customer.example> <c%d-%d@customer.example>", conv, conv, round-1))
				case round > 0:
					refs = append(refs, fmt.Sprintf("In-Reply-To: <c%d-%d@customer.example>", conv, round-1))
				}
				srv.appendMail(t, c, "INBOX", mail(id, fmt.Sprintf("Conversation %d", conv), refs...), time.Now())
			}
		}
		since := time.Now().Add(-time.Hour)
		m := f.addMailbox(t, srv.account, "INBOX", "seen", &since)
		f.run(t, f.deliverer(), imapfetch.WithFetch(25, 4))
		waitFor(t, 30*time.Second, "all 240 messages", func() bool { return f.messageCount(t) == 240 })
		ts := f.tickets(t)
		if len(ts) != 60 {
			t.Fatalf("%d tickets, want 60: replies were stored before what they answer", len(ts))
		}
		for _, tk := range ts {
			if tk.Messages != 4 {
				t.Fatalf("ticket %d has %d messages", tk.Number, tk.Messages)
			}
		}
		waitFor(t, 30*time.Second, "the checkpoint at the end", func() bool { return f.mailbox(t, m.ID).LastUID == 240 })
	})
}

func TestIMAPLeaseLetsOneInstancePollEachMailbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		folders := []string{"INBOX", "Sales", "Billing", "Press"}
		var ids []int64
		for _, folder := range folders[1:] {
			if err := srv.user.Create(folder, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, folder := range folders {
			ids = append(ids, f.addMailbox(t, srv.account, folder, "seen", nil).ID)
		}
		a, stopA := f.run(t, f.deliverer(), imapfetch.WithOwner("instance-a"))
		b, _ := f.run(t, f.deliverer(), imapfetch.WithOwner("instance-b"))
		waitFor(t, 30*time.Second, "every mailbox polled", func() bool {
			return len(a.Running())+len(b.Running()) == len(ids)
		})
		owners := map[int64]string{}
		for _, id := range ids {
			owners[id] = f.mailbox(t, id).LeaseOwner
		}
		for _, id := range a.Running() {
			if owners[id] != "instance-a" {
				t.Fatalf("a polls %d, leased to %q", id, owners[id])
			}
		}
		for _, id := range b.Running() {
			if owners[id] != "instance-b" {
				t.Fatalf("b polls %d, leased to %q", id, owners[id])
			}
		}
		for i, folder := range folders {
			f.waitPolled(t, ids[i])
			srv.appendMail(t, nil, folder, mail("to-"+folder, "For "+folder), time.Now())
		}
		waitFor(t, 30*time.Second, "one ticket per mailbox", func() bool { return len(f.tickets(t)) == len(folders) })

		// a stops (and hands its leases back): b takes its mailboxes over.
		stopA()
		waitFor(t, 30*time.Second, "b to poll everything", func() bool { return len(b.Running()) == len(ids) })
		srv.appendMail(t, nil, "INBOX", mail("after-a", "After a stopped"), time.Now())
		waitFor(t, 30*time.Second, "the mail via b", func() bool { return len(f.tickets(t)) == len(folders)+1 })
	})
}

func TestIMAPDeadInstanceLeaseIsTakenOverAfterExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		// The leases' clock moves only when told to: expiry is a step of the test, not a wait.
		clk := testclock.New(time.Now())
		secret, err := f.ts.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.boxes = mailbox.NewStore(d, secret, mailbox.WithClock(clk.Now))
		srv := startMemIMAP(t, memOptions{})
		m := f.addMailbox(t, srv.account, "INBOX", "seen", nil)
		// An instance claimed it and died without releasing it.
		if ok, err := f.boxes.Claim(ctx, m.ID, "dead-instance", time.Minute); !ok || err != nil {
			t.Fatalf("claim: %v, %v", ok, err)
		}
		b, _ := f.run(t, f.deliverer(), imapfetch.WithOwner("instance-b"))
		scanned := func() {
			t.Helper()
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := b.Sync(sctx); err != nil {
				t.Fatalf("scan: %v", err)
			}
		}
		scanned()
		if len(b.Running()) != 0 {
			t.Fatal("took a live lease over")
		}
		clk.Advance(time.Minute - time.Second)
		scanned()
		if len(b.Running()) != 0 {
			t.Fatal("took the lease over a second before it expired")
		}
		clk.Advance(2 * time.Second)
		scanned()
		if len(b.Running()) != 1 {
			t.Fatal("the first scan after the expiry did not take the mailbox over")
		}
		if owner := f.mailbox(t, m.ID).LeaseOwner; owner != "instance-b" {
			t.Fatalf("lease owner %q", owner)
		}
	})
}
