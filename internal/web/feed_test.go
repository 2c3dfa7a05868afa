package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"meetingd/decisions"
	"meetingd/internal/people"
)

// The feed is read back with an independent parser (arran4/golang-ical, not
// the emersion/go-ical that wrote it).
func TestPersonalFeedParsesBack(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ana, _ := people.ByEmail(context.Background(), ta.DB, "ana@example.com")
	d, err := ta.Meetings.OpenDecision(context.Background(), people.Actor{PersonID: ana.ID}, occ,
		decisions.Input{Title: "Pick a date, with a comma; and more", Proposal: "P"})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if code := ta.Call("GET", "/api/v1/me/feed", ta.Token("ben@example.com"), "", nil, &out); code != 200 {
		t.Fatalf("feed url: %d", code)
	}
	feed := out["url"]
	resp, err := http.Get(feed)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Fatalf("content type %q", ct)
	}
	cal, err := ics.ParseCalendar(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("independent parser refused the feed: %v", err)
	}
	got := map[string]time.Time{}
	for _, ev := range cal.Events() {
		start, err := ev.GetStartAt()
		if err != nil {
			t.Fatalf("event start: %v", err)
		}
		got[ev.GetProperty(ics.ComponentPropertySummary).Value] = start.UTC()
	}
	want := map[string]time.Time{
		"Pre-read out: Roadmap":                                t0.Add(24 * time.Hour),
		"Decision closes: Pick a date, with a comma; and more": d.ClosesAt,
	}
	for summary, at := range want {
		if g, ok := got[summary]; !ok || !g.Equal(at) {
			t.Errorf("feed has %q at %v (%v); want %v\nfeed: %v", summary, g, ok, at, got)
		}
	}
	// A wrong secret finds nothing; rotating retires the old URL.
	if resp, _ := http.Get(strings.Replace(feed, "/feed/", "/feed/x", 1)); resp.StatusCode != 404 {
		t.Fatalf("wrong secret: %d", resp.StatusCode)
	}
	ta.Call("POST", "/api/v1/me/feed/rotate", ta.Token("ben@example.com"), "", nil, &out)
	if resp, _ := http.Get(feed); resp.StatusCode != 404 || out["url"] == feed {
		t.Fatalf("old feed URL still works after rotation: %d", resp.StatusCode)
	}
}

func TestMetrics(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ana, _ := people.ByEmail(context.Background(), ta.DB, "ana@example.com")
	if _, err := ta.Meetings.OpenDecision(context.Background(), people.Actor{PersonID: ana.ID}, occ, decisions.Input{Title: "T", Proposal: "P"}); err != nil {
		t.Fatal(err)
	}
	ta.At(t0.Add(time.Minute)) // delivers the decision emails
	ta.Call("GET", "/api/v1/decisions/1", ta.Token("ana@example.com"), "", nil, nil)
	resp, err := http.Get(ta.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	for _, want := range []string{
		`meetingd_decisions_open 1`,
		`meetingd_jobs_total{kind="email.send",result="ok"} 2`,
		`meetingd_emails_sent_total{kind="decision_opened",transport="local"} 2`,
		`meetingd_http_request_duration_seconds_count{code="200",method="GET",route="/api/v1/decisions/{id}"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Someone who subscribes before they have any meeting or decision gets an
// empty calendar, not an error.
func TestEmptyFeedIsACalendar(t *testing.T) {
	ta := newTestApp(t, "", t0)
	var out map[string]string
	if code := ta.Call("GET", "/api/v1/me/feed", ta.Token("new@example.com"), "", nil, &out); code != 200 {
		t.Fatalf("feed url: %d", code)
	}
	resp, err := http.Get(out["url"])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("empty feed: %d", resp.StatusCode)
	}
	cal, err := ics.ParseCalendar(resp.Body)
	if err != nil || len(cal.Events()) != 0 {
		t.Fatalf("empty feed: %v, %d events", err, len(cal.Events()))
	}
}
