package web_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Logs never carry secrets. A whole flow runs through the real app:
// sign-in by emailed link and by Google (OAuth code, state and tokens), a
// session and its CSRF token, an API token, a calendar feed (rotated), and
// every signed link in the emails it sends (decide and notes). Every
// secret-bearing request is then made again tampered, and again with the
// database gone, so the error paths log too. Neither the app's log nor
// the HTTP server's error log may hold any secret the flow created.
func TestLogsNeverCarrySecrets(t *testing.T) {
	ta, iss, logs := newOIDCApp(t, "")
	ta.Srv.Config.ErrorLog = log.New(logs, "http.Server: ", 0)
	sec := &secrets{}
	ana := ta.Token("ana@example.com")
	sec.add(ana)

	ben, signInLink := ta.signInByEmail(t, sec, "ben@example.com")
	callback := ta.signInWithGoogle(t, sec)
	urls := append([]string{signInLink, callback}, ta.feedURLs(t, sec, ana)...)
	urls = append(urls, ta.emailedLinks(t, sec, ana)...)
	sec.add(iss.secret)
	sec.add(iss.issued...)

	for _, u := range urls {
		ta.visit(t, ben, u)
		ta.visit(t, browser(), tamper(u))
	}
	ta.DB.Close() // every request from here fails inside: the error logs
	for _, u := range urls {
		ta.visit(t, ben, u)
	}
	ta.Call("GET", "/api/v1/me", ana, "", nil, nil)

	out := logs.String()
	for _, want := range []string{"path=/feed/", "signed in with openid connect", "failed"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the flow did not log %q, so the log proves nothing:\n%s", want, out)
		}
	}
	sec.check(t, out)
}

// secrets are the ones a flow created, for the log to be searched for.
type secrets struct{ list []string }

// add keeps values long enough to be secrets (ids and words are not).
func (s *secrets) add(vs ...string) {
	for _, v := range vs {
		if len(v) >= 12 {
			s.list = append(s.list, v)
		}
	}
}

// fromURL adds a link's query values and long path segments (a feed's).
func (s *secrets) fromURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	for _, vs := range u.Query() {
		s.add(vs...)
	}
	s.add(strings.Split(u.Path, "/")...)
}

func (s *secrets) check(t *testing.T, log string) {
	t.Helper()
	if len(s.list) < 10 {
		t.Fatalf("the flow created only %d secrets: %q", len(s.list), s.list)
	}
	for _, v := range s.list {
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), fmt.Sprintf("%q", v)} {
			if strings.Contains(log, form) {
				t.Errorf("the log holds the secret %q", v)
				break
			}
		}
	}
}

// signInByEmail signs email in by an emailed link, keeping the link, its
// confirmation token, the session cookie and the page's CSRF token; it
// returns the signed-in browser and the link.
func (ta *testApp) signInByEmail(t *testing.T, sec *secrets, email string) (*http.Client, string) {
	t.Helper()
	c := browser()
	link := ta.signInLink(t, c, email)
	sec.fromURL(link)
	_, page := ta.get(t, c, link)
	if m := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page); m != nil {
		sec.add(htmlUnescape(m[1]))
	}
	if resp := ta.confirm(t, c, link); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, resp.StatusCode)
	}
	sec.add(ta.session(t, c))
	_, dash := ta.page(t, c, "/decisions")
	if m := csrfRE.FindStringSubmatch(dash); m != nil {
		sec.add(htmlUnescape(m[1]))
	}
	return c, link
}

// session is the session cookie c holds.
func (ta *testApp) session(t *testing.T, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(ta.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "meetingd_session" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// signInWithGoogle signs ben in through the fake issuer, keeping the code
// and state the browser carried back; it returns the callback URL.
func (ta *testApp) signInWithGoogle(t *testing.T, sec *secrets) string {
	t.Helper()
	c := browser()
	cb := ta.googleAnswer(t, c, "/decisions")
	sec.fromURL(cb.String())
	if resp, body := ta.get(t, c, cb.String()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Google callback: %d %s", resp.StatusCode, body)
	}
	sec.add(ta.session(t, c))
	ta.get(t, c, cb.String()) // the code again: refused, and logged
	return cb.String()
}

// feedURLs reads ana's feed address, rotates it, and returns both.
func (ta *testApp) feedURLs(t *testing.T, sec *secrets, token string) []string {
	t.Helper()
	var urls []string
	for _, step := range []struct{ method, path string }{{"GET", "/api/v1/me/feed"}, {"POST", "/api/v1/me/feed/rotate"}} {
		var out struct{ URL string }
		if code := ta.Call(step.method, step.path, token, "", nil, &out); code != 200 || out.URL == "" {
			t.Fatalf("%s %s: %d %+v", step.method, step.path, code, out)
		}
		sec.fromURL(out.URL)
		urls = append(urls, out.URL)
	}
	return urls
}

// emailedLinks opens a decision for ben, publishes the pre-read and runs
// the clock past the meeting, then returns every link meetingd emailed.
func (ta *testApp) emailedLinks(t *testing.T, sec *secrets, ana string) []string {
	t.Helper()
	var occ int64
	ta.DB.Get(&occ, `SELECT MIN(id) FROM occurrences`)
	var d map[string]any
	if code := ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "Ship", "proposal": "We ship.",
		"invitees": []string{"ben@example.com"}}, &d); code != 201 {
		t.Fatalf("open decision: %d %v", code, d)
	}
	if code := ta.Call("POST", fmt.Sprintf("/api/v1/occurrences/%d/publish", occ), ana, "", map[string]any{"pre_read": "Read me."}, nil); code != 200 {
		t.Fatalf("publish: %d", code)
	}
	ta.RunDue()
	ta.At(t0.Add(50 * time.Hour))
	items, err := ta.Outbox.List(context.Background(), ta.DB, "", 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, it := range items {
		for _, l := range linkRE.FindAllString(it.Text, -1) {
			if strings.Contains(l, "?t=") || strings.Contains(l, "token=") {
				sec.fromURL(l)
				links = append(links, l)
			}
		}
	}
	if len(links) < 3 {
		t.Fatalf("only %d signed links emailed: %q", len(links), links)
	}
	return links
}

// visit opens link in c and, for a signed link, sends its form too.
func (ta *testApp) visit(t *testing.T, c *http.Client, link string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	frag := u.Fragment // #occurrence-N on a notes link
	u.Fragment = ""
	if u.Path == "/signin/link" {
		readAll(ta.confirm(t, c, u.String()))
		return
	}
	ta.get(t, c, u.String())
	tok := u.Query().Get("t")
	form := url.Values{"t": {tok}}
	path := u.Path
	switch {
	case path == "/decide":
		form.Set("op", "contribute")
		form.Set("kind", "comment")
		form.Set("text", "Fine by me.")
	case path == "/publish":
		form.Set("pre_read", "Read me.")
	case strings.HasPrefix(path, "/notes/"):
		var occ int64
		fmt.Sscanf(frag, "occurrence-%d", &occ)
		path = fmt.Sprintf("%s/occurrences/%d", path, occ)
		form.Set("notes", "Noted.")
	default:
		return
	}
	if resp, err := c.PostForm(ta.URL+path, form); err == nil {
		readAll(resp)
	}
}

// tamper changes the last character of every secret-looking part of link.
func tamper(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	q := u.Query()
	for k, vs := range q {
		for i := range vs {
			vs[i] += "x"
		}
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	if strings.HasPrefix(u.Path, "/feed/") {
		u.Path += "x"
	}
	return u.String()
}
