package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// InsightScope is what the meeting insights count: the occurrences that
// started in the weeks given, of one series or all, that the actor may see.
type InsightScope struct {
	Weeks    []time.Time // each week's start, oldest first; the last week runs to End
	End      time.Time
	SeriesID int64 // 0: every series
}

// ZoneWeek is the meeting time of the people in one time zone in one week.
type ZoneWeek struct {
	Week    int     `db:"week"`    // index into the scope's Weeks
	Zone    string  `db:"zone"`    // the people's own time zone
	People  int     `db:"people"`  // who spent any time in meetings that week
	Seconds float64 `db:"seconds"` // their meeting time, summed
}

// MeetingInsights are the meeting numbers of /insights.
type MeetingInsights struct {
	Hours       []ZoneWeek
	PreRead     map[string]int // ready (on time), late, missing
	Attendance  map[string]int // present, async, absent, "" (not recorded)
	Occurrences int            // held (not cancelled) in the scope
}

// Insights computes the meeting numbers of the scope as a may see them:
// operators every meeting, others the meetings they are invited to.
func (s *Service) Insights(ctx context.Context, a people.Actor, sc InsightScope) (MeetingInsights, error) {
	if len(sc.Weeks) == 0 {
		return MeetingInsights{}, errs.Errorf(errs.Invalid, "insights need at least one week")
	}
	var out MeetingInsights
	var err error
	if out.Hours, err = s.zoneHours(ctx, a, sc); err != nil {
		return out, err
	}
	if out.PreRead, out.Occurrences, err = s.preReadStates(ctx, a, sc); err != nil {
		return out, err
	}
	out.Attendance, err = s.attendanceCounts(ctx, a, sc)
	return out, err
}

// where limits occurrences (as o) to the scope and to what a may see.
// Cancelled ones were never held, and staged ones (an import under way)
// are not shown anywhere yet. A person's occurrences are a list read from
// their attendee rows by the (person, occurrence) index, as the meetings
// page reads them, so their view costs what their own meetings do; an
// EXISTS had the planner read every occurrence of the weeks, everyone's,
// and probe each one.
func (sc InsightScope) where(a people.Actor) (string, []any) {
	w := ` WHERE o.cancelled = FALSE AND o.stage = 0 AND o.starts_at >= ? AND o.starts_at < ?`
	args := []any{sc.Weeks[0], sc.End}
	if sc.SeriesID != 0 {
		w += ` AND o.series_id = ?`
		args = append(args, sc.SeriesID)
	}
	if !a.Operator {
		w += ` AND o.id IN (SELECT me.occurrence_id FROM attendees me WHERE me.person_id = ? AND me.removed = FALSE)`
		args = append(args, a.PersonID)
	}
	return w, args
}

// weekOf is the SQL for the index of the scope's week an occurrence
// starts in. The week starts are bound as times, so both dialects compare
// them as they compare any time, and weeks follow the reader's zone
// (daylight saving included) as computed by the caller.
func (sc InsightScope) weekOf() (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("CASE")
	for i, start := range sc.Weeks[1:] {
		fmt.Fprintf(&b, " WHEN o.starts_at < ? THEN %d", i)
		args = append(args, start)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(sc.Weeks)-1)
	return b.String(), args
}

// zoneHoursQuery is the query of zoneHours; it and the other insight
// queries are built apart from running them so the plan test can hold
// each to its indexes.
func zoneHoursQuery(q interface{ DriverName() string }, a people.Actor, sc InsightScope) (string, []any) {
	week, args := sc.weekOf()
	where, wargs := sc.where(a)
	return `SELECT ` + week + ` AS week, p.time_zone AS zone, COUNT(DISTINCT atd.person_id) AS people,
		SUM(` + db.Seconds(q, "o.starts_at", "o.ends_at") + `) AS seconds
		FROM occurrences o JOIN attendees atd ON atd.occurrence_id = o.id AND atd.removed = FALSE
			AND atd.rsvp <> 'declined' AND atd.attendance IN ('', 'present')
		JOIN people p ON p.id = atd.person_id` + where + ` GROUP BY 1, 2 ORDER BY 1, 2`, append(args, wargs...)
}

// zoneHours sums, per week and time zone, the meeting time of the people
// who took part: invited, not declined, and not recorded absent or async.
// The people table is joined for the zone only, so the sum stays one
// aggregate however many people there are.
func (s *Service) zoneHours(ctx context.Context, a people.Actor, sc InsightScope) ([]ZoneWeek, error) {
	query, args := zoneHoursQuery(s.DB, a, sc)
	var out []ZoneWeek
	if err := s.DB.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("meeting hours by zone: %w", err)
	}
	return out, nil
}

type stateCount struct {
	State string `db:"state"`
	N     int    `db:"n"`
}

// preReadStatesQuery is the query of preReadStates.
func preReadStatesQuery(a people.Actor, sc InsightScope) (string, []any) {
	where, args := sc.where(a)
	return `SELECT o.pre_read_state AS state, COUNT(*) AS n FROM occurrences o` + where + ` GROUP BY o.pre_read_state`, args
}

// preReadStates counts the scope's occurrences by pre-read state; n is all
// of them, pending ones (not yet judged) included.
func (s *Service) preReadStates(ctx context.Context, a people.Actor, sc InsightScope) (map[string]int, int, error) {
	query, args := preReadStatesQuery(a, sc)
	var rows []stateCount
	if err := s.DB.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, 0, fmt.Errorf("pre-read states: %w", err)
	}
	out, n := map[string]int{}, 0
	for _, r := range rows {
		out[r.State] += r.N
		n += r.N
	}
	return out, n, nil
}

// attendanceCountsQuery is the query of attendanceCounts.
func attendanceCountsQuery(a people.Actor, sc InsightScope) (string, []any) {
	where, args := sc.where(a)
	return `SELECT atd.attendance AS state, COUNT(*) AS n
		FROM occurrences o JOIN attendees atd ON atd.occurrence_id = o.id AND atd.removed = FALSE` + where + ` GROUP BY atd.attendance`, args
}

// attendanceCounts counts the scope's attendees by recorded attendance.
func (s *Service) attendanceCounts(ctx context.Context, a people.Actor, sc InsightScope) (map[string]int, error) {
	query, args := attendanceCountsQuery(a, sc)
	var rows []stateCount
	if err := s.DB.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("attendance counts: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// insightSeriesQuery is the query of InsightSeries: the scope's series
// filter is dropped, since the list offers every series to pick from.
func insightSeriesQuery(a people.Actor, sc InsightScope, limit int) (string, []any) {
	all := sc
	all.SeriesID = 0
	where, args := all.where(a)
	return `SELECT s.id, s.title FROM series s WHERE s.id IN (SELECT o.series_id FROM occurrences o` + where + `)
		ORDER BY s.title, s.id LIMIT ?`, append(args, limit)
}

// InsightSeries lists the series a may pick on /insights: those with an
// occurrence in the scope's weeks that a may see, by title.
func (s *Service) InsightSeries(ctx context.Context, a people.Actor, sc InsightScope, limit int) ([]Series, error) {
	query, args := insightSeriesQuery(a, sc, limit)
	var out []Series
	if err := s.DB.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("series with insights: %w", err)
	}
	return out, nil
}

// seriesTitleQuery is the query of SeriesTitle.
func seriesTitleQuery(a people.Actor, id int64) (string, []any) {
	query, args := `SELECT s.title FROM series s WHERE s.id = ?`, []any{id}
	if !a.Operator {
		query += ` AND EXISTS (SELECT 1 FROM occurrences o JOIN attendees me ON me.occurrence_id = o.id
			WHERE o.series_id = s.id AND me.person_id = ? AND me.removed = FALSE)`
		args = append(args, a.PersonID)
	}
	return query, args
}

// SeriesTitle is a series' title, for one a may see: an operator, or
// someone invited to any of its occurrences. Others are told there is no
// such series, so ids reveal nothing.
func (s *Service) SeriesTitle(ctx context.Context, a people.Actor, id int64) (string, error) {
	query, args := seriesTitleQuery(a, id)
	var titles []string
	if err := s.DB.SelectContext(ctx, &titles, query, args...); err != nil {
		return "", fmt.Errorf("series %d: %w", id, err)
	}
	if len(titles) == 0 {
		return "", errs.Errorf(errs.NotFound, "no series %d", id)
	}
	return titles[0], nil
}

// InSeries is a condition on an occurrence id column (SQL and arguments)
// that holds for the occurrences of one series: the decisions package
// limits its insights with it without knowing the occurrences table.
func InSeries(seriesID int64) func(occ string) (string, []any) {
	return func(occ string) (string, []any) {
		return occ + ` IN (SELECT id FROM occurrences WHERE series_id = ?)`, []any{seriesID}
	}
}

// Attended is a condition (SQL) that the person in one column was recorded
// present at the occurrence in another, for the decisions package.
func Attended(occ, person string) string {
	return `EXISTS (SELECT 1 FROM attendees att WHERE att.occurrence_id = ` + occ +
		` AND att.person_id = ` + person + ` AND att.attendance = 'present')`
}
