package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/people"
)

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browser is a cookie-keeping client that does not follow redirects.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signInLink asks for a sign-in link for email and returns it from the outbox.
func (ta *testApp) signInLink(t testing.TB, c *http.Client, email string) string {
	t.Helper()
	resp, err := c.PostForm(ta.URL+"/signin", url.Values{"email": {email}, "next": {"/decisions"}})
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); !strings.Contains(body, "a sign-in link is on its way") {
		t.Fatalf("sign-in request: %d %s", resp.StatusCode, body)
	}
	items, _ := ta.Outbox.List(context.Background(), ta.DB, email, 0, 1)
	if len(items) == 0 || items[0].Kind != "signin" {
		return ""
	}
	return linkRE.FindString(items[0].Text)
}

// confirm opens a sign-in link and presses its button.
func (ta *testApp) confirm(t testing.TB, c *http.Client, link string) *http.Response {
	t.Helper()
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(resp)
	m := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		return resp
	}
	u, _ := url.Parse(link)
	resp, err = c.PostForm(ta.URL+"/signin/link", url.Values{"token": {htmlUnescape(m[1])}, "next": {u.Query().Get("next")}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&#34;", `"`).Replace(s)
}

func (ta *testApp) signIn(t testing.TB, email string) *http.Client {
	t.Helper()
	c := browser()
	resp := ta.confirm(t, c, ta.signInLink(t, c, email))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/decisions" {
		t.Fatalf("sign in %s: %d %s", email, resp.StatusCode, readAll(resp))
	}
	return c
}

func (ta *testApp) page(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(ta.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(resp)
}

func TestSignInByEmailLink(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	c := browser()
	// Not signed in: the dashboard sends you to sign in; the API refuses.
	if resp, _ := c.Get(ta.URL + "/decisions"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Fatalf("anonymous dashboard: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Unknown addresses get the same answer and no email.
	if link := ta.signInLink(t, c, "nobody@example.com"); link != "" {
		t.Fatalf("a link was sent to an unknown address")
	}
	link := ta.signInLink(t, c, "ben@example.com")
	// Opening the link does not sign in (scanners open links); the button does.
	if code, body := ta.page(t, c, strings.TrimPrefix(link, ta.URL)); code != 200 || !strings.Contains(body, "confirm-signin") {
		t.Fatalf("link page: %d", code)
	}
	if code, _ := ta.page(t, c, "/decisions"); code != http.StatusSeeOther {
		t.Fatalf("opening the link signed in")
	}
	tampered := strings.Replace(link, "t=", "t=x", 1)
	if resp := ta.confirm(t, browser(), tampered); resp.StatusCode != 401 {
		t.Fatalf("tampered link: %d", resp.StatusCode)
	}
	if resp := ta.confirm(t, c, link); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	cookie := c.Jar.Cookies(mustURL(ta.URL))
	if len(cookie) != 1 {
		t.Fatalf("cookies: %v", cookie)
	}
	if code, body := ta.page(t, c, "/decisions"); code != 200 || !strings.Contains(body, "ben@example.com") {
		t.Fatalf("dashboard after sign-in: %d", code)
	}
	// Single use.
	if resp := ta.confirm(t, browser(), link); resp.StatusCode != 401 {
		t.Fatalf("link used twice: %d", resp.StatusCode)
	}
	// Expired.
	old := ta.signInLink(t, browser(), "cy@example.com")
	ta.Clock.Set(t0.Add(21 * time.Minute))
	if resp := ta.confirm(t, browser(), old); resp.StatusCode != 401 {
		t.Fatalf("expired link: %d", resp.StatusCode)
	}
	// Sign out needs the CSRF token, then ends the session.
	_, body := ta.page(t, c, "/decisions")
	resp, _ := c.PostForm(ta.URL+"/signout", url.Values{"csrf": {csrfRE.FindStringSubmatch(body)[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if code, _ := ta.page(t, c, "/decisions"); code != http.StatusSeeOther {
		t.Fatalf("still signed in after sign-out")
	}
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func TestDashboardAccessCSRFAndEscaping(t *testing.T) {
	ta := newTestApp(t, "", t0)
	xss := `<script>alert("x")</script>`
	var out map[string]any
	ana := ta.Token("ana@example.com")
	ta.Call("POST", "/api/v1/events", ana, "", map[string]any{"title": "Plan " + xss, "start": t0.Add(48 * time.Hour),
		"end": t0.Add(49 * time.Hour), "attendees": []map[string]string{{"email": "ben@example.com"}, {"email": "cy@example.com"}}}, &out)
	var occ int64
	ta.DB.Get(&occ, `SELECT id FROM occurrences`)
	anaP, _ := people.ByEmail(context.Background(), ta.DB, "ana@example.com")
	d, err := ta.Meetings.OpenDecision(context.Background(), people.Actor{PersonID: anaP.ID}, occ, decisions.Input{Title: "Go " + xss, Proposal: "P"})
	if err != nil {
		t.Fatal(err)
	}
	ben := ta.signIn(t, "ben@example.com")
	zed := func() *http.Client { ta.Token("zed@example.com"); return ta.signIn(t, "zed@example.com") }()

	for _, path := range []string{"/decisions", "/meetings", "/me", fmt.Sprintf("/meetings/%d", occ), fmt.Sprintf("/decisions/%d", d.ID)} {
		code, body := ta.page(t, ben, path)
		if code != 200 {
			t.Errorf("%s: %d", path, code)
		}
		if strings.Contains(body, xss) {
			t.Errorf("%s renders the payload unescaped", path)
		}
	}
	// Not invited: refused as if it did not exist.
	for _, path := range []string{fmt.Sprintf("/meetings/%d", occ), fmt.Sprintf("/decisions/%d", d.ID)} {
		if code, _ := ta.page(t, zed, path); code != 404 {
			t.Errorf("zed opened %s: %d", path, code)
		}
	}
	if _, body := ta.page(t, zed, "/decisions"); strings.Contains(body, "Go &lt;script") {
		t.Errorf("zed's decisions page lists a decision he is not invited to")
	}
	if code, _ := ta.page(t, ben, "/outbox"); code != 403 {
		t.Errorf("a non-operator opened the outbox: %d", code)
	}
	// CSRF: a form without the session's token is refused, and changes nothing.
	form := url.Values{"op": {"contribute"}, "kind": {"comment"}, "text": {"Comment " + xss}}
	path := fmt.Sprintf("%s/decisions/%d", ta.URL, d.ID)
	for name, tok := range map[string]string{"missing": "", "wrong": "0123456789abcdef"} {
		f := url.Values{"csrf": {tok}}
		for k, v := range form {
			f[k] = v
		}
		if resp, _ := ben.PostForm(path, f); resp.StatusCode != 403 {
			t.Errorf("%s CSRF token: %d", name, resp.StatusCode)
		}
	}
	_, body := ta.page(t, ben, fmt.Sprintf("/decisions/%d", d.ID))
	form.Set("csrf", csrfRE.FindStringSubmatch(body)[1])
	if resp, _ := ben.PostForm(path, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form with the token: %d", resp.StatusCode)
	}
	// Another session's token does not work either.
	_, zbody := ta.page(t, zed, "/decisions")
	form.Set("csrf", csrfRE.FindStringSubmatch(zbody)[1])
	if resp, _ := ben.PostForm(path, form); resp.StatusCode != 403 {
		t.Errorf("another session's token: %d", resp.StatusCode)
	}
	_, body = ta.page(t, ben, fmt.Sprintf("/decisions/%d", d.ID))
	if strings.Count(body, `class="text">Comment &lt;script&gt;`) != 1 || strings.Contains(body, "Comment "+xss) {
		t.Errorf("the contribution was not stored once and escaped")
	}
	// The API takes a session only with its CSRF header.
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/decisions/%d/contributions", ta.URL, d.ID),
		strings.NewReader(`{"kind":"support"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, _ := ben.Do(req); resp.StatusCode != 403 {
		t.Errorf("API POST with a session and no CSRF header: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/api/v1/decisions/%d", ta.URL, d.ID), nil)
	if resp, _ := ben.Do(req); resp.StatusCode != 200 {
		t.Errorf("API GET with a session: %d", resp.StatusCode)
	}
}
