package scheduler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/testclock"
)

// start runs l until the test ends.
func start(t *testing.T, l *Loop) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func syncOrFail(t *testing.T, l *Loop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

func TestAKickRunsTheJobAgainBeforeItsTime(t *testing.T) {
	var runs atomic.Int32
	l := New(Job{Name: "t", Every: time.Hour, Run: func(context.Context) (time.Time, error) {
		runs.Add(1)
		return time.Time{}, nil
	}}, nil)
	start(t, l)
	syncOrFail(t, l)
	first := runs.Load()
	syncOrFail(t, l)
	if got := runs.Load(); first < 1 || got <= first {
		t.Fatalf("runs %d then %d: the kick did not run the job", first, got)
	}
}

// Due times are read against the injected clock: a row due by the database's clock runs at once,
// however far the wall clock is from it.
func TestDueTimesAreReadAgainstTheInjectedClock(t *testing.T) {
	clk := testclock.New(time.Now().Add(365 * 24 * time.Hour))
	var runs atomic.Int32
	second := make(chan struct{})
	l := New(Job{Name: "t", Every: time.Hour, Run: func(context.Context) (time.Time, error) {
		switch runs.Add(1) {
		case 1:
			return clk.Now().Add(-time.Second), nil // due already, by the clock
		case 2:
			close(second)
		}
		return time.Time{}, nil
	}}, nil, WithClock(clk.Now))
	start(t, l)
	select {
	case <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("the due work did not run at once: the wall clock was used")
	}
}

func TestARunThatReturnsNowRunsAgainAtOnce(t *testing.T) {
	var runs atomic.Int32
	drained := make(chan struct{})
	l := New(Job{Name: "t", Every: time.Hour, Run: func(context.Context) (time.Time, error) {
		if runs.Add(1) < 4 {
			return time.Now(), nil // a full batch: there may be more
		}
		close(drained)
		return time.Time{}, nil
	}}, nil)
	start(t, l)
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d runs, want 4 back to back", runs.Load())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAPanicEndsOnlyThatRun(t *testing.T) {
	logs := &syncBuffer{}
	var runs atomic.Int32
	l := New(Job{Name: "wake", Every: time.Hour, Run: func(context.Context) (time.Time, error) {
		if runs.Add(1) == 1 {
			panic("a bug in the job")
		}
		return time.Time{}, nil
	}}, slog.New(slog.NewTextHandler(logs, nil)))
	start(t, l)
	syncOrFail(t, l)
	syncOrFail(t, l)
	if runs.Load() < 2 {
		t.Fatalf("%d runs: the loop did not go on after the panic", runs.Load())
	}
	if s := logs.String(); !strings.Contains(s, "run panicked") || !strings.Contains(s, "job=wake") || !strings.Contains(s, "stack=") {
		t.Fatalf("log: %s", s)
	}
}

func TestSyncOnAStoppedLoopSaysSo(t *testing.T) {
	l := New(Job{Name: "t", Run: func(context.Context) (time.Time, error) { return time.Time{}, nil }}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.Run(ctx)
	if err := l.Sync(context.Background()); !errors.Is(err, ErrStopped) {
		t.Fatalf("sync: %v, want ErrStopped", err)
	}
}

func TestHoldStopsWhenTheLeaseIsLostOrCannotBeRenewedForItsTTL(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	lost := Lease{TTL: time.Minute, Renew: time.Millisecond, Claim: func(context.Context) (bool, error) { return false, nil }}
	if err := Hold(context.Background(), lost, log); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("lost lease: %v", err)
	}

	clk := testclock.New(time.Now())
	var tries atomic.Int32
	down := errors.New("database down")
	unconfirmed := Lease{TTL: time.Minute, Renew: time.Millisecond, Now: clk.Now, Claim: func(context.Context) (bool, error) {
		if tries.Add(1) == 3 {
			clk.Advance(time.Minute) // the third failed renewal comes a whole TTL after the last good one
		}
		return false, down
	}}
	err := Hold(context.Background(), unconfirmed, log)
	if !errors.Is(err, ErrLeaseUnconfirmed) || !errors.Is(err, down) || tries.Load() != 3 {
		t.Fatalf("after %d failed renewals: %v", tries.Load(), err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	renewed := Lease{TTL: time.Minute, Renew: time.Millisecond, Claim: func(context.Context) (bool, error) {
		cancel() // the holder is done
		return true, nil
	}}
	if err := Hold(ctx, renewed, log); err != nil {
		t.Fatalf("held to the end: %v", err)
	}
}
