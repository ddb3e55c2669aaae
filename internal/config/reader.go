package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// reader reads settings through getenv and keeps one error per bad setting, so Load can
// report every problem at once instead of stopping at the first. A reader that finds a
// problem returns the zero value: Load then returns no Config at all.
type reader struct {
	getenv func(string) string
	errs   []error
}

// failf records a problem; the message starts with the variable's name and fits one line.
func (r *reader) failf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, args...))
}

// str reads name without surrounding white space.
func (r *reader) str(name string) string { return strings.TrimSpace(r.getenv(name)) }

// int reads a whole number from lo to hi, def when unset.
func (r *reader) int(name string, def, lo, hi int) int {
	s := r.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		r.failf("%s must be a whole number from %d to %d, not %q", name, lo, hi, s)
		return 0
	}
	return n
}

// duration reads whole seconds ("86400") or a Go duration ("24h") of at least a second.
func (r *reader) duration(name string, def time.Duration) time.Duration {
	s := r.str(name)
	if s == "" {
		return def
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	// Whole days ("90d"), which time.ParseDuration does not read, for the long settings.
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 100*365 {
			return time.Duration(n) * 24 * time.Hour
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		r.failf("%s must be seconds or a duration such as 24h or 90d, at least 1s, not %q", name, s)
		return 0
	}
	return d
}

// host reads an IP address (IPv6 with or without brackets) or a host name to listen on,
// without a port; "" means every interface.
func (r *reader) host(name string) string {
	s := r.str(name)
	if s == "" {
		return ""
	}
	bare := s
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		bare = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(bare); err == nil {
		return a.String()
	}
	if bare == s && validHostName(s) {
		return s
	}
	r.failf("%s must be an IP address or a host name to listen on, without a port (e.g. 127.0.0.1, ::1 or localhost), not %q", name, s)
	return ""
}

// list splits a comma- or space-separated list, passing each entry through norm.
func (r *reader) list(name string, norm func(string) string) []string {
	out := strings.FieldsFunc(r.getenv(name), func(c rune) bool { return c == ',' || c == ' ' })
	for i := range out {
		out[i] = norm(out[i])
	}
	return out
}

// prefixes reads a list of addresses and CIDRs; an address stands for itself alone.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range r.list(name, strings.TrimSpace) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			r.failf("%s must list IP addresses or CIDRs (10.0.0.0/8), not %q", name, f)
			return nil
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
}

// firstNonEmpty returns the first of vals that is not blank, trimmed.
func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// bool reads true or false (also 1/0, yes/no, on/off), def when unset.
func (r *reader) bool(name string, def bool) bool {
	switch strings.ToLower(r.str(name)) {
	case "":
		return def
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	r.failf("%s must be true or false, not %q", name, r.str(name))
	return false
}
