package decisions_test

import (
	"strings"
	"testing"

	"meetingd/decisions"
	"meetingd/internal/dbtest"
)

// "Needs my input" is read on every dashboard visit: each half must walk an
// index in order, with no scan of a whole table and no sort of all of a
// person's decisions.
func TestNeedsInputUsesIndexes(t *testing.T) {
	dbtest.SkipOnPostgres(t, "EXPLAIN QUERY PLAN is SQLite's")
	h := newHarness(t)
	for _, paged := range []bool{false, true} {
		args := []any{1, 1, 1}
		if paged {
			args = append(args, t0, t0, 1)
		}
		args = append(args, 1, 1, t0, 1, 1, 1)
		if paged {
			args = append(args, t0, t0, 1)
		}
		details := dbtest.QueryPlan(t, h.DB, decisions.NeedsInputQuery(h.DB, paged), append(args, 50)...)
		plan := strings.Join(details, "\n")
		for _, bad := range []string{"SCAN i", "SCAN d", "SCAN c", "SCAN decisions", "SCAN decision_invitees", "SCAN contributions"} {
			for _, line := range details {
				if strings.HasPrefix(strings.TrimSpace(line), bad) && !strings.Contains(line, "USING") {
					t.Errorf("paged=%v: plan scans a table: %q\n%s", paged, line, plan)
				}
			}
		}
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("paged=%v: plan sorts:\n%s", paged, plan)
		}
		if strings.Count(plan, "decision_invitees_open") < 2 {
			t.Errorf("paged=%v: both halves should read decision_invitees_open:\n%s", paged, plan)
		}
		t.Logf("paged=%v:\n%s", paged, plan)
	}
}
