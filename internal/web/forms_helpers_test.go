package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// submit posts form to path as c, with c's CSRF token unless form sets
// "csrf" itself, and returns the status, body and Location.
func (ta *testApp) submit(t *testing.T, c *http.Client, path string, form url.Values) (int, string, string) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if _, ok := f["csrf"]; !ok {
		_, body := ta.page(t, c, "/meetings")
		m := csrfRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no CSRF token on /meetings")
		}
		f.Set("csrf", m[1])
	}
	resp, err := c.PostForm(ta.URL+path, f)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(resp), resp.Header.Get("Location")
}

// count is a single number the database answers.
func (ta *testApp) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := ta.DB.Get(&n, ta.DB.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// formStore summarises what the dashboard's forms may store, to show a
// refused form stored nothing.
func (ta *testApp) formStore(t *testing.T) string {
	t.Helper()
	var parts []string
	for _, q := range []string{`SELECT COUNT(*) FROM local_events`, `SELECT COUNT(*) FROM series`, `SELECT COUNT(*) FROM occurrences`,
		`SELECT COUNT(*) FROM occurrences WHERE cancelled = TRUE`, `SELECT COUNT(*) FROM attendees`, `SELECT COUNT(*) FROM action_items`,
		`SELECT COUNT(*) FROM decisions`, `SELECT COUNT(*) FROM decision_invitees`, `SELECT COUNT(*) FROM decision_audit`,
		`SELECT COUNT(*) FROM outbox`} {
		parts = append(parts, strconv.Itoa(ta.count(t, q)))
	}
	var data []string
	ta.DB.Select(&data, `SELECT data FROM local_events ORDER BY uid`)
	return strings.Join(append(parts, data...), " | ")
}

// inZone sets a person's time zone, as /settings would.
func (ta *testApp) inZone(t *testing.T, email, zone string) {
	t.Helper()
	ta.Person(email)
	ta.DB.MustExec(ta.DB.Rebind(`UPDATE people SET time_zone = ? WHERE email = ?`), zone, email)
}
