package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// scrape returns the metrics page.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMailMetrics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		pending func(context.Context) (int64, error)
		count   []string
		want    []string
	}{
		{
			name:    "OutcomesAreCountedAndPendingMailIsRead",
			pending: func(context.Context) (int64, error) { return 3, nil },
			count:   []string{"queued", "queued", "sent", "retried"},
			want: []string{
				`authme_mail_total{outcome="queued"} 2`, `authme_mail_total{outcome="sent"} 1`,
				`authme_mail_total{outcome="retried"} 1`, `authme_mail_total{outcome="failed"} 0`,
				`authme_mail_total{outcome="dropped"} 0`, `authme_mail_pending 3`,
			},
		},
		{
			name:    "PendingMailIsMinusOneWhenTheDatabaseFails",
			pending: func(context.Context) (int64, error) { return 0, errors.New("down") },
			want:    []string{`authme_mail_pending -1`, `authme_mail_total{outcome="sent"} 0`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := New(Sources{PendingMail: c.pending})
			for _, o := range c.count {
				m.CountMail(o)
			}
			page := scrape(t, m)
			for _, w := range c.want {
				if !strings.Contains(page, w+"\n") {
					t.Errorf("metrics page lacks %q", w)
				}
			}
		})
	}
	t.Run("NoPendingGaugeWithoutASource", func(t *testing.T) {
		t.Parallel()
		if page := scrape(t, New(Sources{})); strings.Contains(page, "authme_mail_pending") {
			t.Error("authme_mail_pending is exported without a source")
		}
	})
}
