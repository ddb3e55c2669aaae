package config

import (
	"net"
	"net/url"
	"strings"
)

// readPasskeys reads the WebAuthn relying party: WEBAUTHN_RP_ID (a domain, never an IP
// address: WebAuthn refuses those) and WEBAUTHN_ORIGINS (the exact origins, port
// included, whose pages may use passkeys). Both default from PUBLIC_URL; when it names an
// IP address, or nothing names a domain, passkeys are off (PasskeysOff says why).
func readPasskeys(r *reader, c *Config) {
	rpID := strings.ToLower(strings.TrimSpace(r.str("WEBAUTHN_RP_ID")))
	origins := r.list("WEBAUTHN_ORIGINS", func(o string) string { return strings.TrimSuffix(o, "/") })
	var public *url.URL
	if c.PublicURL != "" {
		public, _ = url.Parse(c.PublicURL) // checked by readMail
	}
	if rpID == "" && public != nil {
		rpID = strings.ToLower(public.Hostname())
		if net.ParseIP(rpID) != nil {
			c.PasskeysOff = "PUBLIC_URL names an IP address, which WebAuthn refuses as a relying party: set WEBAUTHN_RP_ID to a domain"
			return
		}
	}
	if rpID == "" {
		c.PasskeysOff = "set WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS (or PUBLIC_URL) to turn passkeys on"
		return
	}
	if net.ParseIP(rpID) != nil || strings.ContainsAny(rpID, "/:@ ") {
		r.failf("WEBAUTHN_RP_ID must be a domain such as example.com (WebAuthn refuses IP addresses), not %q", rpID)
		return
	}
	for _, o := range origins {
		if msg := checkOrigin(o, rpID, c.IsProduction()); msg != "" {
			r.failf("WEBAUTHN_ORIGINS entry %q %s", o, msg)
		}
	}
	if len(origins) == 0 && public != nil {
		// PUBLIC_URL's own checks apply to it, but not whether it is on the RP id.
		origins = []string{public.Scheme + "://" + public.Host}
		if host := strings.ToLower(public.Hostname()); host != rpID && !strings.HasSuffix(host, "."+rpID) {
			r.failf("WEBAUTHN_ORIGINS is required: its default, PUBLIC_URL's origin %s, is not on %s (WEBAUTHN_RP_ID)", origins[0], rpID)
			return
		}
	}
	if len(origins) == 0 {
		r.failf("WEBAUTHN_ORIGINS is required with WEBAUTHN_RP_ID when PUBLIC_URL is not set, e.g. https://auth.example.com")
		return
	}
	c.WebAuthnRPID, c.WebAuthnOrigins = rpID, origins
}

// checkOrigin says what is wrong with a WebAuthn origin for the relying party rpID.
func checkOrigin(o, rpID string, production bool) string {
	u, err := url.Parse(o)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "must be an origin such as https://auth.example.com"
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "must be an origin only: scheme, host and port, no path"
	}
	host := strings.ToLower(u.Hostname())
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return "is not on " + rpID + " (WEBAUTHN_RP_ID) or one of its subdomains"
	}
	if production && u.Scheme == "http" && !loopbackHost(host) {
		return "must be https in production"
	}
	return ""
}
