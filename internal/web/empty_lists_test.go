package web_test

import (
	"encoding/json"
	"testing"
)

// On an empty database every list answers [] (none), never null, which
// clients would have to special-case.
func TestEmptyListsAreEmptyArrays(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ana, ops := ta.Token("ana@example.com"), ta.Token("ops@example.com")
	for _, c := range []struct{ path, token, key string }{
		{"/api/v1/occurrences", ana, "occurrences"},
		{"/api/v1/action-items", ana, "action_items"},
		{"/api/v1/decisions", ana, "decisions"},
		{"/api/v1/decisions/needs-input", ana, "decisions"},
		{"/api/v1/decisions/closed", ana, "decisions"},
		{"/api/v1/outbox", ops, "emails"},
	} {
		var out map[string]json.RawMessage
		if code := ta.Call("GET", c.path, c.token, "", nil, &out); code != 200 {
			t.Errorf("%s: %d", c.path, code)
			continue
		}
		if got := string(out[c.key]); got != "[]" {
			t.Errorf("%s: %q is %s, want []", c.path, c.key, got)
		}
	}
}
