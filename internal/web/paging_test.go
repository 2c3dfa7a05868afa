package web_test

import (
	"strings"
	"testing"
)

// Every list that pages refuses a limit outside 1..500 with a 400 naming
// the parameter, instead of quietly answering some other number of rows.
func TestPageLimitOutsideRangeIsRefused(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	ana, ops := ta.Token("ana@example.com"), ta.Token("ops@example.com")
	lists := []struct{ path, token string }{
		{"/api/v1/occurrences", ana},
		{"/api/v1/action-items", ana},
		{"/api/v1/decisions", ana},
		{"/api/v1/decisions/needs-input", ana},
		{"/api/v1/decisions/closed", ana},
		{"/api/v1/schedule", ops},
		{"/api/v1/outbox", ops},
	}
	for _, l := range lists {
		for _, limit := range []string{"-5", "0", "501", "999999", "abc", "1.5", "99999999999999999999"} {
			var out map[string]map[string]string
			code := ta.Call("GET", l.path+"?limit="+limit, l.token, "", nil, &out)
			if msg := out["error"]["message"]; code != 400 || out["error"]["code"] != "invalid" || !strings.Contains(msg, "limit") {
				t.Errorf("%s?limit=%s: %d %v, want 400 naming limit", l.path, limit, code, out)
			}
		}
		for _, limit := range []string{"1", "500"} {
			if code := ta.Call("GET", l.path+"?limit="+limit, l.token, "", nil, nil); code != 200 {
				t.Errorf("%s?limit=%s: %d, want 200", l.path, limit, code)
			}
		}
	}
}
