package mail_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"authme/internal/mail"
)

func TestDescribeUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, ua, want string }{
		{"ChromeOnLinux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"},
		{"EdgeOnWindows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"},
		{"FirefoxOnMac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"},
		{"SafariOnIPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"ChromeOnAndroid", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
		{"Curl", "curl/8.5.0", "curl"},
		{"Empty", "", "an unknown browser"},
		{"UnknownIsShownAsSent", "MyScript/1.0", "MyScript/1.0"},
		{"ControlCharactersBecomeSpaces", "Evil\r\nClick: http://evil.example\tnow", "Evil Click: http://evil.example now"},
		{"BidiOverridesAreDropped", "abc\u202edcba", "abc dcba"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mail.DescribeUserAgent(tt.ua); got != tt.want {
				t.Errorf("DescribeUserAgent(%q) = %q, want %q", tt.ua, got, tt.want)
			}
		})
	}
	t.Run("LongUnknownIsCutTo120", func(t *testing.T) {
		t.Parallel()
		got := mail.DescribeUserAgent(strings.Repeat("é", 500))
		if n := utf8.RuneCountInString(got); n != 120 || !strings.HasSuffix(got, "…") {
			t.Errorf("got %d characters ending %q; want 120 ending with an ellipsis", n, got[len(got)-6:])
		}
	})
}
