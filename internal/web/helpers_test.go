package web_test

import (
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"meetingd/internal/apptest"
	"meetingd/internal/mailtest"
	"meetingd/internal/web/webtest"
)

// Monday 2 November 2026, 10:00 UTC: working hours for everyone in UTC.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// testApp is the whole service behind its loopback server.
type testApp struct {
	*webtest.App
}

func newTestApp(t testing.TB, smtpURL string, now time.Time, opts ...apptest.Option) *testApp {
	t.Helper()
	if smtpURL != "" {
		opts = append(opts, apptest.SMTP(smtpURL))
	}
	return &testApp{App: webtest.New(t, now, opts...)}
}

// linkRE finds links in an email.
var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func subjects(ms []mailtest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}
