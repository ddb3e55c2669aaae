package mfa

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// The RFC 6238 appendix B secret, as base32: the code is checked against the
// library's generator at known times, at and around step boundaries.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func codeAt(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(rfcSecret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatch(t *testing.T) {
	t.Parallel()
	// A step boundary: 1111111110 is 37037037 steps of 30 s exactly.
	boundary := time.Unix(1111111110, 0)
	step := StepAt(boundary)
	for _, tc := range []struct {
		name     string
		madeAt   time.Time // when the app made the code
		now      time.Time // the server's clock
		after    int64     // the last step accepted
		wantOK   bool
		wantStep int64
	}{
		{"SameStep", boundary, boundary.Add(29 * time.Second), 0, true, step},
		{"LastSecondOfStep", boundary.Add(-time.Second), boundary.Add(-time.Second), 0, true, step - 1},
		{"OneStepBehindIsSkew", boundary.Add(-time.Second), boundary, 0, true, step - 1},
		{"OneStepAheadIsSkew", boundary.Add(30 * time.Second), boundary, 0, true, step + 1},
		{"TwoStepsBehindIsRefused", boundary.Add(-31 * time.Second), boundary, 0, false, 0},
		{"TwoStepsAheadIsRefused", boundary.Add(60 * time.Second), boundary, 0, false, 0},
		{"ReplayOfTheAcceptedStepIsRefused", boundary, boundary, step, false, 0},
		{"AnEarlierStepAfterALaterOneIsRefused", boundary.Add(-30 * time.Second), boundary, step, false, 0},
		{"ALaterStepAfterAnEarlierOneIsAccepted", boundary.Add(30 * time.Second), boundary, step, true, step + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := Match(rfcSecret, codeAt(t, tc.madeAt), tc.now, tc.after)
			if err != nil || ok != tc.wantOK || got != tc.wantStep {
				t.Errorf("Match = %d, %v, %v; want %d, %v", got, ok, err, tc.wantStep, tc.wantOK)
			}
		})
	}
}

func TestMatchRefusesWhatIsNotTheCode(t *testing.T) {
	t.Parallel()
	now := time.Unix(1111111110, 0)
	right := codeAt(t, now)
	wrong := []byte(right)
	wrong[5] = '0' + (wrong[5]-'0'+1)%10
	for _, code := range []string{string(wrong), "", "12345", "1234567", "abcdef", right + "0", "０１２３４５"} {
		if _, ok, err := Match(rfcSecret, code, now, 0); ok || err != nil {
			t.Errorf("Match(%q) = %v, %v; want refused", code, ok, err)
		}
	}
	// Spaces and dashes people type (or apps show) are ignored.
	for _, code := range []string{right[:3] + " " + right[3:], right[:3] + "-" + right[3:], " " + right + " "} {
		if _, ok, _ := Match(rfcSecret, code, now, 0); !ok {
			t.Errorf("Match(%q) refused the right code", code)
		}
	}
}

func TestNewSecretIsUsable(t *testing.T) {
	t.Parallel()
	a, err := newSecret("authme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newSecret("authme", "alice")
	if a.Secret == b.Secret || len(a.Secret) != 32 {
		t.Fatalf("secrets %q and %q: want two different 160-bit secrets", a.Secret, b.Secret)
	}
	want := "otpauth://totp/authme:alice?algorithm=SHA1&digits=6&issuer=authme&period=30&secret=" + a.Secret
	if a.URI != want {
		t.Errorf("URI = %q, want %q", a.URI, want)
	}
	if len(a.QRCode) < 100 || a.QRCode[:22] != "data:image/png;base64," {
		t.Errorf("QR code %.40q…: want a PNG data URI", a.QRCode)
	}
	now := time.Now()
	code, _ := totp.GenerateCode(a.Secret, now)
	if _, ok, err := Match(a.Secret, code, now, 0); !ok || err != nil {
		t.Errorf("a code of the new secret is refused: %v", err)
	}
}
