package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"authme/internal/mail"
)

func TestLogTransportWritesTheWholeMail(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	tr := mail.NewLog(slog.New(slog.NewTextHandler(&buf, nil)))
	m, err := mail.Render("password-reset", fullData())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	out := buf.String()
	for _, s := range []string{"level=INFO", "ann@example.com", "Reset your password", fullData().Link} {
		if !strings.Contains(out, s) {
			t.Errorf("log does not hold %q:\n%s", s, out)
		}
	}
}
