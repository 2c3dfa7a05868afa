package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"meetingd/internal/people"
)

// peopleForm posts the People page's form as c.
func (ta *testApp) peopleForm(t *testing.T, c *http.Client, csrf string, form url.Values) (int, string) {
	t.Helper()
	form.Set("csrf", csrf)
	resp, err := c.PostForm(ta.URL+"/admin/people", form)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(resp)
}

// The People page lists everyone and adds a person, makes an operator,
// deactivates and reactivates; bad input comes back with a clear message
// beside the field, and nothing is stored.
func TestAdminPeoplePage(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ops := ta.signIn(t, "ops@example.com")
	csrf := ta.csrfOf(t, ops)
	code, body := ta.page(t, ops, "/admin/people")
	if code != 200 || !strings.Contains(body, `data-label="Email">ops@example.com`) || !strings.Contains(body, `<th scope="col">Active</th>`) {
		t.Fatalf("people page: %d\n%s", code, body)
	}
	before := ta.counts(t)
	for _, c := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{url.Values{"action": {"added"}, "email": {"not an address"}}, 400, "is not an email address"},
		{url.Values{"action": {"added"}, "email": {"ops@example.com"}}, 409, "ops@example.com is already here"},
		{url.Values{"action": {"operator"}, "id": {"999"}}, 404, "no person 999"},
		{url.Values{"action": {"deactivated"}, "id": {"x"}}, 400, "is not a person"},
		{url.Values{"action": {"unoperator"}, "id": {itoa(ta.Person("ops@example.com").ID)}}, 400, "cannot unmake yourself"},
		{url.Values{"action": {"delete"}, "id": {"1"}}, 400, "not something this page does"},
	} {
		code, body := ta.peopleForm(t, ops, csrf, c.form)
		if code != c.status || !strings.Contains(body, c.says) {
			t.Errorf("%v: %d, want %d saying %q\n%s", c.form, code, c.status, c.says, body)
		}
	}
	// The refused address is kept in its field, the message beside it.
	if _, body := ta.peopleForm(t, ops, csrf, url.Values{"action": {"added"}, "email": {"zed@"}, "name": {"Zed"}}); !strings.Contains(body, `value="zed@" aria-invalid="true" aria-describedby="add-error"`) ||
		!strings.Contains(body, `id="add-error"`) {
		t.Errorf("refused add form:\n%s", body)
	}
	if got := ta.counts(t); got != before {
		t.Fatalf("refused forms stored something: %s, was %s", got, before)
	}

	if code, _ := ta.peopleForm(t, ops, csrf, url.Values{"action": {"added"}, "email": {"Zed@Partner.example"}, "name": {"Zed"}}); code != http.StatusSeeOther {
		t.Fatalf("add: %d", code)
	}
	zed, err := people.ByEmail(t.Context(), ta.DB, "zed@partner.example")
	if err != nil || zed.Name != "Zed" || !zed.Vouched || !zed.Active() {
		t.Fatalf("added: %+v %v", zed, err)
	}
	if code, _ := ta.peopleForm(t, ops, csrf, url.Values{"action": {"operator"}, "id": {itoa(zed.ID)}}); code != http.StatusSeeOther {
		t.Fatalf("make operator: %d", code)
	}
	if _, body := ta.page(t, ops, "/admin/people?done=operator"); !strings.Contains(body, "the flag only adds operators") {
		t.Errorf("making an operator does not say what --operators does:\n%s", body)
	}
	if z, _ := people.ByID(t.Context(), ta.DB, zed.ID); !z.Operator {
		t.Fatalf("not made operator: %+v", z)
	}
	ta.peopleForm(t, ops, csrf, url.Values{"action": {"deactivated"}, "id": {itoa(zed.ID)}})
	if _, body := ta.page(t, ops, "/admin/people"); !strings.Contains(body, "deactivated</span>") || !strings.Contains(body, `value="reactivated"`) {
		t.Errorf("a deactivated person's row:\n%s", body)
	}
	ta.peopleForm(t, ops, csrf, url.Values{"action": {"reactivated"}, "id": {itoa(zed.ID)}})
	if z, _ := people.ByID(t.Context(), ta.DB, zed.ID); !z.Active() {
		t.Fatalf("not reactivated: %+v", z)
	}
}

// A deactivated person is signed out, cannot sign in again, and the
// email owed to them is dropped with the reason shown in the outbox;
// what they wrote stays.
func TestDeactivatedPersonCannotSignInOrBeEmailed(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	ben := ta.signIn(t, "ben@example.com")
	early := ta.signInLink(t, browser(), "ben@example.com") // sent before the deactivation
	ops := ta.signIn(t, "ops@example.com")
	id := ta.Person("ben@example.com").ID
	if code, body := ta.peopleForm(t, ops, ta.csrfOf(t, ops), url.Values{"action": {"deactivated"}, "id": {itoa(id)}}); code != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", code, body)
	}
	ta.Clock.Advance(2 * time.Second) // past the credentials' cache
	if code, _ := ta.page(t, ben, "/decisions"); code != http.StatusSeeOther {
		t.Errorf("a deactivated person's session still opens the dashboard: %d", code)
	}
	links := func() (n int) {
		ta.DB.Get(&n, ta.DB.Rebind(`SELECT COUNT(*) FROM outbox WHERE to_addr = ? AND kind = 'signin'`), "ben@example.com")
		return n
	}
	sent := links()
	ta.signInLink(t, browser(), "ben@example.com") // answered as for anyone
	if links() != sent {
		t.Errorf("a deactivated person was sent a sign-in link")
	}
	if resp := ta.confirm(t, browser(), early); resp.StatusCode != http.StatusForbidden || !strings.Contains(readAll(resp), "deactivated by an operator") {
		t.Errorf("a link sent before the deactivation: %d", resp.StatusCode)
	}
	ta.At(t0.Add(30 * time.Hour)) // the pre-read deadline passes: everyone is told
	var states []string
	ta.DB.Select(&states, ta.DB.Rebind(`SELECT state || ':' || dropped_reason FROM outbox WHERE to_addr = ? AND kind <> 'signin'`), "ben@example.com")
	if len(states) == 0 {
		t.Fatal("no email was owed to ben")
	}
	for _, s := range states {
		if s != "dropped:deactivated by an operator" {
			t.Errorf("email to a deactivated person: %q", s)
		}
	}
	if _, body := ta.page(t, ops, "/admin/outbox?to=ben%40example.com&state=dropped"); !strings.Contains(body, "dropped: deactivated by an operator") {
		t.Errorf("the outbox does not say why:\n%s", body)
	}
	var kept int
	ta.DB.Get(&kept, ta.DB.Rebind(`SELECT COUNT(*) FROM attendees WHERE person_id = ?`), id)
	if kept == 0 {
		t.Error("the deactivated person's attendance was removed")
	}
}
