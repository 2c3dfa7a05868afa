package decisions_test

import (
	"fmt"
	"strings"
	"testing"

	"meetingd/decisions"
	"meetingd/internal/dbtest"
	"meetingd/internal/people"
	"meetingd/meetings"
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

// /insights counts the decisions that closed in its weeks: an operator's
// by state and close time from decisions_state_closed, a person's from
// their invitee rows by close time; either way only the range is read,
// with or without a series picked (the occurrence condition). No table is
// scanned whole. The plans are the planner's without statistics, as
// meetingd runs no ANALYZE.
func TestInsightsUseIndexes(t *testing.T) {
	dbtest.SkipOnPostgres(t, "EXPLAIN QUERY PLAN is SQLite's")
	h := newHarness(t)
	for _, a := range []people.Actor{operator, {PersonID: 1}} {
		for _, inSeries := range []bool{false, true} {
			// The conditions the insights page passes, from the package
			// that owns occurrences and attendance.
			sc := decisions.InsightScope{From: t0, To: t0.AddDate(0, 0, 84), Attended: meetings.Attended}
			if inSeries {
				sc.Occurrences = meetings.InSeries(1)
			}
			index := "decisions_state_closed (state=? AND closed_at>? AND closed_at<?)"
			if !a.Operator {
				index = "decision_invitees_closed (person_id=? AND closed_at>? AND closed_at<?)"
			}
			for _, q := range []struct {
				name  string
				build func() (string, []any)
			}{
				{"closedCounts", func() (string, []any) { return decisions.ClosedCountsQuery(a, sc) }},
				{"medianClose", func() (string, []any) { return decisions.MedianCloseQuery(h.DB, a, sc, 5) }},
				{"contributionCounts", func() (string, []any) { return decisions.ContributionCountsQuery(a, sc) }},
			} {
				label := fmt.Sprintf("%s operator=%v inSeries=%v", q.name, a.Operator, inSeries)
				query, args := q.build()
				details := dbtest.QueryPlan(t, h.DB, query, args...)
				plan := strings.Join(details, "\n")
				for _, line := range details {
					if strings.HasPrefix(strings.TrimSpace(line), "SCAN ") && !strings.Contains(line, "USING") {
						t.Errorf("%s: plan scans a table: %q\n%s", label, line, plan)
					}
				}
				if !strings.Contains(plan, index) {
					t.Errorf("%s: plan does not read the range by %s:\n%s", label, index, plan)
				}
				t.Logf("%s:\n%s", label, plan)
			}
		}
	}
}
