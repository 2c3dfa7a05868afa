package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// adminPaths are every /admin page.
var adminPaths = []string{"/admin", "/admin/people", "/admin/calendars", "/admin/outbox", "/admin/schedule"}

// adminForms are every /admin form, each with input it would accept.
var adminForms = []struct {
	path string
	form url.Values
}{
	{"/admin/people", url.Values{"action": {"added"}, "email": {"new@example.com"}}},
	{"/admin/people", url.Values{"action": {"operator"}, "id": {"1"}}},
	{"/admin/people", url.Values{"action": {"deactivated"}, "id": {"1"}}},
	{"/admin/calendars/google", url.Values{"calendar": {"team@example.com"}}},
}

// csrfOf is the CSRF token of c's session, from a page every signed-in
// person may open.
func (ta *testApp) csrfOf(t *testing.T, c *http.Client) string {
	t.Helper()
	_, body := ta.page(t, c, "/me")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on /me:\n%s", body)
	}
	return m[1]
}

// upload posts an ICS file to the admin import form as c would.
func (ta *testApp) upload(t *testing.T, c *http.Client, csrf, name, ics string) *http.Response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if csrf != "" {
		w.WriteField("csrf", csrf)
	}
	w.WriteField("name", name)
	if ics != "" {
		f, _ := w.CreateFormFile("file", "team.ics")
		f.Write([]byte(ics))
	}
	w.Close()
	resp, err := c.Post(ta.URL+"/admin/calendars/import", w.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// counts is what the admin forms could change, to see they did not.
func (ta *testApp) counts(t *testing.T) string {
	t.Helper()
	var n [4]int
	ta.DB.Get(&n[0], `SELECT COUNT(*) FROM people`)
	ta.DB.Get(&n[1], `SELECT COUNT(*) FROM people WHERE operator = TRUE`)
	ta.DB.Get(&n[2], `SELECT COUNT(*) FROM people WHERE deactivated_at IS NOT NULL`)
	ta.DB.Get(&n[3], `SELECT COUNT(*) FROM imports`)
	return fmt.Sprint(n)
}

// Someone signed in but not an operator gets a 403 page saying why on
// every /admin page and form, and nothing changes.
func TestAdminIsForOperatorsOnly(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ben@example.com")
	ben := ta.signIn(t, "ben@example.com")
	csrf := ta.csrfOf(t, ben)
	before := ta.counts(t)
	for _, p := range adminPaths {
		if code, body := ta.page(t, ben, p); code != http.StatusForbidden || !strings.Contains(body, "Only operators may use the admin pages") {
			t.Errorf("GET %s as a non-operator: %d\n%s", p, code, body)
		}
	}
	for _, f := range adminForms {
		f.form.Set("csrf", csrf)
		resp, err := ben.PostForm(ta.URL+f.path, f.form)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only operators") {
			t.Errorf("POST %s %v as a non-operator: %d\n%s", f.path, f.form, resp.StatusCode, body)
		}
	}
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
	if resp := ta.upload(t, ben, csrf, "mine", ics); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload as a non-operator: %d %s", resp.StatusCode, readAll(resp))
	}
	if got := ta.counts(t); got != before {
		t.Errorf("a non-operator changed something: %s, was %s", got, before)
	}
	// An operator reaches every page; the index links to each.
	ops := ta.signIn(t, "ops@example.com")
	for _, p := range adminPaths {
		if code, body := ta.page(t, ops, p); code != 200 || !strings.Contains(body, "<h1>") {
			t.Errorf("GET %s as an operator: %d\n%s", p, code, body)
		}
	}
	_, body := ta.page(t, ops, "/admin")
	for _, p := range adminPaths[1:] {
		if !strings.Contains(body, `href="`+p+`"`) {
			t.Errorf("the admin index does not link to %s", p)
		}
	}
}

// A form without the session's CSRF token is refused, on every /admin
// form and the upload, and nothing changes.
func TestAdminFormsNeedCSRF(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ops := ta.signIn(t, "ops@example.com")
	before := ta.counts(t)
	for _, f := range adminForms {
		for _, csrf := range []string{"", "forged"} {
			form := url.Values{}
			for k, v := range f.form {
				form[k] = v
			}
			if csrf != "" {
				form.Set("csrf", csrf)
			}
			resp, err := ops.PostForm(ta.URL+f.path, form)
			if err != nil {
				t.Fatal(err)
			}
			if body := readAll(resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "did not come from meetingd") {
				t.Errorf("POST %s with csrf %q: %d %s", f.path, csrf, resp.StatusCode, body)
			}
		}
	}
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
	for _, csrf := range []string{"", "forged"} {
		if resp := ta.upload(t, ops, csrf, "team", ics); resp.StatusCode != http.StatusForbidden {
			t.Errorf("upload with csrf %q: %d %s", csrf, resp.StatusCode, readAll(resp))
		}
	}
	if got := ta.counts(t); got != before {
		t.Errorf("a form without CSRF changed something: %s, was %s", got, before)
	}
}
