package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/db"
	"meetingd/internal/dbtest"
)

// A write that cannot have its turn before the request's wait runs out is
// answered 503 with Retry-After and the usual JSON error, not 500, and
// stores nothing; once the turn is free the same request succeeds.
func TestSaturatedWritesAnswer503(t *testing.T) {
	dbtest.SkipOnPostgres(t, "PostgreSQL's writers do not queue in the process")
	ta := newTestApp(t, "", t0, apptest.Config(func(c *app.Config) { c.WriteWait = time.Nanosecond }))
	tok := ta.Token("ben@example.com")
	patch := func() (*http.Response, map[string]map[string]string) {
		req, _ := http.NewRequest("PATCH", ta.URL+"/api/v1/me", strings.NewReader(`{"name": "Ben"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		return resp, body
	}

	// Another writer holds the turn.
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.InTx(context.Background(), ta.DB, func(*sqlx.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	resp, body := patch()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || body["error"]["code"] != "unavailable" {
		t.Fatalf("while the turn is held: %d, Retry-After %q, %v", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	var name string
	ta.DB.Get(&name, `SELECT name FROM people WHERE email = 'ben@example.com'`)
	if name != "" {
		t.Fatalf("a refused write stored %q", name)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if resp, body := patch(); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the turn is free: %d %v", resp.StatusCode, body)
	}
}

// When every request slot is taken, a request waits its turn and, past
// its wait, is answered 503 with Retry-After; probes still answer.
func TestFullServerAnswers503AndProbesStillAnswer(t *testing.T) {
	ta := newTestApp(t, "", t0, apptest.Config(func(c *app.Config) { c.WriteWait, c.MaxInFlight = time.Nanosecond, 1 }))
	tok := ta.Token("ben@example.com")
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", ta.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// A request whose body never finishes holds the one slot.
	body, finish := io.Pipe()
	slow := make(chan int)
	go func() {
		req, _ := http.NewRequest("PATCH", ta.URL+"/api/v1/me", body)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	finish.Write([]byte(`{"name": `)) // the handler is reading: the slot is taken
	refused := false
	for range 1000 {
		if resp := get("/api/v1/me"); resp.StatusCode == http.StatusServiceUnavailable {
			refused = resp.Header.Get("Retry-After") != ""
			break
		}
	}
	if !refused {
		t.Fatal("a full server never answered 503 with Retry-After")
	}
	if resp := get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz answered %d while full", resp.StatusCode)
	}
	finish.Write([]byte(`"Ben"}`))
	finish.Close()
	if code := <-slow; code != http.StatusOK {
		t.Fatalf("the slow request got %d", code)
	}
	if resp := get("/api/v1/me"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the slot is free: %d", resp.StatusCode)
	}
}
