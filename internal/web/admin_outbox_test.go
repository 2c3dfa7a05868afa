package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The outbox page filters by address, kind and state, alone or together,
// and keeps its filters in its fields.
func TestAdminOutboxFilters(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	ops := ta.signIn(t, "ops@example.com")
	ta.signInLink(t, browser(), "ben@example.com")
	ta.At(t0.Add(30 * time.Hour)) // reminders and the missing pre-read: several kinds, sent and pending
	ids := func(where string, args ...any) []string {
		var out []int64
		if err := ta.DB.Select(&out, ta.DB.Rebind(`SELECT id FROM outbox WHERE `+where+` ORDER BY id DESC`), args...); err != nil {
			t.Fatal(err)
		}
		s := make([]string, len(out))
		for i, id := range out {
			s[i] = fmt.Sprint(id)
		}
		return s
	}
	row := regexp.MustCompile(`data-label="#">(\d+)<`)
	all := ids("1=1")
	for _, c := range []struct {
		query url.Values
		want  []string
	}{
		{url.Values{}, all},
		{url.Values{"to": {"BEN@example.com"}}, ids("to_addr = ?", "ben@example.com")},
		{url.Values{"kind": {"signin"}}, ids("kind = 'signin'")},
		{url.Values{"kind": {"preread_missing"}}, ids("kind = 'preread_missing'")},
		{url.Values{"state": {"kept"}}, ids("state = 'kept'")},
		{url.Values{"state": {"dropped"}}, ids("state = 'dropped'")},
		{url.Values{"to": {"ben@example.com"}, "kind": {"preread_missing"}, "state": {"kept"}},
			ids("to_addr = 'ben@example.com' AND kind = 'preread_missing' AND state = 'kept'")},
		{url.Values{"to": {"nobody@example.com"}}, nil},
	} {
		code, body := ta.page(t, ops, "/admin/outbox?"+c.query.Encode())
		var got []string
		for _, m := range row.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if c.want != nil && len(c.query) > 0 && (len(c.want) == 0 || len(c.want) >= len(all)) {
			t.Fatalf("filter %v: the mail does not test it (%d of %d)", c.query, len(c.want), len(all))
		}
		if code != 200 || !slices.Equal(got, c.want) {
			t.Errorf("filter %v: %d %v, want %v", c.query, code, got, c.want)
		}
		if len(c.want) == 0 && !strings.Contains(body, "No email matches these filters") {
			t.Errorf("filter %v: an empty list does not say so\n%s", c.query, body)
		}
	}
	if _, body := ta.page(t, ops, "/outbox?kind=signin&state=kept"); !strings.Contains(body, `value="signin"`) || !strings.Contains(body, `<option selected>kept</option>`) ||
		!strings.Contains(body, `<label>State <select name="state">`) {
		t.Errorf("the filters are not kept in their fields:\n%s", body)
	}
}
