package meetings_test

import (
	"fmt"
	"strings"
	"testing"

	"meetingd/internal/dbtest"
	"meetingd/internal/people"
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

// insightQuery is one of /insights' queries, built as the page builds it.
type insightQuery struct {
	name  string
	build func() (string, []any)
	index string // the index the plan must read
}

// /insights is read by everyone on the dashboard, over weeks of meetings:
// each query finds its occurrences by index, an operator's by start time
// (or by series, when one is picked), a person's from their own attendee
// rows, as the meetings page does. No table is scanned whole. The plans
// are the planner's without statistics, as meetingd runs no ANALYZE.
func TestInsightsUseIndexes(t *testing.T) {
	dbtest.SkipOnPostgres(t, "EXPLAIN QUERY PLAN is SQLite's")
	h := newHarness(t)
	for _, a := range []people.Actor{operator, {PersonID: 1}} {
		for _, series := range []int64{0, 1} {
			sc := insightsScope(t0)
			sc.SeriesID = series
			for _, q := range insightQueries(h, a, sc) {
				label := fmt.Sprintf("%s operator=%v series=%d", q.name, a.Operator, series)
				query, args := q.build()
				details := dbtest.QueryPlan(t, h.DB, query, args...)
				plan := strings.Join(details, "\n")
				for _, line := range tableScans(details) {
					t.Errorf("%s: plan scans a table: %q\n%s", label, line, plan)
				}
				if !strings.Contains(plan, q.index) {
					t.Errorf("%s: plan does not use %s:\n%s", label, q.index, plan)
				}
				t.Logf("%s:\n%s", label, plan)
			}
		}
	}
}

// insightQueries are the queries of /insights for a in sc, each with the
// index it should be read by.
func insightQueries(h *harness, a people.Actor, sc meetings.InsightScope) []insightQuery {
	byStart, mine := "occurrences_starts (starts_at>? AND starts_at<?)", "attendees_person (person_id=?)"
	weeks, all, title := byStart, byStart, "INTEGER PRIMARY KEY (rowid=?)"
	if sc.SeriesID != 0 {
		weeks = "(series_id=?)" // the series' own occurrences, by the series index
	}
	if !a.Operator {
		weeks, all, title = mine, mine, mine
	}
	return []insightQuery{
		{"zoneHours", func() (string, []any) { return meetings.ZoneHoursQuery(h.DB, a, sc) }, weeks},
		{"preReadStates", func() (string, []any) { return meetings.PreReadStatesQuery(a, sc) }, weeks},
		{"attendanceCounts", func() (string, []any) { return meetings.AttendanceCountsQuery(a, sc) }, weeks},
		// The series to pick from are every series of the weeks, whatever is picked.
		{"InsightSeries", func() (string, []any) { return meetings.InsightSeriesQuery(a, sc, 50) }, all},
		{"SeriesTitle", func() (string, []any) { return meetings.SeriesTitleQuery(a, 1) }, title},
	}
}

// tableScans are the plan's steps that read a whole table: a SCAN with no
// index to narrow it.
func tableScans(details []string) []string {
	var out []string
	for _, line := range details {
		if strings.HasPrefix(strings.TrimSpace(line), "SCAN ") && !strings.Contains(line, "USING") {
			out = append(out, line)
		}
	}
	return out
}
