package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/db"
)

// A write that cannot have its turn before the request's wait runs out is
// answered 503 with Retry-After and the usual JSON error, not 500, and
// stores nothing; once the turn is free the same request succeeds.
func TestSaturatedWritesAnswer503(t *testing.T) {
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
