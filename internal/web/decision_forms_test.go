package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var decisionRedirect = regexp.MustCompile(`^/decisions/(\d+)\?done=created$`)

// openDecision creates a decision through the form as c.
func (ta *testApp) openDecision(t *testing.T, c *http.Client, form url.Values) int64 {
	t.Helper()
	code, body, loc := ta.submit(t, c, "/decisions/new", form)
	m := decisionRedirect.FindStringSubmatch(loc)
	if code != 303 || m == nil {
		t.Fatalf("new decision: %d %q\n%s", code, loc, body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// invited are a decision's invitees' addresses, sorted.
func (ta *testApp) invited(t *testing.T, id int64) string {
	t.Helper()
	var emails []string
	ta.DB.Select(&emails, ta.DB.Rebind(`SELECT p.email FROM decision_invitees i JOIN people p ON p.id = i.person_id
		WHERE i.decision_id = ? ORDER BY p.email`), id)
	return strings.Join(emails, ",")
}

func TestNewDecisionFromAMeeting(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ana := ta.signIn(t, "ana@example.com")
	code, body := ta.page(t, ana, fmt.Sprintf("/decisions/new?meeting=%d", occ))
	if code != 200 {
		t.Fatalf("new decision page: %d", code)
	}
	if m := regexp.MustCompile(`(?s)name="invitees"[^>]*>([^<]*)</textarea>`).FindStringSubmatch(body); m == nil ||
		!strings.Contains(m[1], "ben@example.com") || !strings.Contains(m[1], "cy@example.com") || strings.Contains(m[1], "ana@") {
		t.Errorf("invitees are not prefilled with the other attendees: %q", m)
	}
	for _, want := range []string{`min="24"`, "at least 24", "168 if left empty", `value="168"`,
		`<label for="title">`, `<label for="proposal">`, `<label for="window">`, `<label for="invitees">`, fmt.Sprintf(`name="meeting" value="%d"`, occ)} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	if _, body := ta.page(t, ana, fmt.Sprintf("/meetings/%d", occ)); !strings.Contains(body, fmt.Sprintf(`href="/decisions/new?meeting=%d"`, occ)) {
		t.Errorf("the meeting page has no link to open a decision about it")
	}
	// The owner dropped cy from the prefilled list: cy is not invited.
	id := ta.openDecision(t, ana, url.Values{"title": {"Adopt Postgres"}, "proposal": {"Move reporting."}, "window": {"48"},
		"invitees": {"ben@example.com"}, "meeting": {strconv.FormatInt(occ, 10)}})
	if got := ta.invited(t, id); got != "ana@example.com,ben@example.com" {
		t.Errorf("invited: %s", got)
	}
	var about int64
	var window string
	ta.DB.QueryRow(ta.DB.Rebind(`SELECT occurrence_id FROM decisions WHERE id = ?`), id).Scan(&about)
	ta.DB.Get(&window, ta.DB.Rebind(`SELECT detail FROM decision_audit WHERE decision_id = ? AND action = 'opened'`), id)
	if about != occ || window != "a 2-day window" {
		t.Errorf("decision about %d with %q, want about %d with a 2-day window", about, window, occ)
	}
	if _, body := ta.page(t, ana, fmt.Sprintf("/decisions/%d", id)); !strings.Contains(body, "Adopt Postgres") {
		t.Errorf("the new decision's page does not show it")
	}
}

func TestNewStandaloneDecision(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ben@example.com")
	ta.Person("ana@example.com")
	ana := ta.signIn(t, "ana@example.com")
	if _, body := ta.page(t, ana, "/decisions"); !strings.Contains(body, `href="/decisions/new"`) {
		t.Errorf("the decisions page has no link to a new decision")
	}
	id := ta.openDecision(t, ana, url.Values{"title": {"Four-day week"}, "proposal": {"Try it in December."}, "window": {""},
		"invitees": {"BEN@example.com\n\n"}})
	if got := ta.invited(t, id); got != "ana@example.com,ben@example.com" {
		t.Errorf("invited: %s", got)
	}
	// No window given: the default (7 days).
	if n := ta.count(t, `SELECT COUNT(*) FROM decisions WHERE id = ? AND occurrence_id IS NULL`, id); n != 1 {
		t.Errorf("a standalone decision has a meeting")
	}
	var trail string
	ta.DB.Get(&trail, ta.DB.Rebind(`SELECT detail FROM decision_audit WHERE decision_id = ? AND action = 'opened'`), id)
	if trail != "a 7-day window" {
		t.Errorf("opened with %q, want the default window", trail)
	}
}

func TestNewDecisionFormRefusesBadInput(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ana := ta.signIn(t, "ana@example.com")
	good := url.Values{"title": {"Adopt Postgres"}, "proposal": {"Move reporting."}, "window": {"48"},
		"invitees": {"ben@example.com"}, "meeting": {strconv.FormatInt(occ, 10)}}
	cases := []struct{ name, field, value, errID, says string }{
		{"window below the minimum", "window", "12", "window-error", "shorter than the minimum of 24h"},
		{"window not a number", "window", "a week", "window-error", "whole number of hours"},
		{"window above the maximum", "window", "5000", "window-error", "longer than the maximum"},
		{"unknown invitee", "invitees", "ben@example.com\nnobody@example.com", "invitees-error", "line 2: nobody at nobody@example.com is known"},
		{"invalid invitee", "invitees", "bob", "invitees-error", "line 1: &#34;bob&#34; is not an email address"},
		{"no title", "title", "", "title-error", "title is required"},
		{"no proposal", "proposal", "", "proposal-error", "proposal is required"},
	}
	before := ta.formStore(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range good {
				f[k] = v
			}
			f.Set(c.field, c.value)
			code, body, _ := ta.submit(t, ana, "/decisions/new", f)
			msg := regexp.MustCompile(`<span class="error" id="` + c.errID + `">([^<]*)</span>`).FindStringSubmatch(body)
			if code != 400 || msg == nil || !strings.Contains(msg[1], c.says) {
				t.Fatalf("%d; want 400 and %q beside the field:\n%s", code, c.says, body)
			}
			if c.field != "title" && !strings.Contains(body, `value="Adopt Postgres"`) {
				t.Errorf("the form did not come back with what was typed")
			}
		})
	}
	if after := ta.formStore(t); after != before {
		t.Errorf("refused forms stored something:\nbefore %s\nafter  %s", before, after)
	}
	// A meeting the viewer cannot see is not one to decide about.
	ta.Person("zed@example.com")
	zed := ta.signIn(t, "zed@example.com")
	if code, _ := ta.page(t, zed, fmt.Sprintf("/decisions/new?meeting=%d", occ)); code != 404 {
		t.Errorf("a stranger opened the form about the meeting: %d", code)
	}
	if code, _, _ := ta.submit(t, zed, "/decisions/new", good); code != 404 {
		t.Errorf("a stranger opened a decision about the meeting: %d", code)
	}
}

func TestChangeInviteesOnTheDecisionPage(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ta.Person("dee@example.com")
	ana := ta.signIn(t, "ana@example.com")
	id := ta.openDecision(t, ana, url.Values{"title": {"Adopt Postgres"}, "proposal": {"Move reporting."},
		"invitees": {"ben@example.com\ncy@example.com"}, "meeting": {strconv.FormatInt(occ, 10)}})
	path := fmt.Sprintf("/decisions/%d/invitees", id)
	code, _, loc := ta.submit(t, ana, path, url.Values{"op": {"add"}, "add": {"dee@example.com"}})
	if code != 303 || !strings.HasPrefix(loc, fmt.Sprintf("/decisions/%d?done=invitees", id)) {
		t.Fatalf("add: %d %q", code, loc)
	}
	if code, _, _ := ta.submit(t, ana, path, url.Values{"op": {"remove"}, "email": {"cy@example.com"}}); code != 303 {
		t.Fatalf("remove: %d", code)
	}
	if got := ta.invited(t, id); got != "ana@example.com,ben@example.com,dee@example.com" {
		t.Errorf("invited: %s", got)
	}
	if n := ta.count(t, `SELECT COUNT(*) FROM decision_audit WHERE decision_id = ? AND action IN ('invited', 'uninvited')`, id); n != 2 {
		t.Errorf("%d invitee changes audited, want 2", n)
	}
	ben := ta.signIn(t, "ben@example.com") // signing in emails a link: before the count
	// Refused: an unknown or invalid address, the owner; each comes back
	// beside its field and changes nothing.
	before := ta.formStore(t)
	for _, c := range []struct {
		form        url.Values
		errID, says string
	}{
		{url.Values{"op": {"add"}, "add": {"nobody@example.com"}}, "add-error", "nobody at nobody@example.com is known"},
		{url.Values{"op": {"add"}, "add": {"bob"}}, "add-error", "not an email address"},
		{url.Values{"op": {"remove"}, "email": {"ana@example.com"}}, "remove-error", "the owner is always invited"},
	} {
		code, body, _ := ta.submit(t, ana, path, c.form)
		if code != 400 || !strings.Contains(body, `id="`+c.errID+`"`) || !strings.Contains(body, c.says) {
			t.Errorf("%v: %d; want 400 and %q:\n%s", c.form, code, c.says, body)
		}
		if add := c.form.Get("add"); add != "" && !strings.Contains(body, ">"+add+"</textarea>") {
			t.Errorf("%v: the form did not come back with what was typed", c.form)
		}
	}
	// An invitee is not the owner: refused.
	if code, _, _ := ta.submit(t, ben, path, url.Values{"op": {"remove"}, "email": {"dee@example.com"}}); code != 403 {
		t.Errorf("an invitee removed someone: %d", code)
	}
	if after := ta.formStore(t); after != before {
		t.Errorf("refused changes stored something:\nbefore %s\nafter  %s", before, after)
	}
}

// The "decision.invitees" block the decision page includes: the owner gets
// the forms while the decision is open, an invitee only the list.
func TestInviteeBlock(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ben@example.com")
	ta.Person("ana@example.com")
	ana := ta.signIn(t, "ana@example.com")
	id := ta.openDecision(t, ana, url.Values{"title": {"T"}, "proposal": {"P"}, "invitees": {"ben@example.com"}})
	_, body := ta.page(t, ana, fmt.Sprintf("/decisions/%d", id))
	if !strings.Contains(body, `id="invitees"`) {
		t.Skip("the decision page does not include the decision.invitees block yet")
	}
	if !strings.Contains(body, `id="add-invitees"`) || !strings.Contains(body, `aria-label="Remove ben@example.com"`) {
		t.Errorf("the owner's decision page lacks the invitee forms")
	}
	ben := ta.signIn(t, "ben@example.com")
	if _, body := ta.page(t, ben, fmt.Sprintf("/decisions/%d", id)); strings.Contains(body, `id="add-invitees"`) {
		t.Errorf("an invitee's decision page offers the invitee forms")
	}
}

// Every new form refuses a post without the session's CSRF token (or with
// a wrong one), and stores nothing.
func TestNewFormsNeedTheCSRFToken(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ta.Person("dee@example.com")
	ana := ta.signIn(t, "ana@example.com")
	d := ta.openDecision(t, ana, url.Values{"title": {"T"}, "proposal": {"P"}, "invitees": {"ben@example.com"}})
	meeting := fmt.Sprintf("/meetings/%d", occ)
	forms := map[string]url.Values{
		"/meetings/new":                          weekly(),
		meeting + "/edit":                        weekly(),
		meeting + "/cancel":                      {"scope": {"series"}},
		meeting + "/action-items":                {"text": {"x"}, "owner": {"ben@example.com"}, "due": {"2026-11-20"}},
		"/decisions/new":                         {"title": {"T2"}, "proposal": {"P"}, "invitees": {"ben@example.com"}},
		fmt.Sprintf("/decisions/%d/invitees", d): {"op": {"add"}, "add": {"dee@example.com"}},
	}
	before := ta.formStore(t)
	for path, form := range forms {
		for name, tok := range map[string][]string{"missing": nil, "wrong": {"0123456789abcdef"}} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if tok != nil {
				f["csrf"] = tok
			}
			resp, err := ana.PostForm(ta.URL+path, f)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 403 {
				t.Errorf("%s with a %s CSRF token: %d", path, name, resp.StatusCode)
			}
		}
	}
	if after := ta.formStore(t); after != before {
		t.Errorf("refused posts stored something:\nbefore %s\nafter  %s", before, after)
	}
}
