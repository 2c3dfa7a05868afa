package decisions

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/people"
)

// InsightScope is what the decision insights count: the decisions whose
// window closed in [From, To) as accepted, contested or rejected, that the
// actor is invited to (operators: all of them).
type InsightScope struct {
	From, To time.Time
	// Occurrences, when set, limits the decisions to those from some
	// occurrences: a condition (SQL and arguments) on an occurrence id
	// column, from the package that owns occurrences.
	Occurrences func(occ string) (string, []any)
	// Attended is a condition (SQL) that a person attended an occurrence,
	// from the package that owns attendance. Nil: nobody is known to have.
	Attended func(occ, person string) string
}

// Insights are the decision numbers of /insights.
type Insights struct {
	Closed map[string]int // accepted, contested, rejected
	// Contributions counts those made to closed decisions that came from an
	// occurrence; FromAbsentees, those of them whose author was not recorded
	// present at it.
	Contributions int `db:"contributions"`
	FromAbsentees int `db:"absentees"`
	// MedianClose is the median of closed_at - opens_at; zero with no
	// closed decision.
	MedianClose time.Duration
}

// closedStates are the ways a window closes that insights count: by lazy
// consensus, over an objection, or rejected by the owner after one.
const closedStates = `('accepted', 'contested', 'rejected')`

// Insights computes the decision numbers of the scope as a may see them.
func (s *Service) Insights(ctx context.Context, a people.Actor, sc InsightScope) (Insights, error) {
	out := Insights{Closed: map[string]int{}}
	n, err := s.closedCounts(ctx, a, sc, out.Closed)
	if err != nil {
		return out, err
	}
	if out.MedianClose, err = s.medianClose(ctx, a, sc, n); err != nil {
		return out, err
	}
	err = s.contributionCounts(ctx, a, sc, &out)
	return out, err
}

// from is the FROM and WHERE of the scope's decisions (as d), with join
// placed before the WHERE. People's decisions are read through their
// invitee rows, whose (person, closed_at) index finds them in range.
func (sc InsightScope) from(a people.Actor, join string) (string, []any) {
	q, args := ` FROM decisions d`+join+` WHERE d.closed_at >= ? AND d.closed_at < ?`, []any{sc.From, sc.To}
	if !a.Operator {
		q = ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id` + join +
			` WHERE i.person_id = ? AND i.closed_at >= ? AND i.closed_at < ?`
		args = []any{a.PersonID, sc.From, sc.To}
	}
	q += ` AND d.state IN ` + closedStates
	if sc.Occurrences != nil {
		cond, cargs := sc.Occurrences("d.occurrence_id")
		q += ` AND ` + cond
		args = append(args, cargs...)
	}
	return q, args
}

// closedCountsQuery is the query of closedCounts; built apart from running
// it so the plan test can hold it to its indexes.
func closedCountsQuery(a people.Actor, sc InsightScope) (string, []any) {
	from, args := sc.from(a, "")
	return `SELECT d.state AS state, COUNT(*) AS n` + from + ` GROUP BY d.state`, args
}

// closedCounts fills counts by state and returns how many there are.
func (s *Service) closedCounts(ctx context.Context, a people.Actor, sc InsightScope, counts map[string]int) (int, error) {
	query, args := closedCountsQuery(a, sc)
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := s.DB.SelectContext(ctx, &rows, query, args...); err != nil {
		return 0, fmt.Errorf("closed decisions by state: %w", err)
	}
	n := 0
	for _, r := range rows {
		counts[r.State] = r.N
		n += r.N
	}
	return n, nil
}

// medianCloseQuery is the query of medianClose, of n closed decisions
// (n > 0), for the plan test as for medianClose.
func medianCloseQuery(q dialect, a people.Actor, sc InsightScope, n int) (string, []any) {
	from, args := sc.from(a, "")
	take := 2 - n%2 // an even count averages its two middle values
	return `SELECT ` + db.Seconds(q, "d.opens_at", "d.closed_at") + ` AS secs` + from +
		` ORDER BY secs LIMIT ? OFFSET ?`, append(args, take, (n-1)/2)
}

// medianClose reads the middle one (or two) of the n times to close in
// order, in SQL on both dialects: no list of n durations is loaded.
func (s *Service) medianClose(ctx context.Context, a people.Actor, sc InsightScope, n int) (time.Duration, error) {
	if n == 0 {
		return 0, nil
	}
	query, args := medianCloseQuery(s.DB, a, sc, n)
	var secs []float64
	if err := s.DB.SelectContext(ctx, &secs, query, args...); err != nil {
		return 0, fmt.Errorf("median time to close: %w", err)
	}
	if len(secs) == 0 {
		return 0, nil // closed between the count and now: the next view has it
	}
	sum := 0.0
	for _, v := range secs {
		sum += v
	}
	return time.Duration(sum / float64(len(secs)) * float64(time.Second)).Round(time.Second), nil
}

// contributionCountsQuery is the query of contributionCounts, for the plan
// test as for contributionCounts.
func contributionCountsQuery(a people.Actor, sc InsightScope) (string, []any) {
	attended := "FALSE"
	if sc.Attended != nil {
		attended = sc.Attended("d.occurrence_id", "c.author_id")
	}
	from, args := sc.from(a, ` JOIN contributions c ON c.decision_id = d.id`)
	return `SELECT COUNT(*) AS contributions,
		COALESCE(SUM(CASE WHEN ` + attended + ` THEN 0 ELSE 1 END), 0) AS absentees` + from + ` AND d.occurrence_id IS NOT NULL`, args
}

// contributionCounts counts the contributions to the scope's decisions
// from an occurrence, and those by people not recorded present at it.
func (s *Service) contributionCounts(ctx context.Context, a people.Actor, sc InsightScope, out *Insights) error {
	query, args := contributionCountsQuery(a, sc)
	if err := s.DB.GetContext(ctx, out, query, args...); err != nil {
		return fmt.Errorf("contributions to closed decisions: %w", err)
	}
	return nil
}
