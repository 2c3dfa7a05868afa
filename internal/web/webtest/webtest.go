// Package webtest serves the whole of meetingd (apptest's) on a loopback
// HTTP server, for tests that use its API, pages and links.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"meetingd/internal/apptest"
)

// App is meetingd under test, behind its server.
type App struct {
	*apptest.App
	Srv *httptest.Server
	URL string // the server's address, which is also the app's base URL
}

// New builds meetingd as apptest.New does, with the server's address as
// its base URL, and serves it.
func New(t testing.TB, now time.Time, opts ...apptest.Option) *App {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	a := apptest.New(t, now, append([]apptest.Option{apptest.BaseURL(srv.URL)}, opts...)...)
	srv.Config.Handler = a.Handler(context.Background())
	return &App{App: a, Srv: srv, URL: srv.URL}
}

// Call makes an API request and decodes the JSON answer into out (if not
// nil). body may be a string, bytes, or a value to send as JSON.
func (a *App) Call(method, path, token, contentType string, body any, out any) int {
	a.T.Helper()
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
	req, _ := http.NewRequest(method, a.URL+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.Srv.Client().Do(req)
	if err != nil {
		a.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.T.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}
