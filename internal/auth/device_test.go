package auth_test

import (
	"strings"
	"testing"
	"time"

	"authme/internal/auth"
	"authme/internal/testkit"
)

func TestDevices(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Unix(1_800_000_000, 0))
	d := auth.NewDevices([]byte("device test secret, at least 32 bytes"), time.Hour, clk.Now)
	tok := d.Issue(auth.Device{UserID: 7})
	dev, ok := d.Parse(tok)
	if !ok || dev.UserID != 7 || len(dev.ID) < 20 {
		t.Fatalf("Parse(Issue) = %+v, %v; want user 7 with a random id", dev, ok)
	}
	if again := d.Issue(dev); !strings.Contains(again, "."+dev.ID+".") {
		t.Errorf("re-issuing device %q made %q: the device id must stay", dev.ID, again)
	}
	if other, _ := d.Parse(d.Issue(auth.Device{UserID: 7})); other.ID == dev.ID {
		t.Error("two new devices share an id")
	}
	parts := strings.Split(tok, ".")
	forged := strings.Join(append([]string{parts[0], "8"}, parts[2:]...), ".")
	otherKey := auth.NewDevices([]byte("another secret, also at least 32 bytes"), time.Hour, clk.Now)
	tests := []struct {
		name, tok string
	}{
		{"Empty", ""},
		{"OtherAccount", forged},
		{"OtherKey", otherKey.Issue(auth.Device{UserID: 7})},
		{"Truncated", tok[:len(tok)-1]},
		{"NoMAC", strings.Join(parts[:4], ".")},
		{"Overlong", tok + strings.Repeat("a", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name+"IsRefused", func(t *testing.T) {
			if dev, ok := d.Parse(tt.tok); ok {
				t.Errorf("Parse accepted %q as %+v", tt.tok, dev)
			}
		})
	}
	t.Run("ExpiredIsRefused", func(t *testing.T) {
		clk.Advance(time.Hour)
		if _, ok := d.Parse(tok); ok {
			t.Error("a device token is accepted after its TTL")
		}
	})
}
