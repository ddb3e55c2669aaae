package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	ownership "authme/internal/account"
	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/httpapi"
	"authme/internal/login"
	"authme/internal/metrics"
	"authme/internal/mfa"
	"authme/internal/passkey"
	"authme/internal/password"
	"authme/internal/recovery"
	"authme/internal/session"
	"authme/internal/store"
)

// ShutdownTimeout is how long in-flight requests get to finish after SIGINT or SIGTERM.
const ShutdownTimeout = 10 * time.Second

// hashQueueWait is the longest a log-in waits for a hashing slot before getting 503.
const hashQueueWait = 2 * time.Second

// Passkey log-ins begun per client address: a page view each, so more than log-ins
// (LOGIN_RATE_PER_MINUTE), and each writes one short-lived challenge row.
const (
	ceremoniesPerMinute = 60
	ceremoniesBurst     = 60
)

// serve is the seed's bin/www: check the database, prepare it in development, wire the
// server over it, listen until ctx ends, then finish in-flight requests.
func (e env) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	if err := fs.Parse(args); err != nil {
		return usageError("serve: " + err.Error())
	}
	e.warnAboutSecret()

	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	e.log.Info("Database connection success! " + db.Dialect() + " is ready to use...")
	if err := e.prepareDatabase(ctx, db, *migrate || !e.cfg.IsProduction()); err != nil {
		return err
	}
	a, err := e.wire(db)
	if err != nil {
		return err
	}
	defer a.close()
	debug.FreeOSMemory() // the start-up hashes (decoys, seeding) are garbage now
	return e.listenAndServe(ctx, a)
}

func (e env) warnAboutSecret() {
	if e.cfg.JWTSecretGenerated {
		e.log.Warn("JWT_SECRET is not set: using a random secret for this process, so sessions end when it stops; set JWT_SECRET (openssl rand -base64 48) to keep them")
	} else if len(e.cfg.JWTSecret) < 32 {
		e.log.Warn("JWT_SECRET is shorter than 32 bytes; production refuses it (make one with openssl rand -base64 48)")
	}
}

// app is what serve runs over an open database.
type app struct {
	handler    http.Handler
	metrics    *metrics.Metrics            // nil without METRICS_ADDR
	background []func(ctx context.Context) // loops that run until shutdown
	close      func()                      // stops what wire started, before the database closes
}

// wire builds the server over db: hashing, the services, the HTTP handler and the
// background loops.
func (e env) wire(db *store.DB) (*app, error) {
	a := &app{close: func() {}}
	// PostgreSQL restores share round trips under load; SQLite's have none to share.
	var sessionStore session.Store = db
	var restores *store.BatchedRestores
	if db.Dialect() == "postgres" {
		var err error
		if restores, err = store.BatchRestores(db); err != nil {
			return nil, err
		}
		a.close = func() { restores.Close() }
		sessionStore = restores
	}
	gate := password.NewGate(e.cfg.HashConcurrency, e.cfg.HashQueue, hashQueueWait)
	// Hashing buffers are garbage once a burst of log-ins ends: give them back to the OS
	// then, rather than holding 7 MiB a hash until the next collection.
	gate.OnIdle(250*time.Millisecond, debug.FreeOSMemory)
	// Failed and throttled log-ins are recorded off the request path, aggregated.
	failures := events.NewAggregator(db, events.AggregatorOptions{Log: e.log})
	a.background = append(a.background, failures.Run,
		func(ctx context.Context) { purgeEventsLoop(ctx, db, e.cfg.EventRetention, time.Hour, e.log) })
	if e.cfg.MetricsAddr != "" {
		a.metrics = newMetrics(db, gate, restores, failures)
	}

	users, err := auth.NewService(db, e.hasher(), e.log,
		auth.WithHashGate(gate), auth.WithThrottle(db, auth.DefaultThrottle),
		auth.WithFailureObserver(observeFailures(failures)))
	if err != nil {
		a.close()
		return nil, err
	}
	sessions := session.NewManager(sessionStore, e.cfg.JWTSecret, e.cfg.JWTExpiresIn, e.cfg.SessionIdleTimeout, time.Now)
	mailer, err := e.wireMail(db, a)
	if err != nil {
		a.close()
		return nil, err
	}
	// The mail endpoints' buckets, per client address and per email address asked for.
	perClient := db.Scoped("mail:", mailPerClientPerMinute, mailPerClientBurst, time.Now)
	perEmail := db.Scoped("mail-to:", mailPerAddressPerMinute, mailPerAddressBurst, time.Now)
	a.background = append(a.background,
		func(ctx context.Context) { perClient.PurgeLoop(ctx, 10*time.Minute, e.log) },
		func(ctx context.Context) { perEmail.PurgeLoop(ctx, 10*time.Minute, e.log) })
	keys, err := e.encryptionKeys()
	if err != nil {
		a.close()
		return nil, err
	}
	factors := mfa.New(db, users, mfa.Options{Keys: keys, Issuer: e.cfg.TOTPIssuer, Notify: mailer.on, Wake: mailer.wake, Log: e.log})
	accountOpts := []login.Option{login.WithTokens(db), login.RequireVerifiedEmail(e.cfg.RequireVerifiedEmail),
		login.WithSecondFactors(factors, db)}
	var passkeys httpapi.Passkeys
	if e.cfg.PasskeysOff != "" {
		e.log.Info("passkeys are off: " + e.cfg.PasskeysOff)
	} else {
		pk, err := passkey.New(passkey.Settings{RPID: e.cfg.WebAuthnRPID, RPName: e.cfg.TOTPIssuer, Origins: e.cfg.WebAuthnOrigins}, db, users,
			passkey.Options{Factors: factors, Notify: mailer.on, Wake: mailer.wake, Log: e.log})
		if err != nil {
			a.close()
			return nil, err
		}
		passkeys = pk
		accountOpts = append(accountOpts, login.WithPasskeys(pk))
	}
	if mailer.on {
		accountOpts = append(accountOpts, login.WithMail(db))
	}
	deps := httpapi.Deps{
		Log:      e.log,
		Accounts: login.New(users, sessions, db, accountOpts...),
		Recovery: recovery.New(db, users, recovery.Options{
			MailOn:   mailer.on,
			PerEmail: perEmail,
			Wake:     mailer.wake,
			Factors:  factors,
		}),
		Factors:     factors,
		Passkeys:    passkeys,
		MailLimiter: perClient,
		Events:      db,
		Owners:      ownership.New(db, users, e.log, ownership.WithFactors(factors)),
		Sessions:    sessions,
		CSRFKey:     e.cfg.JWTSecret,
		Production:  e.cfg.IsProduction(),
		Now:         time.Now,
		Ready:       db.Ping,
		TrustProxy:  e.cfg.TrustProxy,
		Origins:     e.cfg.CORSOrigins,
		IPv6Prefix:  e.cfg.LoginIPv6Prefix,
	}
	a.background = append(a.background, func(ctx context.Context) { sessions.PurgeLoop(ctx, 10*time.Minute, e.log) })
	if e.cfg.LoginRatePerMinute > 0 {
		addresses := db.AddressThrottle(e.cfg.LoginRatePerMinute, e.cfg.LoginRateBurst, time.Now)
		deps.AddressLimiter = addresses
		// Passkey log-ins begun, per client address: the page begins one each time it
		// shows the log-in form, so they get a bucket of their own, apart from log-ins;
		// turning the per-address limits off turns it off too.
		ceremonies := db.Scoped("webauthn:", ceremoniesPerMinute, ceremoniesBurst, time.Now)
		deps.CeremonyLimiter = ceremonies
		a.background = append(a.background, func(ctx context.Context) { ceremonies.PurgeLoop(ctx, 10*time.Minute, e.log) })
		a.background = append(a.background, func(ctx context.Context) { addresses.PurgeLoop(ctx, 10*time.Minute, e.log) })
	}
	a.background = append(a.background, func(ctx context.Context) { purgeTokensLoop(ctx, db, 10*time.Minute, e.log) })
	if m := a.metrics; m != nil {
		gate.ObserveWait(m.ObserveHashWait)
		deps.Observe, deps.CountLogin, deps.CountSignup = m.ObserveRequest, m.CountLogin, m.CountSignup
	}
	a.handler = httpapi.NewServer(deps)
	return a, nil
}

// newMetrics reads the database pool, the live sessions, the hashing gate and, on
// PostgreSQL, the batched restores.
func newMetrics(db *store.DB, gate *password.Gate, restores *store.BatchedRestores, failures *events.Aggregator) *metrics.Metrics {
	return metrics.New(metrics.Sources{
		EventsRecorded: db.EventsRecorded,
		EventsDropped:  failures.Dropped,
		DB:             db.SQL(),
		ActiveSessions: db.CountLiveSessions,
		PendingMail:    db.Outbox().CountPending,
		HashQueue:      gate.Waiting,
		HashRunning:    gate.Running,
		RestoreStats: func() (int64, int64, int) {
			if restores == nil {
				return 0, 0, 0 // present on SQLite too, at 0
			}
			s := restores.Stats()
			return s.Lookups, s.Queries, s.Waiting
		},
	})
}

// listenAndServe serves a until ctx ends, with its background loops and metrics, then
// gives in-flight requests ShutdownTimeout to finish.
func (e env) listenAndServe(ctx context.Context, a *app) error {
	ln, err := net.Listen("tcp", e.cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.cfg.ListenAddr(), err)
	}
	srv := httpapi.NewHTTPServer(a.handler)
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	var loops sync.WaitGroup
	for _, loop := range a.background {
		loops.Add(1)
		go func() { defer loops.Done(); loop(bg) }()
	}
	if a.metrics != nil {
		stopMetrics, err := e.serveMetrics(a.metrics)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopMetrics()
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	e.log.Info(fmt.Sprintf("Listening on port %d...", ln.Addr().(*net.TCPAddr).Port), "addr", ln.Addr().String())
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	stopBackground()
	// The loops write what they hold (the aggregated failed log-ins) before the
	// database closes; one that does not finish in time is left behind.
	waitFor(&loops, ShutdownTimeout)
	e.log.Info("stopped")
	return nil
}

// prepareDatabase migrates (development, or when asked) and seeds an empty development
// database; in production it refuses a schema this binary does not match.
func (e env) prepareDatabase(ctx context.Context, db *store.DB, migrate bool) error {
	if migrate {
		done, err := db.Migrate(ctx)
		for _, m := range done {
			e.log.Info(fmt.Sprintf("applied migration %04d_%s", m.Version, m.Name), "adopted", m.Adopted)
			for _, n := range m.Notes {
				e.log.Warn(fmt.Sprintf("migration %04d_%s: %s", m.Version, m.Name, n))
			}
		}
		if err != nil {
			return err
		}
	} else {
		n, err := db.PendingMigrations(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w (%d pending), or start with `authme serve --migrate`", store.ErrPendingMigrations, n)
		}
	}
	if e.cfg.IsProduction() {
		return nil
	}
	n, err := db.UserCount(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	ran, err := db.Seed(ctx, e.hasher())
	if err != nil {
		return err
	}
	if ran {
		e.log.Info("seeded the empty database with the demo users (Demo-lition / password)")
	}
	return nil
}

// serveMetrics listens on METRICS_ADDR for /metrics and pprof; it never shares the
// public port, so neither is reachable from the outside by accident.
func (e env) serveMetrics(m *metrics.Metrics) (stop func(), err error) {
	ln, err := net.Listen("tcp", e.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", e.cfg.MetricsAddr, err)
	}
	// pprof's profile and trace run up to their "seconds" parameter: no write timeout.
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed at stop
	e.log.Info("metrics on http://" + ln.Addr().String() + "/metrics")
	return func() { srv.Close() }, nil
}
