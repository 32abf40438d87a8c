package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/api"
	"github.com/postdesk/postdesk/auth"
	"github.com/postdesk/postdesk/clientip"
	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dialguard"
	"github.com/postdesk/postdesk/dkimkeys"
	"github.com/postdesk/postdesk/download"
	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/mailer/smtpd"
	"github.com/postdesk/postdesk/metrics"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/rating"
	"github.com/postdesk/postdesk/scheduler"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
	"github.com/postdesk/postdesk/web"
	"github.com/postdesk/postdesk/webwire"
)

// postmaster keeps mail to postmaster@ and forwards it to the admins, in one transaction.
type postmaster struct {
	s *tickets.Store
	n *notify.Notifier
}

func (p postmaster) KeepPostmasterMail(ctx context.Context, in tickets.Inbound, human bool) (bool, error) {
	return p.s.KeepSystemMail(ctx, notify.Postmaster, in, func(ctx context.Context, tx *sqlx.Tx, _ int64) error {
		return p.n.ForwardToAdmins(ctx, tx, in, human)
	})
}

// newTransport is the relay when one is configured, else .eml files under DATA_DIR/outbox.
func newTransport(c *cli, cfg *config.Config, log *slog.Logger) (sender.Transport, error) {
	if cfg.Relay == "" {
		dir := filepath.Join(cfg.DataDir, "outbox")
		log.Info("no relay configured: outgoing mail is written to files", slog.String("dir", dir))
		return relay.FileTransport{Dir: dir}, nil
	}
	password := ""
	if cfg.RelayPasswordEnv != "" {
		password = c.env(cfg.RelayPasswordEnv)
		if password == "" {
			return nil, fmt.Errorf("%w: relay password: environment variable %s is empty", errUsage, cfg.RelayPasswordEnv)
		}
	}
	rc := relay.Config{Addr: cfg.Relay, TLS: cfg.RelayTLS, User: cfg.RelayUser, Password: password, HeloName: cfg.Domain, Insecure: cfg.RelayTLSInsecure}
	if cfg.RelayCAFile != "" {
		pool, err := relay.LoadCAFile(cfg.RelayCAFile)
		if err != nil {
			return nil, err
		}
		rc.RootCAs = pool
	}
	return relay.NewSMTPTransport(rc)
}

func newLogger(c *cli, cfg *config.Config) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("%w: log level %q: debug, info, warn or error", errUsage, cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(cfg.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(c.stderr, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(c.stderr, opts)), nil
	}
	return nil, fmt.Errorf("%w: log format %q: text or json", errUsage, cfg.LogFormat)
}

func serve(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("serve")
	cfg, rest, err := c.loadKeys(fs, args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	log, err := newLogger(c, cfg)
	if err != nil {
		return err
	}
	unlock, err := sqliteLock(cfg.DB)
	if err != nil {
		return err
	}
	defer unlock()
	d, store, err := c.open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	// After open: the domain may be the database's (tickets.ResolveDomain).
	for _, w := range startWarnings(cfg) {
		log.Warn(w)
	}
	secret, err := store.Secret(ctx)
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	tpl, err := templates.New(cfg.Templates)
	if err != nil {
		return err
	}
	// The HTTP listener comes first: the agents' copies link files to the web inbox's address.
	var httpLn net.Listener
	publicURL := strings.TrimRight(cfg.WebURL, "/")
	if cfg.HTTP != "" {
		if httpLn, err = net.Listen("tcp", cfg.HTTP); err != nil {
			return fmt.Errorf("http: %w", err)
		}
		defer httpLn.Close() // closed by the server's shutdown once it serves; this is for an early return
		publicURL = webURL(cfg, httpLn.Addr().String())
	}
	notifier := notify.New(store, tpl, notify.Config{Domain: cfg.Domain, Secret: secret, AutoPerHour: int(cfg.AutoPerHour), LoopMax: int(cfg.LoopMax), LoopWindow: cfg.LoopWindow, Log: log,
		WebURL: publicURL, MaxMailBytes: cfg.MaxMessageBytes})
	store.AddHook(notifier)
	transport, err := newTransport(c, cfg, log)
	if err != nil {
		return err
	}
	// The outbox and the metrics prepare their statements too: a broken query fails here, at start.
	queue, err := outbox.Open(ctx, d, nil)
	if err != nil {
		return err
	}
	// Mail an older postdesk queued without its bytes is rendered before anything is sent.
	if n, err := notifier.RenderQueued(ctx, queue); err != nil {
		return err
	} else if n > 0 {
		log.Info("rendered mail queued by an older postdesk", slog.Int("mails", n))
	}
	// A property with a DKIM key (postdesk property dkim) has its mail signed as it is sent.
	dkimKeys, err := dkimkeys.Open(ctx, d, secret)
	if err != nil {
		return err
	}
	out := sender.New(queue, transport, int(cfg.OutboxWorkers), time.Second, log).WithSigner(dkimKeys).WithLease(queue.Lease)
	stats, err := metrics.Open(ctx, d, log)
	if err != nil {
		return err
	}
	pipeline := intake.New(stats.Store(store), cfg.Domain, secret, log)
	pipeline.RequireDKIM = cfg.CommandsDKIM
	pipeline.Bounces = bounces{queue, store}
	// Messages stored are searchable once the indexer ran (PostgreSQL; tickets/indexer.go): every
	// second, not kicked by each delivery — batches of one or two cost the database about three
	// times as much per message as a second's worth (measured with the statement log).
	indexer := store.SearchIndexer(log)
	pipeline.Stored = out.Kick
	if cfg.Postmaster != "" {
		if _, err := store.PropertyBySlug(ctx, cfg.Postmaster); err != nil {
			return fmt.Errorf("%w: postmaster: no property %q: %w", errUsage, cfg.Postmaster, err)
		}
	}
	pipeline.PostmasterProperty = cfg.Postmaster
	pipeline.Postmaster = postmaster{store, notifier}
	boxes, oauthSources, err := openMailboxOAuth(ctx, cfg, d, store, notifier, secret, out.Kick, log)
	if err != nil {
		return err
	}
	if err := useRelayOAuth(ctx, cfg, transport, boxes, oauthSources, log); err != nil {
		return err
	}
	pollers := newMailboxPollers(boxes, oauthSources, store, receiver(pipeline), log)

	var servers []*smtpd.Server
	for _, l := range []struct {
		addr string
		lmtp bool
	}{{cfg.SMTP, false}, {cfg.LMTP, true}} {
		if l.addr == "" {
			continue
		}
		perm := smtpd.SocketPerm{GID: -1}
		if l.lmtp && strings.Contains(l.addr, "/") {
			perm, err = lmtpSocketPerm(cfg, log)
		}
		var ln net.Listener
		if err == nil {
			ln, err = smtpd.ListenSocket(l.addr, perm)
		}
		if err != nil {
			for _, s := range servers {
				s.Shutdown(ctx)
			}
			return err
		}
		s := smtpd.NewServer(smtpd.ServerConfig{LMTP: l.lmtp, Domain: cfg.Domain, MaxBytes: cfg.MaxMessageBytes, TLS: tlsConfig, Log: log, DeliveryTimeout: cfg.DeliveryTimeout}, ln, pipeline)
		servers = append(servers, s)
	}
	signins, err := auth.Open(ctx, d, auth.Config{Log: log, Now: store.Now})
	if err != nil {
		return err
	}
	feed, err := live.Open(ctx, d, live.Config{Log: log, Now: store.Now})
	if err != nil {
		return err
	}
	httpSrv, err := newHTTPAPI(httpDeps{cfg: cfg, ln: httpLn, d: d, store: store, pipeline: pipeline, kick: out.Kick, metrics: stats, log: log,
		auth: signins, feed: feed, notifier: notifier, secret: secret,
		mailboxes: webMailboxes(cfg, boxes, pollers.Rescan, log)})
	if err != nil {
		for _, s := range servers {
			s.Shutdown(ctx)
		}
		return err
	}
	prof, err := listenPprof(cfg.Pprof, log)
	if err != nil {
		for _, s := range servers {
			s.Shutdown(ctx)
		}
		if httpSrv != nil {
			httpSrv.ln.Close()
		}
		return err
	}
	log.Info("postdesk started", slog.String("db", d.DSN), slog.String("engine", string(d.Dialect)), slog.String("domain", cfg.Domain), slog.String("config", cfg.File))
	var wg sync.WaitGroup
	errs := make(chan error, len(servers)+3)
	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		if err := out.Run(senderCtx); err != nil {
			errs <- fmt.Errorf("outbox sender: %w", err)
		}
	}()
	for i, s := range servers {
		proto := "smtp"
		if i == 1 || cfg.SMTP == "" {
			proto = "lmtp"
		}
		log.Info("listening", slog.String("proto", proto), slog.String("addr", s.Addr().String()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Serve(); err != nil {
				errs <- fmt.Errorf("%s server: %w", proto, err)
			}
		}()
	}
	if httpSrv != nil {
		log.Info("HTTP API listening", slog.String("addr", httpSrv.ln.Addr().String()), slog.String("web_inbox", "/"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := httpSrv.srv.Serve(httpSrv.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("http server: %w", err)
			}
		}()
	}
	if prof != nil {
		go prof.serve(errs)
		defer prof.stop()
	}
	feedCtx, stopFeed := context.WithCancel(context.WithoutCancel(ctx))
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		if err := feed.Run(feedCtx); err != nil {
			log.Error("live feed stopped", slog.Any("err", err))
		}
	}()
	wakeCtx, stopWake := context.WithCancel(context.WithoutCancel(ctx))
	wakeDone := make(chan struct{})
	go func() {
		defer close(wakeDone)
		snoozeWake(store, 10*time.Second, log).Run(wakeCtx)
	}()
	purgeDone := make(chan struct{})
	go func() {
		defer close(purgeDone)
		systemMailPurge(store, time.Hour, log).Run(wakeCtx)
	}()
	indexerDone := make(chan struct{})
	go func() {
		defer close(indexerDone)
		indexer.Run(wakeCtx)
	}()
	signinPruneDone := make(chan struct{})
	go func() {
		defer close(signinPruneDone)
		signinPrune(signins, time.Hour, log).Run(wakeCtx)
	}()
	// IMAP mailboxes: every mailbox added with 'postdesk mailbox add' is polled by one instance.
	pollCtx, stopPollers := context.WithCancel(context.WithoutCancel(ctx))
	pollersDone := make(chan struct{})
	go func() {
		defer close(pollersDone)
		pollers.Run(pollCtx)
	}()
	probeCtx, stopProbe := context.WithCancel(context.WithoutCancel(ctx))
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		probeRelay(probeCtx, transport, cfg, log)
	}()
	stopNotify := notifySystemd(context.WithoutCancel(ctx), log)
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case serveErr = <-errs:
		log.Error("server failed", slog.Any("err", serveErr))
	}
	stopNotify()
	stopProbe()
	<-probeDone
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		s.Shutdown(shutdownCtx)
	}
	if httpSrv != nil {
		httpSrv.srv.Shutdown(shutdownCtx)
	}
	wg.Wait()
	stopWake()
	<-wakeDone
	<-purgeDone
	<-signinPruneDone
	<-indexerDone
	stopFeed()
	<-feedDone
	stopPollers()
	<-pollersDone
	// The sender stops after intake: what was just accepted is queued, and goes out on next start.
	stopSender()
	<-senderDone
	log.Info("stopped")
	return serveErr
}

// receiver is the pipeline as the delivery contract, each message counted in the metrics by
// its source (mail or form).
func receiver(pipeline *intake.Pipeline) inbound.Receiver {
	return inbound.ReceiverFunc(func(ctx context.Context, m inbound.Message) []inbound.Result {
		if m.Source == inbound.Form {
			ctx = metrics.WithSource(ctx, metrics.SourceForm)
		}
		return pipeline.Receive(ctx, m)
	})
}

// httpAPI is the web inbox and the HTTP API with /healthz and /metrics, when cfg.HTTP names an
// address.
type httpAPI struct {
	srv *http.Server
	ln  net.Listener
}

// httpDeps is what the HTTP side is built from.
type httpDeps struct {
	cfg      *config.Config
	ln       net.Listener // on cfg.HTTP; nil: no HTTP
	d        *db.DB
	store    *tickets.Store
	pipeline *intake.Pipeline
	kick     func()
	metrics  *metrics.Metrics
	log      *slog.Logger
	auth     *auth.Service
	feed     *live.Feed
	notifier *notify.Notifier
	secret   []byte
	// mailboxes are the web's admin pages' mailboxes, with serve's pollers.
	mailboxes webwire.Mailboxes
}

// newHTTPAPI serves on h.ln (nil, nil when there is none): the API under /api/, the links to
// files under /files/, the web inbox at /. Contact form posts go through the pipeline like mail;
// kick wakes the sender when the API or the web queues mail.
func newHTTPAPI(h httpDeps) (*httpAPI, error) {
	cfg, ln := h.cfg, h.ln
	if ln == nil {
		return nil, nil
	}
	apiHandler := api.New(api.Config{Store: h.store, Domain: cfg.Domain, Deliver: receiver(h.pipeline), Kick: h.kick, Metrics: metricsAuth(cfg.MetricsToken, h.metrics.Handler()), Observe: h.metrics.ObserveHTTP, Log: h.log,
		Templates: h.notifier.Templates(), Mailboxes: mailbox.NewStore(h.d, h.secret)})
	inbox, err := web.New(web.Config{
		Store: h.store, Auth: webwire.Auth{A: h.auth}, Feed: webwire.Feed{F: h.feed}, Mail: webwire.Mail{N: h.notifier, D: h.d, Store: h.store, Domain: cfg.Domain},
		Mailboxes: h.mailboxes, Locales: h.notifier.Templates(),
		BaseURL: webURL(cfg, ln.Addr().String()), Domain: cfg.Domain, Secret: h.secret, Secure: cfg.WebTLS, Kick: h.kick, Log: h.log,
		Now: h.store.Now,
	})
	if err != nil {
		return nil, err
	}
	files := download.Handler{Files: h.store, Secret: h.secret, Now: h.store.Now, Log: h.log}
	rate := rating.Handler{Store: h.store, Secret: h.secret, Now: h.store.Now, Log: h.log}
	proxies, err := clientip.Parse(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           proxies.Handler(site(apiHandler, inbox, files, rate)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a reply with 10 MiB of attachments on a slow line
		WriteTimeout:      2 * time.Minute, // the event streams lift it for themselves
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(inbox.Close)
	return &httpAPI{srv: srv, ln: ln}, nil
}

// signinPrune deletes expired sessions, sign-in links and old failed attempts: at start, then
// every interval. Each instance runs it; a row is deleted once.
func signinPrune(a *auth.Service, interval time.Duration, log *slog.Logger) *scheduler.Loop {
	return scheduler.New(scheduler.Job{Name: "signin-prune", Every: interval, Run: func(ctx context.Context) (time.Time, error) {
		_, err := a.Prune(ctx)
		return time.Time{}, err
	}}, log)
}

// snoozeWake returns snoozed tickets to the open views when their time comes: at start, then
// every interval. Instances sharing a database each run it; the store's UPDATE claims every
// ticket once, so no lease is needed.
func snoozeWake(store *tickets.Store, interval time.Duration, log *slog.Logger) *scheduler.Loop {
	return scheduler.New(scheduler.Job{Name: "snooze-wake", Every: interval, Run: func(ctx context.Context) (time.Time, error) {
		woken, err := store.WakeSnoozed(ctx)
		for _, w := range woken {
			log.Info("snooze ended", slog.Int64("property_id", w.PropertyID), slog.Int64("ticket", w.Number))
		}
		return time.Time{}, err
	}}, log, scheduler.WithClock(store.Now))
}

// systemMailPurge deletes robot system mail past its retention time (postdesk system retention):
// at start, then every interval. Instances sharing a database each run it; a row is deleted once,
// so no lease is needed.
func systemMailPurge(store *tickets.Store, interval time.Duration, log *slog.Logger) *scheduler.Loop {
	return scheduler.New(scheduler.Job{Name: "system-mail-purge", Every: interval, Run: func(ctx context.Context) (time.Time, error) {
		n, err := store.PurgeSystemMail(ctx)
		if n > 0 {
			log.Info("system mail purged", slog.Int64("count", n))
		}
		return time.Time{}, err
	}}, log, scheduler.WithClock(store.Now))
}

// webMailboxes is the web's admin pages' mailboxes: they connect to public addresses and those
// admin_mailbox_hosts allows, and leave the relay's sign-in alone.
func webMailboxes(cfg *config.Config, boxes *mailbox.Store, rescan func(), log *slog.Logger) webwire.Mailboxes {
	hosts, _ := dialguard.Parse(cfg.AdminMailboxHosts) // checked with the config
	m := webwire.Mailboxes{Boxes: boxes, OAuth: oauthProviders(cfg), Hosts: hosts, Rescan: rescan, Log: log}
	if cfg.RelayAuth == "oauth2" {
		m.RelayProvider, m.RelayUser = cfg.RelayOAuth, cfg.RelayUser
	}
	return m
}
