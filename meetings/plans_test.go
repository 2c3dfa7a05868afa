package meetings_test

import (
	"strings"
	"testing"

	"meetingd/internal/dbtest"
	"meetingd/meetings"
)

// The meetings page reads upcoming occurrences on every visit: for a
// person, from their attendee rows by index; for an operator, in start
// order by the start index. Neither scans a whole table.
func TestUpcomingUsesIndexes(t *testing.T) {
	dbtest.SkipOnPostgres(t, "EXPLAIN QUERY PLAN is SQLite's")
	h := newHarness(t)
	for _, c := range []struct {
		operator, paged bool
		index           string
	}{{false, false, "attendees_person"}, {false, true, "attendees_person"}, {true, false, "occurrences_starts"}, {true, true, "occurrences_starts"}} {
		var args []any
		if !c.operator {
			args = append(args, 1)
		}
		args = append(args, t0)
		if c.paged {
			args = append(args, t0, t0, 1)
		}
		details := dbtest.QueryPlan(t, h.DB, meetings.UpcomingQuery(c.operator, c.paged), append(args, 100)...)
		plan := strings.Join(details, "\n")
		for _, line := range details {
			if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING") {
				t.Errorf("operator=%v paged=%v: plan scans a table: %q\n%s", c.operator, c.paged, line, plan)
			}
		}
		t.Logf("operator=%v paged=%v:\n%s", c.operator, c.paged, plan)
		if !strings.Contains(plan, c.index) {
			t.Errorf("operator=%v paged=%v: plan does not use %s:\n%s", c.operator, c.paged, c.index, plan)
		}
	}
}
