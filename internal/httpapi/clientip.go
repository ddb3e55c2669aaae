package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address a request came from. X-Forwarded-For is believed only when the
// direct peer is one of the trusted proxies, and then only as far back as the proxies
// go: the rightmost address that is not itself a trusted proxy. Otherwise anyone could
// pick their own address and dodge the per-address limits.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := remoteAddr(r)
	if len(trusted) == 0 || !inPrefixes(peer, trusted) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return addr // a malformed hop: stop at the last address we could trust
			}
			addr = a.Unmap()
			if !inPrefixes(addr, trusted) {
				return addr
			}
		}
	}
	return addr
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// DefaultIPv6Prefix is how many leading bits of an IPv6 address name its bucket when
// Deps.IPv6Prefix is 0: a /64 is what one subscriber or host is handed, and any address
// in it is theirs to use.
const DefaultIPv6Prefix = 64

// addressKey names addr's bucket: "a:" and the IPv4 address, or "a:" and the IPv6 prefix
// of v6bits bits (the zone dropped), so one client cannot get a fresh bucket by moving
// to the next address of its own network.
func addressKey(addr netip.Addr, v6bits int) string {
	switch {
	case !addr.IsValid():
		return "a:unknown"
	case addr.Is4():
		return "a:" + addr.String()
	}
	p, err := addr.WithZone("").Prefix(v6bits)
	if err != nil {
		return "a:" + addr.WithZone("").String()
	}
	return "a:" + p.String()
}
