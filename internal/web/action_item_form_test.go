package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestActionItemForm(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ta.inZone(t, "ben@example.com", "America/New_York")
	ana := ta.signIn(t, "ana@example.com")
	page := fmt.Sprintf("/meetings/%d", occ)
	_, body := ta.page(t, ana, page)
	for _, want := range []string{`<label for="item-owner">`, `<option value="ben@example.com">`, `<option value="cy@example.com">`,
		`<label for="item-due">`, `<label for="item-text">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the meeting page's action item form has no %s", want)
		}
	}
	path := page + "/action-items"
	code, _, loc := ta.submit(t, ana, path, url.Values{"text": {"Draft the plan"}, "owner": {"ben@example.com"}, "due": {"2026-11-20"}})
	if code != 303 || !strings.HasPrefix(loc, page+"?done=") {
		t.Fatalf("add action item: %d %q", code, loc)
	}
	var due time.Time
	var owner string
	ta.DB.QueryRow(`SELECT a.due_at, p.email FROM action_items a JOIN people p ON p.id = a.owner_id`).Scan(&due, &owner)
	// The end of ben's working day (17:00 by default) in New York.
	ny, _ := time.LoadLocation("America/New_York")
	if want := time.Date(2026, 11, 20, 17, 0, 0, 0, ny); owner != "ben@example.com" || !due.Equal(want) {
		t.Errorf("action item: %s due %s, want ben due %s", owner, due.UTC(), want.UTC())
	}
	if _, body := ta.page(t, ana, page); !strings.Contains(body, "Draft the plan") {
		t.Errorf("the meeting page does not list the new action item")
	}
}

func TestActionItemFormRefusesBadInput(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ta.Person("zed@example.com")
	ana := ta.signIn(t, "ana@example.com")
	path := fmt.Sprintf("/meetings/%d/action-items", occ)
	good := url.Values{"text": {"Draft the plan"}, "owner": {"ben@example.com"}, "due": {"2026-11-20"}}
	cases := []struct{ name, field, value, errID, says string }{
		{"no text", "text", " ", "item-text-error", "Say what is to be done"},
		{"no owner", "owner", "", "item-owner-error", "Pick who owns it"},
		{"owner not invited", "owner", "zed@example.com", "item-owner-error", "not invited to this meeting"},
		{"owner unknown", "owner", "nobody@example.com", "item-owner-error", "not invited to this meeting"},
		{"no due date", "due", "", "item-due-error", "YYYY-MM-DD"},
		{"bad due date", "due", "friday", "item-due-error", "YYYY-MM-DD"},
		{"due in the past", "due", "2026-10-01", "item-due-error", "in the past"},
	}
	before := ta.formStore(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range good {
				f[k] = v
			}
			f.Set(c.field, c.value)
			code, body, _ := ta.submit(t, ana, path, f)
			msg := regexp.MustCompile(`<span class="error" id="` + c.errID + `">([^<]*)</span>`).FindStringSubmatch(body)
			if code != 400 || msg == nil || !strings.Contains(msg[1], c.says) {
				t.Fatalf("%d; want 400 and %q beside the field:\n%s", code, c.says, body)
			}
			if c.field != "text" && !strings.Contains(body, `value="Draft the plan"`) {
				t.Errorf("the form did not come back with what was typed")
			}
		})
	}
	if after := ta.formStore(t); after != before {
		t.Errorf("refused forms stored something:\nbefore %s\nafter  %s", before, after)
	}
	// Someone not invited cannot add one.
	zed := ta.signIn(t, "zed@example.com")
	if code, _, _ := ta.submit(t, zed, path, good); code != 404 {
		t.Errorf("a stranger added an action item: %d", code)
	}
}
