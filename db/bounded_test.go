package db

import (
	"context"
	"testing"
	"time"
)

func TestBounded(t *testing.T) {
	if got := Bounded(context.Background(), time.Second, func(context.Context) int { return 1 }, -1); got != 1 {
		t.Fatalf("a quick call gave %d", got)
	}
	release := make(chan struct{})
	defer close(release)
	if got := Bounded(context.Background(), 50*time.Millisecond, func(context.Context) int { <-release; return 1 }, -1); got != -1 {
		t.Fatalf("a hung call gave %d, want the late value", got)
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("the panic reached the caller as %v", p)
		}
	}()
	Bounded(context.Background(), time.Second, func(context.Context) int { panic("boom") }, -1)
	t.Fatal("no panic in the caller")
}
