package db

import (
	"context"
	"time"
)

// Bounded runs fn with a deadline and returns at the deadline even if fn does not: a database
// server that hangs without answering (a frozen host, a lost network) ignores a cancelled context
// — lib/pq waits for the server to acknowledge the cancel. fn goes on in the background and its
// result is dropped; late is returned instead. Whatever fn commits after the deadline must be
// harmless to repeat (deliveries are de-duplicated by Message-ID).
func Bounded[T any](parent context.Context, timeout time.Duration, fn func(ctx context.Context) T, late T) T {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), timeout)
	done := make(chan T, 1)
	go func() {
		defer cancel()
		done <- fn(ctx)
	}()
	select {
	case v := <-done:
		return v
	case <-ctx.Done():
		select {
		case v := <-done: // finished as the deadline passed
			return v
		default:
			return late
		}
	}
}
