package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifySystemd tells systemd (Type=notify) that serve is ready, once its listeners are open,
// and keeps its watchdog (WatchdogSec) fed at half the interval while ctx lasts. Outside systemd
// (no NOTIFY_SOCKET) it does nothing. The returned stop says STOPPING=1 and ends the watchdog.
func notifySystemd(ctx context.Context, log *slog.Logger) (stop func()) {
	sent, err := daemon.SdNotify(false, daemon.SdNotifyReady)
	if err != nil {
		log.Warn("sd_notify READY=1", slog.Any("err", err))
	}
	if !sent {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog", slog.Any("err", err))
	}
	go func() {
		defer close(done)
		if interval <= 0 {
			return
		}
		tick := time.NewTicker(interval / 2)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := daemon.SdNotify(false, daemon.SdNotifyWatchdog); err != nil {
					log.Warn("sd_notify WATCHDOG=1", slog.Any("err", err))
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		daemon.SdNotify(false, daemon.SdNotifyStopping)
	}
}
