// Package metrics exposes authme's Prometheus metrics and pprof on a listener of their
// own, never on the public port.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"authme/internal/outbox"
)

// Metrics holds every collector authme updates.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	logins   *prometheus.CounterVec
	signups  prometheus.Counter
	hashWait prometheus.Histogram
	mail     *prometheus.CounterVec
}

// Sources are the live values read at scrape time.
type Sources struct {
	DB             *sql.DB                                  // pool statistics
	ActiveSessions func(ctx context.Context) (int64, error) // live sessions in the database
	HashQueue      func() int64                             // log-ins waiting for a hash slot
	HashRunning    func() int                               // hashes running now
	// RestoreStats counts session restores answered by batched queries, the queries, and
	// the restores waiting for one now.
	RestoreStats func() (lookups, queries int64, waiting int)
	// PendingMail counts the outbox's mail not yet sent, failed or dropped.
	PendingMail func(ctx context.Context) (int64, error)
	// EventsRecorded counts the security events this process stored; EventsDropped the
	// failed log-ins it could not record (the aggregator's queue was full).
	EventsRecorded func() int64
	EventsDropped  func() int64
}

// New registers authme's metrics, the Go runtime's and the process's.
func New(src Sources) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "authme_http_request_duration_seconds",
			Help:    "HTTP requests by route pattern and status, with their latency.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authme_logins_total",
			Help: "Log-in requests by outcome: ok, second_factor (right password, a code is asked next), invalid, throttled, shed (hashing saturated) or error.",
		}, []string{"outcome"}),
		signups: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authme_signups_total",
			Help: "Accounts created.",
		}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "authme_password_hash_wait_seconds",
			Help:    "Time a password hash waited for a free slot.",
			Buckets: []float64{0, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2},
		}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authme_mail_total",
			Help: "Mail by outcome: queued (first taken up by a sender), sent, retried (an attempt failed), failed (for good) or dropped (nothing to send).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.requests, m.logins, m.signups, m.hashWait, m.mail,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{"ok", "second_factor", "invalid", "throttled", "shed", "error"} {
		m.logins.WithLabelValues(o)
	}
	for _, o := range []string{outbox.Queued, outbox.Sent, outbox.Retried, outbox.Failed, outbox.Dropped} {
		m.mail.WithLabelValues(o)
	}
	if src.DB != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(src.DB, "authme"))
	}
	if src.ActiveSessions != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "authme_active_sessions",
			Help: "Live sessions in the database (shared by every instance).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			n, err := src.ActiveSessions(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	if src.PendingMail != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "authme_mail_pending",
			Help: "Mail in the outbox not yet sent, failed or dropped (shared by every instance).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			n, err := src.PendingMail(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	if src.HashQueue != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "authme_password_hash_queue_depth",
			Help: "Log-ins waiting for a password hashing slot.",
		}, func() float64 { return float64(src.HashQueue()) }))
	}
	if src.HashRunning != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "authme_password_hashes_running",
			Help: "Password hashes running now (at most one per core).",
		}, func() float64 { return float64(src.HashRunning()) }))
	}
	if src.RestoreStats != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "authme_session_restore_lookups_total",
				Help: "Session restores answered by batched queries (PostgreSQL).",
			}, func() float64 { n, _, _ := src.RestoreStats(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "authme_session_restore_queries_total",
				Help: "Batched session-restore queries (PostgreSQL); lookups ÷ queries is the mean batch size.",
			}, func() float64 { _, n, _ := src.RestoreStats(); return float64(n) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "authme_session_restore_queue_depth",
				Help: "Session restores waiting for a batched query (PostgreSQL).",
			}, func() float64 { _, _, n := src.RestoreStats(); return float64(n) }))
	}
	if src.EventsRecorded != nil && src.EventsDropped != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "authme_security_events_recorded_total",
				Help: "Security events stored by this process (an aggregated row of failed log-ins counts once per write).",
			}, func() float64 { return float64(src.EventsRecorded()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "authme_security_events_dropped_total",
				Help: "Failed or throttled log-ins not recorded: the aggregator was full or its write failed.",
			}, func() float64 { return float64(src.EventsDropped()) }))
	}
	return m
}

// ObserveRequest records one request; pattern is the route ("" for unmatched paths).
func (m *Metrics) ObserveRequest(pattern string, status int, d time.Duration) {
	if pattern == "" {
		pattern = "unmatched"
	}
	m.requests.WithLabelValues(pattern, strconv.Itoa(status)).Observe(d.Seconds())
}

// CountLogin records a log-in attempt's outcome.
func (m *Metrics) CountLogin(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// CountSignup records a new account.
func (m *Metrics) CountSignup() { m.signups.Inc() }

// CountMail records an outcome of the mail sender; it is outbox.Options.Observe.
func (m *Metrics) CountMail(outcome string) { m.mail.WithLabelValues(outcome).Inc() }

// ObserveHashWait records how long a hash waited for a slot.
func (m *Metrics) ObserveHashWait(d time.Duration) { m.hashWait.Observe(d.Seconds()) }

// Handler serves /metrics and /debug/pprof/.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
