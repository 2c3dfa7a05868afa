package web_test

import (
	"context"
	"meetingd/internal/people"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The session cookie is out of scripts' and other sites' reach; the API
// takes a session only with its CSRF token in a header, and a token only as
// a bearer; signing out ends the session on the server, not just in the
// browser.
func TestSessionsCSRFAndTokens(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	c := ta.signIn(t, "ben@example.com")
	u, _ := url.Parse(ta.URL)
	var session *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "meetingd_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	_, page := ta.page(t, c, "/decisions")
	csrf := htmlUnescape(csrfRE.FindStringSubmatch(page)[1])

	api := func(method, path, header, value string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, ta.URL+path, strings.NewReader(`{"name":"Ben"}`))
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set(header, value)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(resp)
		return resp
	}
	for _, tc := range []struct {
		name, method, header, value string
		want                        int
	}{
		{"session reads", "GET", "", "", 200},
		{"session writes without the header", "PATCH", "", "", 403},
		{"session writes with a wrong header", "PATCH", "X-CSRF-Token", csrf + "x", 403},
		{"session writes with its header", "PATCH", "X-CSRF-Token", csrf, 200},
		{"a bad bearer token, even beside a session", "GET", "Authorization", "Bearer mtd_nope", 401},
		{"not a bearer token", "GET", "Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", 401},
	} {
		if resp := api(tc.method, "/api/v1/me", tc.header, tc.value); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	resp, _ := http.Get(ta.URL + "/api/v1/me")
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// Signing out ends the session: the old cookie, replayed, opens nothing.
	resp, err := c.PostForm(ta.URL+"/signout", url.Values{"csrf": {csrf}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %v %v", resp, err)
	}
	replay, _ := http.NewRequest("GET", ta.URL+"/api/v1/me", nil)
	replay.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	if resp, _ := http.DefaultClient.Do(replay); resp.StatusCode != 401 {
		t.Errorf("an ended session's cookie still opens the API: %d", resp.StatusCode)
	}
}

// The session cookie is HttpOnly and SameSite=Lax, and Secure when the
// service is reached over https.
func TestSessionCookieAttributes(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	c := browser()
	resp := ta.confirm(t, c, ta.signInLink(t, c, "ben@example.com"))
	var set string
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "meetingd_session=") {
			set = v
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Secure on plain http: the browser would drop it: %q", set)
	}
}

// A session ended by another replica stops working within a second here;
// one ended here stops at once (TestSessionsCSRFAndTokens).
func TestSessionEndedElsewhereStopsWithinASecond(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	c := ta.signIn(t, "ben@example.com")
	if code, _ := ta.page(t, c, "/decisions"); code != 200 {
		t.Fatalf("signed in: %d", code)
	}
	var value string
	for _, ck := range c.Jar.Cookies(mustURL(ta.URL)) {
		if ck.Name == "meetingd_session" {
			value = ck.Value
		}
	}
	if err := people.EndSession(context.Background(), ta.DB, value); err != nil { // as another replica would
		t.Fatal(err)
	}
	ta.Clock.Advance(people.CredentialTTL)
	if code, _ := ta.page(t, c, "/decisions"); code != http.StatusSeeOther {
		t.Fatalf("a second after sign-out elsewhere: %d, want the sign-in redirect", code)
	}
}
