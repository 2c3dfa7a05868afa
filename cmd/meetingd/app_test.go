package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/httpx"
	"meetingd/meetings"
)

// testConfig is the embedded default with a test database.
func testConfig(t testing.TB, dbPath, smtpURL string) config {
	var cfg config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg.register(fs)
	fs.Parse(nil)
	cfg.DB, cfg.SMTP = dbPath, smtpURL
	cfg.Operators = "ops@example.com"
	return cfg
}

// testApp is the whole service on a fake clock, behind a loopback server.
type testApp struct {
	*app
	t     testing.TB
	clock *clock.Fake
	srv   *httptest.Server
}

func newTestApp(t testing.TB, dbPath, smtpURL string, now time.Time) *testApp {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := testConfig(t, dbPath, smtpURL)
	cfg.BaseURL = srv.URL
	c := clock.NewFake(now)
	a, err := newApp(context.Background(), cfg, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close() })
	srv.Config.Handler = a.handler()
	return &testApp{app: a, t: t, clock: c, srv: srv}
}

func tempDB(t testing.TB) string { return filepath.Join(t.TempDir(), "meetingd.db") }

// at moves the clock to when and runs all work due by then.
func (ta *testApp) at(when time.Time) {
	ta.t.Helper()
	ta.clock.Set(when)
	if _, err := ta.worker.RunDue(context.Background()); err != nil {
		ta.t.Fatal(err)
	}
}

// token signs email in and returns an API token for them.
func (ta *testApp) token(email string) string {
	ta.t.Helper()
	p, err := meetings.EnsurePerson(context.Background(), ta.db, email, "", "UTC", ta.clock.Now())
	if err != nil {
		ta.t.Fatal(err)
	}
	tok, err := httpx.NewToken(context.Background(), ta.db, p.ID, "test", ta.clock.Now())
	if err != nil {
		ta.t.Fatal(err)
	}
	return tok
}

// call makes an API request and decodes the JSON answer into out (if not nil).
func (ta *testApp) call(method, path, token, contentType string, body any, out any) int {
	ta.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, _ := http.NewRequest(method, ta.srv.URL+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ta.srv.Client().Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			ta.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}
