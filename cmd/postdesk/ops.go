package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/mailer/smtpd"
)

// Running in production: the LMTP socket's permissions, the warnings at start, the token on
// /metrics, the one-instance lock of a SQLite database.

// lmtpSocketPerm is who may connect to the LMTP unix socket: lmtp_socket_mode, and the group
// lmtp_socket_group names. Without that group: an error when it was asked for by name, but for
// the default (postfix, on a host without Postfix) the group's bits go to every local user, with
// a warning — the same reach as the SMTP listener on 127.0.0.1.
func lmtpSocketPerm(cfg *config.Config, log *slog.Logger) (smtpd.SocketPerm, error) {
	mode, err := cfg.SocketMode()
	if err != nil {
		return smtpd.SocketPerm{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	perm := smtpd.SocketPerm{Mode: mode, GID: -1}
	if cfg.LMTPSocketGroup == "" {
		return perm, nil
	}
	g, err := user.LookupGroup(cfg.LMTPSocketGroup)
	if err != nil {
		if cfg.LMTPSocketGroup != config.DefaultSocketGroup {
			return perm, fmt.Errorf("%w: lmtp_socket_group %q: %w", errUsage, cfg.LMTPSocketGroup, err)
		}
		perm.Mode |= (mode & 0o070) >> 3
		log.Warn("no group postfix on this host: the LMTP socket is open to every local user; set lmtp_socket_group to your MTA's group",
			slog.String("socket", cfg.LMTP), slog.String("mode", fmt.Sprintf("%#o", perm.Mode)))
		return perm, nil
	}
	perm.GID, err = strconv.Atoi(g.Gid)
	if err != nil {
		return perm, fmt.Errorf("lmtp_socket_group %q: gid %q", cfg.LMTPSocketGroup, g.Gid)
	}
	return perm, nil
}

// startWarnings are the settings that work but are unsafe, or cannot work as they are meant.
func startWarnings(cfg *config.Config) []string {
	var w []string
	if cfg.Domain == "localhost" && cfg.Relay != "" {
		w = append(w, "domain is localhost while a relay is set: the reply addresses in the mail sent (acme+…@localhost) cannot be answered from outside; set domain to the mail domain that reaches postdesk")
	}
	if cfg.HTTP != "" && !loopback(cfg.HTTP) {
		if !cfg.WebTLS && !strings.HasPrefix(strings.ToLower(cfg.WebURL), "https://") {
			w = append(w, "the web inbox and the API are served over plain HTTP on "+cfg.HTTP+": passwords, session cookies and API tokens cross the network in clear; put a TLS proxy in front (and set web_tls = true) or listen on 127.0.0.1")
		}
		if cfg.MetricsToken == "" {
			w = append(w, "/metrics is open to anyone who reaches "+cfg.HTTP+": set metrics_token (scrapers then send Authorization: Bearer TOKEN)")
		}
		if host, _, err := net.SplitHostPort(cfg.HTTP); err == nil && cfg.WebURL == "" && (host == "" || net.ParseIP(host).IsUnspecified()) {
			w = append(w, "web_url is not set and http listens on every address ("+cfg.HTTP+"): the links in mail (sign-in links, files of agents' copies) cannot name an address agents reach; set web_url")
		}
	}
	return w
}

// loopback tells whether a listen address (host:port) takes connections from this host only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// metricsAuth requires "Authorization: Bearer token" on /metrics when token is set; the token is
// compared in constant time.
func metricsAuth(token string, h http.Handler) http.Handler {
	if token == "" || h == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "401 unauthorized: /metrics needs Authorization: Bearer <metrics_token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// probeRelay checks at start that the relay can take mail, so that a relay that never will (no
// STARTTLS, a refused login) is said once now rather than by every mail. It never stops serve:
// the mail stays queued until the relay works.
func probeRelay(ctx context.Context, t any, cfg *config.Config, log *slog.Logger) {
	p, ok := t.(interface{ Check(context.Context) error })
	if !ok {
		return
	}
	err := p.Check(ctx)
	switch {
	case err == nil:
		log.Info("relay ready", slog.String("relay", cfg.Relay), slog.String("relay_tls", cfg.RelayTLS))
	case errors.Is(err, relay.ErrNoSTARTTLS):
		log.Error("no mail can go out", slog.String("relay", cfg.Relay), slog.Any("err", err))
	case ctx.Err() == nil:
		log.Warn("the relay cannot take mail now: mail stays queued and is retried", slog.String("relay", cfg.Relay), slog.Any("err", err))
	}
}

// sqliteLock holds DB.lock beside a SQLite database while serve runs: SQLite serves one instance
// (several share a database on PostgreSQL only). The lock is flock(2) on the file, which the
// kernel drops with the process: a crashed instance never blocks a restart, whatever pid the
// file still holds.
func sqliteLock(dsn string) (release func(), err error) {
	dsn = strings.TrimSpace(dsn)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || strings.Contains(dsn, "://") {
		return func() {}, nil
	}
	path := dsn + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			other := "another postdesk serve"
			if pid := strings.TrimSpace(string(b[:n])); pid != "" {
				other += " (pid " + pid + ")"
			}
			return nil, fmt.Errorf("%s is running on %s (it holds %s): stop it first; to run several instances on one database, use PostgreSQL", other, dsn, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
