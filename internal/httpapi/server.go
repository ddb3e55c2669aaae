// Package httpapi is authme's HTTP side: the authenticate-me API, its middleware (request
// log, panic recovery, CORS in development, security headers, cross-origin protection,
// CSRF, session restore) and the single place where errors become status codes.
package httpapi

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/events"
	"authme/internal/login"
	"authme/internal/recovery"
	"authme/internal/session"
)

// DefaultMailConcurrency bounds the mail requests an instance works on at once: enough
// for people asking for links, few enough that a flood of them leaves the connection
// pool and the database's write lock to log-ins.
const DefaultMailConcurrency = 2

// Deps is everything the server needs; NewServer takes nothing else.
type Deps struct {
	Log *slog.Logger
	// Accounts is every way in (the login package's Service); Sessions restores, lists
	// and ends sessions (the session package's Manager).
	Accounts Accounts
	Sessions Sessions
	CSRFKey  []byte // keys the CSRF token hash; derived again inside, so JWT_SECRET may be passed
	// Devices signs known-device cookies; nil means keyed from CSRFKey.
	Devices    *auth.Devices
	Production bool
	Now        func() time.Time

	// Ready checks the database for /readyz; nil means always ready.
	Ready func(ctx context.Context) error
	// TrustProxy lists the proxies whose X-Forwarded-For is believed.
	TrustProxy []netip.Prefix
	// Origins are trusted for cross-origin requests (and CORS in development).
	Origins []string
	// AddressLimiter is the per-address bucket on log-in and sign-up; nil turns it off.
	AddressLimiter AddressLimiter
	// MailLimiter is the per-address bucket on the endpoints that mail links or spend
	// them; nil turns it off.
	MailLimiter AddressLimiter
	// CeremonyLimiter is the per-address bucket on beginning a passkey log-in, apart
	// from AddressLimiter: the page begins one each time it shows the log-in form (for
	// the autofill), which must not use up the address's log-ins. nil turns it off.
	CeremonyLimiter AddressLimiter
	// MailConcurrency is how many of those requests an instance works on at once (0:
	// DefaultMailConcurrency); the others wait up to a second, then get 503.
	MailConcurrency int
	// Recovery runs password-reset requests, email verification and change of email.
	Recovery Recovery
	// Events reads the accounts' security history; nil: every history is empty.
	Events EventLog
	// Factors enrols and removes second factors; nil: none can be enrolled.
	Factors Factors
	// Passkeys registers and removes passkeys and begins their log-ins; nil: passkeys
	// are off (503).
	Passkeys Passkeys
	// Owners deletes and exports accounts at their owner's request (the account
	// package's Service); nil: both answer 503.
	Owners Owners
	// IPv6Prefix is how many leading bits of an IPv6 client address name its bucket
	// (0 means DefaultIPv6Prefix); an IPv4 address is always a bucket of its own.
	IPv6Prefix int
	// Observe, when set, is told every request's route pattern, status and duration.
	Observe func(pattern string, status int, d time.Duration)
	// CountLogin, when set, is told each log-in's outcome: ok, invalid, throttled, shed
	// or error (second_factor when a right password waits for a code). CountSignup is told
	// of each new account.
	CountLogin  func(outcome string)
	CountSignup func()
}

// Accounts is every way in, each ending in a started session.
type Accounts interface {
	Password(ctx context.Context, in auth.LoginInput, c login.Client) (login.Attempt, error)
	Signup(ctx context.Context, in auth.SignupInput, c login.Client) (login.Started, error)
	ChangePassword(ctx context.Context, u auth.User, in auth.ChangePasswordInput, c login.Client) (login.Started, error)
	Reset(ctx context.Context, in login.ResetInput, c login.Client) (login.Started, error)
	SecondFactor(ctx context.Context, token string, p auth.Proof, c login.Client) (login.Finished, error)
	Passkey(ctx context.Context, response []byte, c login.Client) (login.Attempt, error)
}

// Recovery is how owners prove their address: the recovery package's Service.
type Recovery interface {
	RequestReset(ctx context.Context, email string, c login.Client) error
	RequestVerification(ctx context.Context, email string, c login.Client) error
	ConfirmVerification(ctx context.Context, token string, c login.Client) (auth.User, error)
	RequestEmailChange(ctx context.Context, u auth.User, password, email string, p auth.Proof, c login.Client) error
	ConfirmEmailChange(ctx context.Context, token string, keep recovery.Session, c login.Client) (auth.User, error)
	UndoEmailChange(ctx context.Context, token string, c login.Client) (auth.User, error)
}

// Owners is what a person does to their account as a whole: the account package's
// Service.
type Owners interface {
	Delete(ctx context.Context, u auth.User, password string, p auth.Proof, o events.Origin) error
	Export(ctx context.Context, userID int64) (account.Data, error)
}

// Sessions restores, lists and ends sessions.
type Sessions interface {
	Restore(ctx context.Context, token string) (auth.User, string, error)
	List(ctx context.Context, userID int64) ([]session.Session, error)
	EndOne(ctx context.Context, userID int64, id string, o events.Origin) error
	EndOthers(ctx context.Context, userID int64, keep string, o events.Origin) (int64, error)
	End(ctx context.Context, userID int64, id string, o events.Origin) error
	TTL() time.Duration
}

// Server is the HTTP handler with its dependencies.
type Server struct {
	log         *slog.Logger
	accounts    Accounts
	sessions    Sessions
	csrf        csrf
	cookies     cookies
	device      deviceCookie
	prod        bool
	now         func() time.Time
	ready       func(ctx context.Context) error
	trustProxy  []netip.Prefix
	origins     origins
	limiter     AddressLimiter
	mailLimiter AddressLimiter
	ceremonies  AddressLimiter
	mailSlots   chan struct{}
	recovery    Recovery
	events      EventLog
	owners      Owners
	factors     Factors
	passkeys    Passkeys
	ipv6Bits    int
	observe     func(pattern string, status int, d time.Duration)
	requestIDs  *requestIDs
	countLogin  func(outcome string)
	signedUp    func()
	handler     http.Handler
}

// NewServer wires the routes and middleware into one http.Handler.
func NewServer(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Recovery == nil {
		d.Recovery = mailOff{}
	}
	if d.Events == nil {
		d.Events = noEvents{}
	}
	if d.Owners == nil {
		d.Owners = noOwners{}
	}
	if d.Factors == nil {
		d.Factors = noFactors{}
	}
	if d.Passkeys == nil {
		d.Passkeys = noPasskeys{}
	}
	if d.Devices == nil {
		d.Devices = auth.NewDevices(d.CSRFKey, 0, d.Now)
	}
	s := &Server{
		log:         d.Log,
		accounts:    d.Accounts,
		sessions:    d.Sessions,
		csrf:        newCSRF(d.CSRFKey),
		cookies:     newCookies(d.Production),
		device:      newDeviceCookie(d.Production, d.Devices),
		prod:        d.Production,
		now:         d.Now,
		ready:       d.Ready,
		trustProxy:  d.TrustProxy,
		origins:     newOrigins(d.Origins),
		limiter:     d.AddressLimiter,
		mailLimiter: d.MailLimiter,
		ceremonies:  d.CeremonyLimiter,
		mailSlots:   make(chan struct{}, cmp.Or(d.MailConcurrency, DefaultMailConcurrency)),
		recovery:    d.Recovery,
		events:      d.Events,
		owners:      d.Owners,
		factors:     d.Factors,
		passkeys:    d.Passkeys,
		ipv6Bits:    d.IPv6Prefix,
		observe:     d.Observe,
		requestIDs:  newRequestIDs(),
		countLogin:  d.CountLogin,
		signedUp:    d.CountSignup,
	}
	if s.ipv6Bits == 0 {
		s.ipv6Bits = DefaultIPv6Prefix
	}
	if s.countLogin == nil {
		s.countLogin = func(string) {}
	}
	if s.signedUp == nil {
		s.signedUp = func() {}
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.middleware(withJSONFallbacks(mux))
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// middleware wraps h in the seed's order: log, recover, CORS (development), security
// headers, refusing chunked bodies, cross-origin protection, CSRF, restore the user.
func (s *Server) middleware(h http.Handler) http.Handler {
	h = s.restoreUser(h)
	h = s.checkCSRF(h)
	h = s.crossOrigin(h)
	h = s.refuseChunked(h)
	h = s.securityHeaders(h)
	if !s.prod {
		h = s.cors(h)
	}
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}

// mailOff is Recovery on a server wired without it: every mail flow is unavailable.
type mailOff struct{}

func (mailOff) RequestReset(context.Context, string, login.Client) error { return auth.ErrMailOff }
func (mailOff) RequestVerification(context.Context, string, login.Client) error {
	return auth.ErrMailOff
}
func (mailOff) ConfirmVerification(context.Context, string, login.Client) (auth.User, error) {
	return auth.User{}, auth.ErrMailOff
}
func (mailOff) RequestEmailChange(context.Context, auth.User, string, string, auth.Proof, login.Client) error {
	return auth.ErrMailOff
}
func (mailOff) ConfirmEmailChange(context.Context, string, recovery.Session, login.Client) (auth.User, error) {
	return auth.User{}, auth.ErrMailOff
}
func (mailOff) UndoEmailChange(context.Context, string, login.Client) (auth.User, error) {
	return auth.User{}, auth.ErrMailOff
}
