package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/mailtest"
)

// Pages say values in words: an RSVP reads "no reply yet", not
// needs_action, and no audit line carries a raw timestamp.
func TestPagesShowWordsNotRawValues(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	occ := seedMeeting(t, ta)
	code, page := ta.page(t, ta.signIn(t, "ana@example.com"), fmt.Sprintf("/meetings/%d", occ))
	if code != http.StatusOK {
		t.Fatalf("meeting page: %d", code)
	}
	if strings.Contains(page, "needs_action") || !strings.Contains(page, "no reply yet") {
		t.Fatalf("RSVP shown raw:\n%s", page)
	}
	raw := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d`)
	if m := raw.FindString(page); m != "" {
		t.Fatalf("raw timestamp %q on the meeting page", m)
	}
	// A late objection extends a decision: its history says so in words.
	var d struct{ ID int64 }
	ana, ben := ta.Token("ana@example.com"), ta.Token("ben@example.com")
	if c := ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "Ship it", "proposal": "Ship on Friday.",
		"invitees": []string{"ben@example.com"}, "window": "24h"}, &d); c != 201 {
		t.Fatalf("create decision: %d", c)
	}
	if c := ta.Call("POST", fmt.Sprintf("/api/v1/decisions/%d/contributions", d.ID), ben, "", map[string]any{"kind": "object", "text": "Not Friday."}, nil); c != 200 {
		t.Fatalf("object: %d", c)
	}
	_, page = ta.page(t, ta.signIn(t, "ana@example.com"), fmt.Sprintf("/decisions/%d", d.ID))
	if m := raw.FindString(page); m != "" || !strings.Contains(page, "late objection") {
		t.Fatalf("decision history shows %q:\n%s", m, page)
	}
}

// The Meeting filter takes a name as well as a number; a name that matches
// nothing says so instead of being ignored.
func TestDecisionsFilterByMeetingName(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	occ := seedMeeting(t, ta) // "Roadmap"
	ana := ta.Token("ana@example.com")
	for _, title := range []string{"From the meeting", "Elsewhere"} {
		body := map[string]any{"title": title, "proposal": "P.", "invitees": []string{"ben@example.com"}}
		if title == "From the meeting" {
			body["occurrence_id"] = occ
		}
		if c := ta.Call("POST", "/api/v1/decisions", ana, "", body, nil); c != 201 {
			t.Fatalf("create %q: %d", title, c)
		}
	}
	c := ta.signIn(t, "ana@example.com")
	code, page := ta.page(t, c, "/decisions?meeting=roadm")
	if code != 200 || !strings.Contains(page, "From the meeting") || strings.Contains(page, "Elsewhere") {
		t.Fatalf("filter by name: %d\n%s", code, page)
	}
	if code, page = ta.page(t, c, "/decisions?meeting=Budget"); code != 400 || !strings.Contains(page, "no meeting of yours") {
		t.Fatalf("a name matching nothing: %d\n%s", code, page)
	}
}

// An ended meeting is not listed as upcoming, and once a meeting has
// started its page no longer offers to publish the pre-read.
func TestEndedMeetingsAreNotUpcoming(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	occ := seedMeeting(t, ta) // 48 h after t0, for an hour
	c := ta.signIn(t, "ana@example.com")
	if _, page := ta.page(t, c, fmt.Sprintf("/meetings/%d", occ)); !strings.Contains(page, "Publish to all attendees") {
		t.Fatalf("before the start, the organizer cannot publish:\n%s", page)
	}
	ta.At(t0.Add(48*time.Hour + 30*time.Minute))
	c = ta.signIn(t, "ana@example.com")
	if _, page := ta.page(t, c, "/meetings"); !strings.Contains(page, "Happening now") {
		t.Fatalf("a meeting under way is not shown as happening now:\n%s", page)
	}
	if _, page := ta.page(t, c, fmt.Sprintf("/meetings/%d", occ)); strings.Contains(page, "Publish to all attendees") {
		t.Fatalf("a started meeting offers to publish its pre-read")
	}
	ta.At(t0.Add(50 * time.Hour))
	c = ta.signIn(t, "ana@example.com")
	if _, page := ta.page(t, c, "/meetings"); strings.Contains(page, "Roadmap") {
		t.Fatalf("an ended meeting is listed:\n%s", page)
	}
}

// On an empty installation an operator's dashboard says how to start.
func TestFirstRunGuidesOperators(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	_, page := ta.page(t, ta.signIn(t, "ops@example.com"), "/decisions")
	if !strings.Contains(page, "Getting started") || !strings.Contains(page, "meetingd import") {
		t.Fatalf("an empty installation gives the operator no next step:\n%s", page)
	}
	seedMeeting(t, ta)
	if _, page = ta.page(t, ta.signIn(t, "ops@example.com"), "/decisions"); strings.Contains(page, "Getting started") {
		t.Fatal("the first-run guide stays after meetings exist")
	}
}

// A decision page says in a second where everyone stands, by name: counts
// for support, object, commented and not yet, and a participation bar.
func TestDecisionPageSummary(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	ta.DB.MustExec(`INSERT INTO people (email, name, time_zone, created_at) VALUES ('ben@example.com', 'Ben Okafor', 'UTC', ?)`, t0)
	var d struct{ ID int64 }
	ana := ta.Token("ana@example.com")
	if c := ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "Adopt Go", "proposal": "Use Go.",
		"invitees": []string{"ben@example.com", "cy@example.com", "dee@example.com"}}, &d); c != 201 {
		t.Fatalf("create: %d", c)
	}
	contribute := func(who, kind, text string) {
		t.Helper()
		if c := ta.Call("POST", fmt.Sprintf("/api/v1/decisions/%d/contributions", d.ID), ta.Token(who), "",
			map[string]any{"kind": kind, "text": text}, nil); c != 200 {
			t.Fatalf("%s %s: %d", who, kind, c)
		}
	}
	contribute("ben@example.com", "support", "")
	contribute("cy@example.com", "comment", "What about Rust?")
	_, page := ta.page(t, ta.signIn(t, "ana@example.com"), fmt.Sprintf("/decisions/%d", d.ID))
	for _, want := range []string{`id="n-support">1<`, `id="n-object">0<`, `id="n-comment">1<`, `id="n-notyet">1<`,
		"2 of 3 have had their say", "<dd>Ben Okafor</dd>", "<dd>dee@example.com</dd>", `class="seg-support"`} {
		if !strings.Contains(page, want) {
			t.Errorf("decision page lacks %q", want)
		}
	}
}

// The organizer holds a meeting async with one click from its page; the
// page then says so and offers it no more.
func TestHoldAsyncFromTheMeetingPage(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	occ := seedMeeting(t, ta)
	c := ta.signIn(t, "ana@example.com")
	_, page := ta.page(t, c, fmt.Sprintf("/meetings/%d", occ))
	if !strings.Contains(page, `id="hold-async"`) {
		t.Fatalf("the organizer is not offered to hold it async:\n%s", page)
	}
	csrf := htmlUnescape(csrfRE.FindStringSubmatch(page)[1])
	resp, err := c.PostForm(ta.URL+fmt.Sprintf("/meetings/%d/async", occ), url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hold async: %d", resp.StatusCode)
	}
	_, page = ta.page(t, c, fmt.Sprintf("/meetings/%d", occ))
	if !strings.Contains(page, `id="held-async"`) || strings.Contains(page, `id="hold-async"`) {
		t.Fatalf("after holding it async:\n%s", page)
	}
	_, page = ta.page(t, ta.signIn(t, "ben@example.com"), fmt.Sprintf("/meetings/%d", occ))
	if strings.Contains(page, `id="hold-async"`) {
		t.Fatal("an attendee is offered to hold it async")
	}
}

// The missing-pre-read email's "hold it async" link: its GET only asks,
// its POST holds the meeting async as the link's reader (the organizer).
func TestHoldAsyncLink(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0, apptest.Config(func(c *app.Config) { c.OfferAsync = true }))
	occ := seedMeeting(t, ta) // 48 h after t0: its deadline is 24 h after t0
	ta.At(t0.Add(24*time.Hour + time.Minute))
	var body string
	ta.DB.Get(&body, `SELECT text_body FROM outbox WHERE kind = 'preread_missing' AND to_addr = 'ana@example.com'`)
	link := regexp.MustCompile(`https?://\S+/async\?t=\S+`).FindString(body)
	if link == "" {
		t.Fatalf("no async link in:\n%s", body)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(resp)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="hold-async"`) {
		t.Fatalf("async link page: %d\n%s", resp.StatusCode, page)
	}
	var held bool
	ta.DB.Get(&held, `SELECT held_async FROM occurrences WHERE id = ?`, occ)
	if held {
		t.Fatal("opening the link held the meeting async")
	}
	u, _ := url.Parse(link)
	resp, err = http.PostForm(ta.URL+"/async", url.Values{"t": {u.Query().Get("t")}})
	if err != nil {
		t.Fatal(err)
	}
	if page = readAll(resp); resp.StatusCode != 200 || !strings.Contains(page, `id="held-async"`) {
		t.Fatalf("hold async by link: %d\n%s", resp.StatusCode, page)
	}
}
