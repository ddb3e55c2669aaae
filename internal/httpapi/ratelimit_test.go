package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"authme/internal/logging"
	"authme/internal/testkit"
)

func TestAddressKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, addr string
		bits       int
		want       string
	}{
		{"IPv4IsItsOwnBucket", "203.0.113.7", 64, "a:203.0.113.7"},
		{"IPv6IsItsSlash64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "a:2001:db8:1:2::/64"},
		{"IPv6NeighboursShareTheKey", "2001:db8:1:2::1", 64, "a:2001:db8:1:2::/64"},
		{"IPv6ShorterPrefix", "2001:db8:1:2::1", 48, "a:2001:db8:1::/48"},
		{"IPv6WholeAddress", "2001:db8:1:2::1", 128, "a:2001:db8:1:2::1/128"},
		{"IPv6ZoneIsDropped", "fe80::1%eth0", 64, "a:fe80::/64"},
		{"NoAddress", "", 64, "a:unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var a netip.Addr
			if tt.addr != "" {
				a = netip.MustParseAddr(tt.addr)
			}
			if got := addressKey(a, tt.bits); got != tt.want {
				t.Errorf("addressKey(%s, %d) = %q, want %q", tt.addr, tt.bits, got, tt.want)
			}
		})
	}
}

// fakeLimiter answers Allow as told and records the keys it was asked about.
type fakeLimiter struct {
	ok   bool
	wait time.Duration
	err  error
	keys []string
}

func (f *fakeLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	f.keys = append(f.keys, key)
	return f.ok, f.wait, f.err
}

func TestLimitByAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limiter    fakeLimiter
		path       string
		wantStatus int
		wantRetry  string
		wantCount  string // the log-in outcome counted, if any
		wantLog    string
	}{
		{"GrantedGoesOn", fakeLimiter{ok: true}, "/api/session", http.StatusNoContent, "", "", ""},
		{"RefusedLogInIs429AndCounted", fakeLimiter{wait: 1500 * time.Millisecond}, "/api/session", http.StatusTooManyRequests, "2", "throttled", ""},
		{"RefusedSignupIs429", fakeLimiter{wait: 30 * time.Second}, "/api/users", http.StatusTooManyRequests, "30", "", ""},
		{"LimiterErrorFailsOpenWithAWarning", fakeLimiter{err: errors.New("database is locked")}, "/api/session", http.StatusNoContent, "", "", "WARN per-address limit unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := &testkit.Buffer{}
			var counted []string
			lim := tt.limiter
			s := NewServer(Deps{
				Log:            logging.New(logs, false, slog.LevelInfo),
				AddressLimiter: &lim,
				CountLogin:     func(o string) { counted = append(counted, o) },
			})
			h := s.limitByAddress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			r := httptest.NewRequest(http.MethodPost, tt.path, nil)
			r.RemoteAddr = "[2001:db8:7:7::99]:4321"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus || w.Header().Get("Retry-After") != tt.wantRetry {
				t.Fatalf("status %d, Retry-After %q; want %d, %q", w.Code, w.Header().Get("Retry-After"), tt.wantStatus, tt.wantRetry)
			}
			if len(lim.keys) != 1 || lim.keys[0] != "a:2001:db8:7:7::/64" {
				t.Errorf("limiter asked about %v, want the client's /64", lim.keys)
			}
			if got := strings.Join(counted, ","); got != tt.wantCount {
				t.Errorf("counted %q, want %q", got, tt.wantCount)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log %q, want it to contain %q", logs.String(), tt.wantLog)
			}
		})
	}
}

// TestMailSlots: mail requests beyond the instance's slots wait for one, and past the
// wait are shed with 503 and Retry-After, logging nothing; a freed slot serves the next.
func TestMailSlots(t *testing.T) {
	t.Parallel()
	logs := &testkit.Buffer{}
	s := NewServer(Deps{Log: logging.New(logs, false, slog.LevelInfo), MailConcurrency: 1})
	release, entered := make(chan struct{}), make(chan struct{}, 2)
	h := s.limitMail(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusAccepted)
	}))
	serve := func() int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/password-reset", nil))
		if w.Code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") != "1" {
			t.Errorf("shed without Retry-After: %v", w.Header())
		}
		return w.Code
	}
	first := make(chan int)
	go func() { first <- serve() }()
	<-entered // the one slot is taken
	if got := serve(); got != http.StatusServiceUnavailable {
		t.Fatalf("a request while the slot stayed busy: %d, want 503", got)
	}
	close(release)
	if got := <-first; got != http.StatusAccepted {
		t.Fatalf("the request holding the slot: %d, want 202", got)
	}
	if got := serve(); got != http.StatusAccepted {
		t.Fatalf("a request once the slot was free: %d, want 202", got)
	}
	if logs.String() != "" {
		t.Errorf("shedding logged %q; it is load, not a fault", logs.String())
	}
}
