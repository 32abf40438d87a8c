package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// exercise runs the load, the mailbox deliveries, the snoozes and the kills for the duration, then
// waits for everything to settle and counts.
func (r *run) exercise(ctx context.Context) (Report, error) {
	r.start = time.Now()
	loadCtx, stopLoad := context.WithTimeout(ctx, r.cfg.Duration)
	defer stopLoad()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.load.run(loadCtx, r.cfg.Rate) }()
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.cfg.IMAPEvery)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-loadCtx.Done():
				return
			case <-t.C:
			}
			if err := r.mailbox.add(fmt.Sprintf("chaos-imap-%s-%d@customer.example", r.load.tag, n), n); err != nil {
				r.logf("mailbox: %v", err)
			}
		}
	}()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	holders := r.watchMailbox(watchCtx)
	snoozed := make(chan error, 1)
	go func() { snoozed <- r.snooze(loadCtx) }()
	killErr := r.killLoop(ctx)
	wg.Wait()
	if err := <-snoozed; err != nil && ctx.Err() == nil && loadCtx.Err() == nil {
		return Report{}, err
	}
	if killErr != nil {
		return Report{}, killErr
	}
	r.logf("load over after %s: %d kills; waiting for the mail to settle", time.Since(r.start).Round(time.Millisecond), len(r.kills))
	settleErr := r.settle(ctx)
	r.wg.Wait() // the takeover watchers: settled by now, or given up
	stopWatch()
	rep, err := r.count(ctx, holders())
	if err != nil {
		return rep, err
	}
	for _, in := range r.instances {
		if err := in.stop(); err != nil {
			rep.StopErrors = append(rep.StopErrors, err.Error())
		}
	}
	r.logf("instances stopped")
	if settleErr != nil {
		r.logf("%v", settleErr)
	}
	return rep, nil
}

// killLoop kills an instance at every KillEvery of the load (the n-th at n × KillEvery, or as soon
// as the previous restart is done) and restarts it at once. The first kill is of the mailbox's
// holder, so the mailbox's takeover is seen; then the instances in turn.
func (r *run) killLoop(ctx context.Context) error {
	next := 0
	for n := 1; time.Duration(n)*r.cfg.KillEvery < r.cfg.Duration; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(r.start.Add(time.Duration(n) * r.cfg.KillEvery))):
		}
		owner, pid := r.mailboxHolder(ctx)
		victim := r.instances[next%len(r.instances)]
		if n == 1 {
			for _, in := range r.instances {
				if in.pid() == pid {
					victim = in
				}
			}
		}
		next = victim.n // the one after it, next time
		k := &Kill{Instance: victim.n, Between: r.cfg.BetweenEvery > 0 && n%r.cfg.BetweenEvery == 0,
			Mailbox: victim.pid() == pid && pid != 0, Takeover: -1, MailboxTakeover: -1}
		if err := r.kill(ctx, victim, k, owner); err != nil {
			return err
		}
		if err := victim.start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// kill kills victim, notes the outbox rows in flight at that moment and watches them taken over.
func (r *run) kill(ctx context.Context, victim *instance, k *Kill, owner string) error {
	if k.Between {
		// While the relay is held no mail transaction starts; once none is under way and no row
		// is at the end of DATA (the last ones settled), a kill falls between sends.
		r.relay.hold()
		defer r.relay.release()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int
			if err := r.d.GetContext(ctx, &n, r.d.Rebind(`SELECT COUNT(*) FROM outbox WHERE status = ?`), "data"); err != nil {
				return fmt.Errorf("chaos: %w", err)
			}
			if n == 0 && r.relay.idle() {
				// idle first, then the database: the count above may predate the last MarkData
				if err := r.d.GetContext(ctx, &n, r.d.Rebind(`SELECT COUNT(*) FROM outbox WHERE status = ?`), "data"); err == nil && n == 0 {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("chaos: mail stayed at the end of DATA for 30 s with the relay held")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	killed := time.Now()
	// A kill between sends keeps the relay held until the victim's sessions are gone (deferred
	// above): no row of anyone's reaches the end of DATA meanwhile, so the count stays exact.
	if err := victim.kill(); err != nil {
		return err
	}
	k.At = killed.Sub(r.start)
	inFlight := func() (map[int64]row, error) {
		var rows []row
		if err := r.d.SelectContext(context.WithoutCancel(ctx), &rows,
			r.d.Rebind(`SELECT id, status, attempts FROM outbox WHERE status IN (?, ?)`), "sending", "data"); err != nil {
			return nil, fmt.Errorf("chaos: %w", err)
		}
		snap := map[int64]row{}
		for _, w := range rows {
			snap[w.ID] = w
		}
		return snap, nil
	}
	snap, err := inFlight()
	if err != nil {
		return err
	}
	k.InFlight = len(snap)
	r.mu.Lock()
	r.kills = append(r.kills, k)
	r.snap = append(r.snap, snap)
	r.mu.Unlock()
	watched := make(map[int64]row, len(snap)) // its own copy: snap's statuses change below
	for id, w := range snap {
		watched[id] = w
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.watchTakeover(context.WithoutCancel(ctx), k, watched, killed, owner)
	}()
	// The database may still apply what the instance sent just before it died (a COMMIT on the
	// wire): once its sessions are gone, a row of the snapshot found at the end of DATA in the
	// same attempt was there at the kill.
	for deadline := time.Now().Add(30 * time.Second); ; {
		var n int
		if err := r.d.GetContext(ctx, &n, r.d.Rebind(`SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ?`), victim.app); err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chaos: the database kept instance %d's sessions 30 s after its kill", victim.n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	after, err := inFlight()
	if err != nil {
		return err
	}
	r.mu.Lock()
	for id, w := range snap {
		if a, ok := after[id]; ok && a.Attempts == w.Attempts && a.Status == "data" {
			w.Status = "data"
			snap[id] = w
		}
		if w.Status == "data" {
			k.AtData++
		}
	}
	r.mu.Unlock()
	r.logf("load %4.1fs: SIGKILL instance %d (pid %d%s%s): %d mails in flight, %d at the end of DATA", k.At.Seconds(), victim.n, victim.pid(),
		map[bool]string{true: ", between sends"}[k.Between], map[bool]string{true: ", the mailbox's holder"}[k.Mailbox], k.InFlight, k.AtData)
	return nil
}

// watchTakeover waits until every row in flight at the kill is settled or claimed again, and, when
// the killed instance held the mailbox, until another holds it; it gives up after a minute.
func (r *run) watchTakeover(ctx context.Context, k *Kill, snap map[int64]row, killed time.Time, owner string) {
	pending := len(snap) > 0
	mailbox := k.Mailbox
	counted := false
	for time.Since(killed) < time.Minute && (pending || mailbox) {
		if pending {
			var rows []row
			if err := r.d.SelectContext(ctx, &rows, r.d.Rebind(`SELECT id, status, attempts FROM outbox WHERE status IN (?, ?)`), "sending", "data"); err == nil {
				left := 0
				for _, w := range rows {
					if s, ok := snap[w.ID]; ok && s.Attempts == w.Attempts {
						left++
					}
				}
				if !counted && time.Since(killed) > 3*time.Second {
					// The live instances settle theirs in well under that: what is left was the
					// killed one's, stuck until its lease runs out.
					counted = true
					r.mu.Lock()
					k.Stuck = left
					r.mu.Unlock()
				}
				if left == 0 {
					pending = false
					r.mu.Lock()
					k.Takeover = time.Since(killed)
					r.mu.Unlock()
				}
			}
		}
		if mailbox {
			if now, _ := r.mailboxHolder(ctx); now != "" && now != owner {
				mailbox = false
				r.mu.Lock()
				k.MailboxTakeover = time.Since(killed)
				r.mu.Unlock()
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(snap) == 0 {
		r.mu.Lock()
		k.Takeover = 0
		r.mu.Unlock()
	}
}

// watchMailbox samples the mailbox's lease holder until ctx ends; the result counts the holders.
func (r *run) watchMailbox(ctx context.Context) func() int {
	seen := map[string]bool{}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if owner, _ := r.mailboxHolder(context.WithoutCancel(ctx)); owner != "" {
				mu.Lock()
				seen[owner] = true
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return func() int {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
}
