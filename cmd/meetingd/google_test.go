package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/calendar/google"
	"meetingd/calendar/google/googlefake"
	"meetingd/decisions"
	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/clock"
	"meetingd/internal/people"
	"meetingd/internal/web/webtest"
)

// serviceAccountKey writes a service account's JSON key whose token_uri is
// the fake's.
func serviceAccountKey(t *testing.T, tokenURI string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	raw, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "meetingd-test",
		"private_key_id": "k1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "meetingd@meetingd-test.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokenURI})
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// googleFlags parses the --google-* flags as a command line would.
func googleFlags(t *testing.T, args ...string) googleSettings {
	t.Helper()
	var cfg config
	fs := flag.NewFlagSet("google", flag.ContinueOnError)
	cfg.registerGoogle(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cfg.Google
}

// TestGoogleThroughTheApp runs the real app with Google on, through its
// flags, against the fake: a service account impersonating ana syncs her
// calendar, attaches docs and hears pushes on the app's own webhook.
func TestGoogleThroughTheApp(t *testing.T) {
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	c := clock.NewFake(now)
	fake := googlefake.New(c)
	gsrv := httptest.NewServer(fake)
	defer gsrv.Close()
	fake.SetURL(gsrv.URL)
	for _, u := range []string{"ana@example.com", "ben@example.com"} {
		fake.AddUser(u, "Europe/Berlin")
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(d, h int) *gcalendar.EventDateTime {
		return &gcalendar.EventDateTime{DateTime: time.Date(2026, 11, d, h, 0, 0, 0, berlin).Format(time.RFC3339), TimeZone: "Europe/Berlin"}
	}
	fake.PutEvent("ana@example.com", &gcalendar.Event{Id: "standup", Summary: "Standup", Start: at(3, 9), End: at(3, 10),
		Recurrence: []string{"RRULE:FREQ=DAILY;COUNT=5"}, Organizer: &gcalendar.EventOrganizer{Email: "ana@example.com"},
		Attendees: []*gcalendar.EventAttendee{{Email: "ana@example.com", Organizer: true}, {Email: "ben@example.com"}}})

	srv := httptest.NewServer(nil)
	defer srv.Close()
	cfg := testConfig(t, tempDB(t))
	cfg.BaseURL = srv.URL
	cfg.Google = googleFlags(t, "--google-calendars=ana@example.com", "--google-credentials="+serviceAccountKey(t, gsrv.URL+"/token"),
		"--google-endpoint="+gsrv.URL, "--google-webhook="+srv.URL+google.NotifyPath, "--google-share-role=commenter")
	ctx := context.Background()
	acfg, err := cfg.app()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, acfg, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Google == nil {
		t.Fatal("Google not started by the app")
	}
	srv.Config.Handler = a.Handler(ctx)
	ta := &webtest.App{App: &apptest.App{App: a, T: t, Clock: c}, Srv: srv, URL: srv.URL}

	ta.At(now)
	if _, err := fake.Deliver(ctx); err != nil { // the echo of meetingd's own patch
		t.Fatal(err)
	}
	ta.At(now)
	fake.PutEvent("ana@example.com", &gcalendar.Event{Id: "review", Summary: "Review", Start: at(4, 15), End: at(4, 16),
		Organizer: &gcalendar.EventOrganizer{Email: "ana@example.com"},
		Attendees: []*gcalendar.EventAttendee{{Email: "ana@example.com", Organizer: true}, {Email: "ben@example.com"}}})
	ds, err := fake.Deliver(ctx)
	if err != nil || len(ds) != 1 || ds[0].Status != http.StatusOK {
		t.Fatalf("push to the app's webhook: %+v %v", ds, err)
	}
	ta.At(now)

	var resp struct {
		Occurrences []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"occurrences"`
	}
	list := &resp.Occurrences
	if code := ta.Call("GET", "/api/v1/occurrences?limit=50", ta.Token("ben@example.com"), "", nil, &resp); code != 200 || len(*list) != 6 {
		t.Fatalf("ben sees %d occurrences (%d), want 5 standups and the review", len(*list), code)
	}
	var view struct {
		NotesURL string `json:"notes_url"`
	}
	ta.Call("GET", "/api/v1/occurrences/"+strconv.FormatInt((*list)[0].ID, 10), ta.Token("ben@example.com"), "", nil, &view)
	if !strings.HasPrefix(view.NotesURL, "https://docs.google.com/document/d/") {
		t.Errorf("notes url %q is not the Google Doc", view.NotesURL)
	}
	if ev := fake.Event("ana@example.com", "standup"); len(ev.Attachments) != 1 || !ev.Attendees[1].Optional {
		t.Errorf("standup not attached or ben not optional: %+v", ev)
	}
	if files := fake.Files(); len(files) != 2 {
		t.Errorf("%d docs for two series", len(files))
	}
	for _, f := range fake.Files() {
		if p := fake.Permissions(f); len(p) != 1 || p[0].Email != "ben@example.com" || p[0].Role != "commenter" {
			t.Errorf("doc %s shared %+v", f, p)
		}
	}

	var status struct {
		Calendars []google.Status `json:"calendars"`
	}
	ops := ta.Token("ops@example.com")
	if code := ta.Call("GET", "/api/v1/google/calendars", ops, "", nil, &status); code != 200 || len(status.Calendars) != 1 ||
		!status.Calendars[0].Connected || status.Calendars[0].SyncedAt == nil || status.Calendars[0].ChannelExpires == nil {
		t.Errorf("status %d %+v", code, status)
	}
	if code := ta.Call("GET", "/api/v1/google/calendars", ta.Token("ben@example.com"), "", nil, nil); code != http.StatusForbidden {
		t.Errorf("a non-operator read the Google status: %d", code)
	}
	if n := fake.Calls()["oauth2.token"]; n == 0 {
		t.Error("the service account never asked for a token")
	}
	for _, r := range fake.Requests("calendar.events.list") {
		if r.Header.Get("Authorization") == "" {
			t.Error("an unauthenticated call")
		}
	}

	// A decision of a synced meeting, once closed, is written into its
	// Google Doc: queued in the transaction that closes it, then done by a job.
	var occ int64
	a.DB.Get(&occ, `SELECT o.id FROM occurrences o JOIN series s ON s.id = o.series_id WHERE s.uid = 'standup' ORDER BY o.starts_at LIMIT 1`)
	anaP, _ := people.ByEmail(ctx, a.DB, "ana@example.com")
	d, err := a.Meetings.OpenDecision(ctx, anaP.Actor(), occ, decisions.Input{Title: "Keep the standup at nine",
		Proposal: "It works for everyone.", Window: "24h"})
	if err != nil {
		t.Fatal(err)
	}
	ta.At(d.ClosesAt)
	ta.At(d.ClosesAt.Add(time.Minute))
	written := false
	for _, f := range fake.Files() {
		for _, p := range fake.DocParagraphs(f) {
			written = written || strings.Contains(p.Text, "Keep the standup at nine — ACCEPTED")
		}
	}
	if !written {
		t.Errorf("the closed decision is not in the Google Doc")
	}

	// Delegation withdrawn: the calendar stops and the operator is told.
	fake.Revoke("ana@example.com")
	fake.PutEvent("ana@example.com", &gcalendar.Event{Id: "late", Summary: "Late", Start: at(5, 15), End: at(5, 16),
		Organizer: &gcalendar.EventOrganizer{Email: "ana@example.com"},
		Attendees: []*gcalendar.EventAttendee{{Email: "ana@example.com", Organizer: true}, {Email: "ben@example.com"}}})
	if _, err := fake.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	ta.At(ta.Clock.Now())
	status.Calendars = nil
	ta.Call("GET", "/api/v1/google/calendars", ops, "", nil, &status)
	if len(status.Calendars) != 1 || !strings.Contains(status.Calendars[0].StopReason, "unauthorized_client") {
		t.Errorf("after revoking the delegation: %+v", status.Calendars)
	}
	var mails []string
	a.DB.Select(&mails, `SELECT kind || ' ' || to_addr FROM outbox WHERE kind = ?`, google.MailStopped)
	if len(mails) != 1 || !strings.HasSuffix(mails[0], " ops@example.com") {
		t.Errorf("operator emails %q", mails)
	}

	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("requests outside the discovery documents: %q", v)
	}
	var failed []string
	a.DB.Select(&failed, `SELECT kind || ': ' || last_error FROM jobs WHERE last_error <> ''`)
	if len(failed) > 0 {
		t.Errorf("failed jobs: %q", failed)
	}
}

func TestGoogleFlags(t *testing.T) {
	t.Setenv("MEETINGD_GOOGLE_CALENDARS", "ana@example.com,team@group.calendar.google.com=ana@example.com")
	s := googleFlags(t, "--google-client=/dev/null", "--google-token-key=00")
	if _, err := googleConfig(s, "https://meetingd.example.com"); err == nil || !strings.Contains(err.Error(), "--google-token-key") {
		t.Errorf("a short token key: %v", err)
	}
	s = googleFlags(t, "--google-credentials="+os.DevNull)
	cfg, err := googleConfig(s, "https://meetingd.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Calendars) != 2 || cfg.Calendars[1].ID != "team@group.calendar.google.com" || cfg.Calendars[1].Subject != "ana@example.com" {
		t.Errorf("calendars %+v", cfg.Calendars)
	}
	if cfg.WebhookURL != "https://meetingd.example.com/google/notify" || cfg.ShareRole != "writer" || cfg.SafetyPoll != 6*time.Hour || cfg.Meet {
		t.Errorf("config %+v", cfg)
	}
	// Meet asks for more scopes, so it is off unless asked for.
	if cfg, err := googleConfig(googleFlags(t, "--google-credentials="+os.DevNull, "--google-meet"), "https://meetingd.example.com"); err != nil || !cfg.Meet {
		t.Errorf("--google-meet: %+v %v", cfg, err)
	}
	for base, want := range map[string]bool{"http://localhost:8080": false, "https://127.0.0.1": false, "https://10.1.2.3": false,
		"https://meetingd.example.com": true, "https://box.local": false} {
		if publicHTTPS(base) != want {
			t.Errorf("publicHTTPS(%s) = %v", base, !want)
		}
	}
	if g, err := googleConfig(googleFlags(t, "--google-calendars="), "https://meetingd.example.com"); err != nil || g != nil {
		t.Errorf("Google off: %v %v", g, err)
	}
}
