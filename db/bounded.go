package db

import (
	"context"
	"time"
)

// Bounded runs fn with a deadline and returns at the deadline even if fn does not: a database
// server that hangs without answering (a frozen host, a lost network) ignores a cancelled context
// — lib/pq waits for the server to acknowledge the cancel. fn goes on in the background and its
// result is dropped; late is returned instead. Whatever fn commits after the deadline must be
// harmless to repeat (deliveries are de-duplicated by Message-ID). A panic in fn is raised again
// in the caller's goroutine, where its recover (go-smtp's per session, for one) can see it — unless
// the caller has already gone on at the deadline.
func Bounded[T any](parent context.Context, timeout time.Duration, fn func(ctx context.Context) T, late T) T {
	type result struct {
		v        T
		panicked bool
		p        any
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), timeout)
	done := make(chan result, 1)
	go func() {
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				done <- result{panicked: true, p: p}
			}
		}()
		done <- result{v: fn(ctx)}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		select {
		case r = <-done: // finished as the deadline passed
		default:
			return late
		}
	}
	if r.panicked {
		panic(r.p)
	}
	return r.v
}
