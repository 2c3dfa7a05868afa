package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"meetingd/calendar"
	"meetingd/internal/app"
	"meetingd/internal/apptest"
)

// calendarsApp is meetingd with its polled calendars, served by the
// app's own route table; CalDAV passwords are sealed with a test key.
func calendarsApp(t *testing.T) *testApp {
	t.Helper()
	return newTestApp(t, "", t0, apptest.Config(func(c *app.Config) { c.CalDAV.Key = bytes.Repeat([]byte{1}, 32) }))
}

const feedSecret = "S3cr3tPath-91x"

// Operators add, list, poll and remove polled calendars through the API;
// the URL's secret and the password never come back; others are refused.
func TestCalendarsAPI(t *testing.T) {
	ta := calendarsApp(t)
	ops := ta.Token("ops@example.com")
	feedURL := "https://calendar.example.com/owa/" + feedSecret + "/calendar.ics"
	var sub map[string]any
	if code := ta.Call("POST", "/api/v1/calendars/ics", ops, "", map[string]any{"name": "team", "url": feedURL,
		"poll_interval": "30m"}, &sub); code != http.StatusCreated || sub["poll_interval"] != "30m0s" {
		t.Fatalf("add: %d %v", code, sub)
	}
	var list struct {
		Calendars []map[string]any `json:"calendars"`
	}
	if code := ta.Call("GET", "/api/v1/calendars", ops, "", nil, &list); code != 200 || len(list.Calendars) != 1 ||
		!strings.HasPrefix(list.Calendars[0]["url"].(string), "https://calendar.example.com/…#") {
		t.Fatalf("list: %d %+v", code, list)
	}
	id := strconv.FormatInt(int64(list.Calendars[0]["id"].(float64)), 10)

	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	for _, c := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"/api/v1/calendars/ics", map[string]any{"name": "x", "url": "http://calendar.example.com/" + feedSecret}, "is not https or webcal"},
		{"/api/v1/calendars/ics", map[string]any{"name": "x", "url": feedURL, "poll_interval": "soon"}, `poll_interval "soon" is not a duration`},
		{"/api/v1/calendars/caldav", map[string]any{"name": "x", "server_url": "https://caldav.example.com/", "username": "ana"}, "password is required"},
		{"/api/v1/calendars/caldav", map[string]any{"name": "x", "server_url": "ftp://caldav.example.com/", "username": "ana",
			"password": "pw-" + feedSecret}, "is not https"},
	} {
		if code := ta.Call("POST", c.path, ops, "", c.body, &e); code != http.StatusBadRequest || !strings.Contains(e.Error.Message, c.want) ||
			strings.Contains(e.Error.Message, feedSecret) {
			t.Errorf("%v: %d %+v, want %q", c.body, code, e, c.want)
		}
	}
	if code := ta.Call("POST", "/api/v1/calendars/ics", "", "", map[string]any{"name": "x", "url": feedURL}, &e); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	ben := ta.Token("ben@example.com")
	if code := ta.Call("GET", "/api/v1/calendars", ben, "", nil, &e); code != http.StatusForbidden {
		t.Fatalf("a non-operator lists: %d", code)
	}
	if code := ta.Call("POST", "/api/v1/calendars/ics", ben, "", map[string]any{"name": "mine", "url": feedURL}, &e); code != http.StatusForbidden {
		t.Fatalf("a non-operator subscribes: %d", code)
	}

	var done map[string]any
	if code := ta.Call("POST", "/api/v1/calendars/"+id+"/sync", ops, "", nil, &done); code != http.StatusAccepted {
		t.Fatalf("sync: %d %v", code, done)
	}
	var pending int
	ta.DB.Get(&pending, ta.DB.Rebind(`SELECT COUNT(*) FROM jobs WHERE kind = ? AND subject = ? AND state = 'pending'`),
		calendar.JobSubscriptionSync, "ics:"+id)
	if pending != 1 {
		t.Fatalf("%d syncs pending, want 1", pending)
	}
	if code := ta.Call("POST", "/api/v1/calendars/999/sync", ops, "", nil, &e); code != http.StatusNotFound ||
		!strings.Contains(e.Error.Message, "no calendar 999") {
		t.Fatalf("sync of no calendar: %d %+v", code, e)
	}
	if code := ta.Call("DELETE", "/api/v1/calendars/"+id, ops, "", nil, &done); code != http.StatusOK {
		t.Fatalf("remove: %d %v", code, done)
	}
	if code := ta.Call("GET", "/api/v1/calendars", ops, "", nil, &list); code != 200 || len(list.Calendars) != 0 {
		t.Fatalf("after remove: %d %+v", code, list)
	}
}

// The Calendars page shows each polled calendar's state (its URL
// redacted) and adds, polls and removes them through its forms.
func TestCalendarsPage(t *testing.T) {
	ta := calendarsApp(t)
	c := ta.signIn(t, "ops@example.com")
	code, body := ta.page(t, c, "/calendars")
	if code != 200 || !strings.Contains(body, "No polled calendars yet") {
		t.Fatalf("empty page: %d\n%s", code, body)
	}
	csrf := csrfRE.FindStringSubmatch(body)[1]
	post := func(form url.Values) *http.Response {
		t.Helper()
		form.Set("csrf", csrf)
		resp, err := c.PostForm(ta.URL+"/calendars", form)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// A form without the page's CSRF token, and a visitor not signed in,
	// are refused as on every other page.
	resp, err := c.PostForm(ta.URL+"/calendars", url.Values{"action": {"subscribe"}, "name": {"forged"},
		"url": {"https://calendar.example.com/" + feedSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(resp); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a form without CSRF: %d %s", resp.StatusCode, b)
	}
	if code, body := ta.page(t, browser(), "/calendars"); code != http.StatusSeeOther || !strings.Contains(body, "/signin?next=%2Fcalendars") {
		t.Fatalf("signed out: %d, want sent to sign in\n%s", code, body)
	}
	resp = post(url.Values{"action": {"subscribe"}, "name": {"team"}, "url": {"webcal://calendar.example.com/" + feedSecret + "/c.ics"},
		"poll_interval": {"15m"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, readAll(resp))
	}
	_, body = ta.page(t, c, "/calendars?done=added")
	if !strings.Contains(body, "team") || !strings.Contains(body, "webcal://calendar.example.com/…#") || !strings.Contains(body, "15m0s") ||
		strings.Contains(body, feedSecret) {
		t.Fatalf("page:\n%s", body)
	}
	resp = post(url.Values{"action": {"subscribe"}, "name": {"bad"}, "url": {"ftp://x/" + feedSecret}})
	if b := readAll(resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "not https or webcal") || strings.Contains(b, feedSecret) {
		t.Fatalf("a bad URL: %d\n%s", resp.StatusCode, b)
	}
	id := firstMatch(`name="id" value="(\d+)"`, body)
	if resp := post(url.Values{"action": {"remove"}, "id": {id}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if _, body = ta.page(t, c, "/calendars"); !strings.Contains(body, "No polled calendars yet") {
		t.Fatalf("after remove:\n%s", body)
	}
	ta.Person("ben@example.com")
	if code, _ := ta.page(t, ta.signIn(t, "ben@example.com"), "/calendars"); code != http.StatusForbidden {
		t.Fatalf("a non-operator's page: %d", code)
	}
}

func firstMatch(pattern, s string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
