package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/people"
)

// A control character in a title is refused where it comes in, with a
// message naming the field; one stored before that rule (or by other
// means) still cannot break anyone's feed, whose URLs are URIs.
func TestTitleCannotBreakAFeed(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ana := ta.Token("ana@example.com")
	var out map[string]map[string]string
	code := ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "x\rY", "proposal": "P", "invitees": []string{"ben@example.com"}}, &out)
	if code != 400 || !strings.Contains(out["error"]["message"], "title has a control character") {
		t.Fatalf("CR in a title: %d %v", code, out)
	}
	if code := ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "Fine", "proposal": "P", "invitees": []string{"ben@example.com"}}, nil); code != 201 {
		t.Fatalf("create: %d", code)
	}
	ta.DB.MustExec(`UPDATE decisions SET title = ?`, "Line one\r\nX-Evil: 1") // an old row
	var feed map[string]string
	ta.Call("GET", "/api/v1/me/feed", ta.Token("ben@example.com"), "", nil, &feed)
	resp, err := http.Get(feed["url"])
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "Decision closes: Line one  X-Evil: 1") || strings.Contains(body, "URL;VALUE") {
		t.Fatalf("feed: %d\n%s", resp.StatusCode, body)
	}
}

// After signing in, a person returns only to a page of this site, however
// the address is dressed up.
func TestSignInNextStaysOnSite(t *testing.T) {
	for _, next := range []string{"/\t/evil.example/phish", "//evil.example", "/\\evil.example", "https://evil.example/",
		"/%2F/evil.example", "/\n/evil.example", "javascript:alert(1)"} {
		if got := people.SafeNext(next); got != "/" && !strings.HasPrefix(got, "/%2F") {
			t.Errorf("SafeNext(%q) = %q", next, got)
		}
	}
	if got := people.SafeNext("/decisions/12?x=1#c"); got != "/decisions/12?x=1#c" {
		t.Errorf("a plain path was changed to %q", got)
	}
	ta := newTestApp(t, "", t0)
	ta.Person("ben@example.com")
	c := browser()
	resp, err := c.PostForm(ta.URL+"/signin", url.Values{"email": {"ben@example.com"}, "next": {"/\t/evil.example/phish"}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(resp)
	items, _ := ta.Outbox.List(context.Background(), ta.DB, "ben@example.com", 0, 1)
	link := linkRE.FindString(items[0].Text)
	if u, _ := url.Parse(link); u.Query().Get("next") != "/" {
		t.Fatalf("the emailed link returns to %q", u.Query().Get("next"))
	}
	if resp := ta.confirm(t, c, link); resp.Header.Get("Location") != "/" {
		t.Fatalf("after sign-in: Location %q", resp.Header.Get("Location"))
	}
}

// Sign-in links to one address are limited, with the same answer for a
// limited, an unknown and a known address; a client asking too often is
// refused with 429.
func TestSignInIsRateLimited(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ben@example.com")
	ask := func(email string) (int, string) {
		resp, err := http.PostForm(ta.URL+"/signin", url.Values{"email": {email}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(resp)
	}
	_, known := ask("ben@example.com")
	for range 5 {
		ask("ben@example.com")
	}
	code, limited := ask("ben@example.com")
	_, unknown := ask("nobody@example.com")
	if code != 200 || limited != known || unknown != known {
		t.Fatalf("answers differ: limited %d %q, unknown %q, known %q", code, limited, unknown, known)
	}
	items, _ := ta.Outbox.List(context.Background(), ta.DB, "ben@example.com", 0, 100)
	if len(items) != 5 {
		t.Fatalf("%d sign-in emails queued for one address, want 5", len(items))
	}
	for range 30 {
		code, _ = ask(fmt.Sprintf("x%d@example.com", time.Now().UnixNano()))
	}
	resp, _ := http.PostForm(ta.URL+"/signin", url.Values{"email": {"ben@example.com"}})
	if readAll(resp); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a flooding client: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// An hour on, the address may ask again.
	ta.Clock.Advance(time.Hour + time.Second)
	ask("ben@example.com")
	if items, _ = ta.Outbox.List(context.Background(), ta.DB, "ben@example.com", 0, 100); len(items) != 6 {
		t.Fatalf("%d sign-in emails an hour later, want 6", len(items))
	}
}

// A person contributing faster than anyone types is limited with 429 and
// Retry-After; an operator is not.
func TestContributionsAreRateLimited(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ana, ben, ops := ta.Token("ana@example.com"), ta.Token("ben@example.com"), ta.Token("ops@example.com")
	var d map[string]any
	ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "T", "proposal": "P", "invitees": []string{"ben@example.com", "ops@example.com"}}, &d)
	path := fmt.Sprintf("/api/v1/decisions/%v/contributions", d["id"])
	for i := range 60 {
		if code := ta.Call("POST", path, ben, "", map[string]string{"kind": "comment", "text": fmt.Sprint("c", i)}, nil); code != 200 {
			t.Fatalf("contribution %d: %d", i+1, code)
		}
	}
	req, _ := http.NewRequest("POST", ta.URL+path, strings.NewReader(`{"kind":"comment","text":"one more"}`))
	req.Header.Set("Authorization", "Bearer "+ben)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "rate_limited") {
		t.Fatalf("61st contribution in a minute: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	for i := range 70 {
		if code := ta.Call("POST", path, ops, "", map[string]string{"kind": "comment", "text": fmt.Sprint("o", i)}, nil); code != 200 {
			t.Fatalf("operator's contribution %d: %d", i+1, code)
		}
	}
	ta.Clock.Advance(time.Minute)
	if code := ta.Call("POST", path, ben, "", map[string]string{"kind": "comment", "text": "later"}, nil); code != 200 {
		t.Fatalf("a minute later: %d", code)
	}
}

// With --domains set, meetingd invites and emails only the organisation's
// people and those an operator added; an imported outsider is kept but
// never emailed; one item names at most --max-invitees people.
func TestOnlyTheOrganisationIsInvitedOrEmailed(t *testing.T) {
	org, _ := people.NewOrg("example.com")
	ta := newTestApp(t, "", t0, apptest.Config(func(c *app.Config) { c.Org, c.MaxInvitees = org, 3 }))
	ana := ta.Token("ana@example.com")
	decide := func(invitees ...string) (int, string) {
		var out struct {
			Error struct{ Message string }
		}
		code := ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "T", "proposal": "P", "invitees": invitees}, &out)
		return code, out.Error.Message
	}
	if code, msg := decide("ceo@external.example"); code != 400 || !strings.Contains(msg, "ceo@external.example is outside the organisation") {
		t.Fatalf("an outsider invited: %d %q", code, msg)
	}
	if code, msg := decide("a@example.com", "b@example.com", "c@example.com", "d@example.com"); code != 400 || !strings.Contains(msg, "at most 3") {
		t.Fatalf("four invitees: %d %q", code, msg)
	}
	friend := ta.Person("friend@partner.example")
	people.Vouch(context.Background(), ta.DB, friend.ID) // an operator added them
	if code, msg := decide("friend@partner.example", "ben@example.com"); code != 201 {
		t.Fatalf("a vouched-for outsider: %d %q", code, msg)
	}
	event := map[string]any{"title": "Sync", "start": t0.Add(48 * time.Hour), "end": t0.Add(49 * time.Hour),
		"attendees": []map[string]string{{"email": "ben@example.com"}, {"email": "mallory@evil.example"}}}
	var out map[string]map[string]string
	if code := ta.Call("POST", "/api/v1/events", ana, "", event, &out); code != 400 || !strings.Contains(out["error"]["message"], "attendees[1]") {
		t.Fatalf("an outside attendee: %d %v", code, out)
	}
	// An imported calendar keeps its outsider; the mail to them is dropped.
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:imp\r\nDTSTART:20261104T100000Z\r\nDTEND:20261104T110000Z\r\nSUMMARY:Imported\r\n" +
		"ORGANIZER:mailto:ana@example.com\r\nATTENDEE:mailto:guest@other.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if _, err := ta.Calendar.Import(context.Background(), strings.NewReader(ics), "imported", nil); err != nil {
		t.Fatal(err)
	}
	ta.At(t0.Add(30 * time.Hour)) // the pre-read deadline passes: everyone is told
	var states []string
	ta.DB.Select(&states, `SELECT state || ':' || dropped_reason FROM outbox WHERE to_addr = 'guest@other.example'`)
	if len(states) == 0 || !strings.HasPrefix(states[0], "dropped:outside the organisation") {
		t.Fatalf("mail to an imported outsider: %v", states)
	}
}

// Values no one means are refused with a message naming the field, and
// nothing is stored.
func TestBoundsAreRefused(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ana, ops := ta.Token("ana@example.com"), ta.Token("ops@example.com")
	var before int
	ta.DB.Get(&before, `SELECT COUNT(*) FROM occurrences`)
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		want                      string
	}{
		{"an event in year 9999", "POST", "/api/v1/events", ana, map[string]any{"title": "Far", "start": "9999-01-01T10:00:00Z", "end": "9999-01-01T11:00:00Z"}, "within a year back and five years ahead"},
		{"an event in year 0001", "POST", "/api/v1/events", ana, map[string]any{"title": "Old", "start": "0001-01-01T10:00:00Z", "end": "0001-01-01T11:00:00Z"}, "within a year back"},
		{"a window of 2562047h", "POST", "/api/v1/decisions", ana, map[string]any{"title": "T", "proposal": "P", "window": "2562047h"}, "longer than the maximum"},
		{"a 100 KB name", "PATCH", "/api/v1/me", ana, map[string]any{"name": strings.Repeat("n", 100<<10)}, "name is 102400 bytes"},
		{"an owner not invited", "POST", fmt.Sprintf("/api/v1/occurrences/%d/action-items", occ), ana,
			map[string]any{"owner": "zed@example.com", "text": "Do it", "due": t0.Add(72 * time.Hour)}, "not invited to this meeting"},
		{"limit=-5 on the outbox", "GET", "/api/v1/outbox?limit=-5", ops, nil, "limit"},
		{"limit=999999 on the schedule", "GET", "/api/v1/schedule?limit=999999", ops, nil, "from 1 to 500"},
	} {
		var out map[string]map[string]string
		code := ta.Call(tc.method, tc.path, tc.token, "", tc.body, &out)
		if code != 400 || !strings.Contains(out["error"]["message"], tc.want) {
			t.Errorf("%s: %d %v, want 400 naming %q", tc.name, code, out, tc.want)
		}
	}
	var after, items int
	ta.DB.Get(&after, `SELECT COUNT(*) FROM occurrences`)
	ta.DB.Get(&items, `SELECT COUNT(*) FROM action_items`)
	if after != before || items != 0 {
		t.Fatalf("refused requests stored %d occurrences, %d action items", after-before, items)
	}
}

// Signing out needs the form's CSRF token, and a sign-in link is
// confirmed only from meetingd's own page (no login CSRF).
func TestSignOutAndSignInConfirmAreForgeryProof(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	c := ta.signIn(t, "ben@example.com")
	resp, _ := c.PostForm(ta.URL+"/signout", url.Values{})
	if readAll(resp); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign out without the CSRF token: %d", resp.StatusCode)
	}
	if code, _ := ta.page(t, c, "/decisions"); code != 200 {
		t.Fatalf("a forged sign-out ended the session: %d", code)
	}
	// The attacker's own link, posted from the attacker's page.
	link := ta.signInLink(t, browser(), "cy@example.com")
	page, _ := http.Get(link)
	token := htmlUnescape(regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(readAll(page))[1])
	for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
		req, _ := http.NewRequest("POST", ta.URL+"/signin/link", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := browser().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if readAll(resp); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) > 0 {
			t.Fatalf("a cross-site sign-in confirm (%v): %d, cookies %v", h, resp.StatusCode, resp.Cookies())
		}
	}
	// From meetingd's own page it still works, once.
	req, _ := http.NewRequest("POST", ta.URL+"/signin/link", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://meetingd.test")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, _ := browser().Do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a same-origin confirm: %d", resp.StatusCode)
	}
}

// Every page carries the headers a security review expects; pages with a
// secret in their address send no Referer on.
func TestSecurityHeaders(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	c := ta.signIn(t, "ben@example.com")
	get := func(c *http.Client, path string) http.Header {
		resp, err := c.Get(ta.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header
	}
	for path, referrer := range map[string]string{"/decisions": "same-origin", "/signin": "same-origin",
		"/decide?t=x": "no-referrer", "/notes/1": "no-referrer", "/signin/link?t=x": "no-referrer", "/api/v1/me": "same-origin"} {
		h := get(c, path)
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != referrer {
			t.Errorf("%s: nosniff %q, Referrer-Policy %q (want %s)", path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"), referrer)
		}
		if h.Get("Strict-Transport-Security") != "" { // served at http://127.0.0.1
			t.Errorf("%s: HSTS over http", path)
		}
	}
	https := newTestApp(t, "", t0, apptest.BaseURL("https://meetings.example.com"))
	if resp, _ := http.Get(https.URL + "/signin"); !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("https base URL: HSTS %q", resp.Header.Get("Strict-Transport-Security"))
	}
	if h := get(http.DefaultClient, "/static/meetingd.css"); !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %q", h.Get("Content-Type"))
	}
}

// --metrics-token makes /metrics ask for it.
func TestMetricsToken(t *testing.T) {
	ta := newTestApp(t, "", t0, apptest.Config(func(c *app.Config) { c.MetricsToken = "s3cret-metrics" }))
	resp, _ := http.Get(ta.URL + "/metrics")
	if readAll(resp); resp.StatusCode != 401 {
		t.Fatalf("/metrics without the token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", ta.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret-metrics")
	resp, _ = http.DefaultClient.Do(req)
	if body := readAll(resp); resp.StatusCode != 200 || !strings.Contains(body, "meetingd_") {
		t.Fatalf("/metrics with the token: %d", resp.StatusCode)
	}
}
