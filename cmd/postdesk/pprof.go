package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// profiler serves Go's pprof endpoints on an address of their own (serve --pprof), never on the
// web inbox's: a profile shows memory, which may hold mail.
type profiler struct {
	srv *http.Server
	ln  net.Listener
}

// listenPprof listens on addr (nil, nil when addr is empty). An address that is not loopback is
// served, with a warning: whoever reaches it can read the process's memory profile.
func listenPprof(addr string, log *slog.Logger) (*profiler, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		log.Warn("pprof is served on a non-loopback address: anyone who reaches it can read profiles of this process", slog.String("addr", ln.Addr().String()))
	}
	mux := http.NewServeMux()
	// The named profiles (heap, goroutine, allocs, block, mutex...), CPU, symbols and traces — not
	// cmdline: the command line may hold a database password.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("pprof listening", slog.String("addr", ln.Addr().String()))
	return &profiler{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

func (p *profiler) serve(errs chan<- error) {
	if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs <- fmt.Errorf("pprof server: %w", err)
	}
}

// stop ends the profiler at once: a CPU profile being taken is cut short.
func (p *profiler) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if p.srv.Shutdown(ctx) != nil {
		p.srv.Close()
	}
}
