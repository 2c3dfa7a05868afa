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

// OccurrenceView is everything a meeting page shows.
type OccurrenceView struct {
	Occurrence
	Series      Series        `json:"series"`
	Organizer   people.Person `json:"organizer"`
	NotesURL    string        `json:"notes_url"`
	Attendees   []Attendee    `json:"attendees"`
	Section     Section       `json:"section"`
	ActionItems []ActionItem  `json:"action_items"`
	Role        string        `json:"viewer_role"`
}

// View returns the occurrence as a's eyes may see it.
func (s *Service) View(ctx context.Context, a people.Actor, occID int64) (OccurrenceView, error) {
	o, err := getOccurrence(ctx, s.DB, occID)
	if err != nil {
		return OccurrenceView{}, err
	}
	if o.Stage != 0 {
		return OccurrenceView{}, errs.Errorf(errs.NotFound, "no occurrence %d", occID)
	}
	role, err := canSee(ctx, s.DB, a, o)
	if err != nil {
		return OccurrenceView{}, err
	}
	v := OccurrenceView{Occurrence: o, Role: role}
	if v.Series, err = getSeries(ctx, s.DB, o.SeriesID); err != nil {
		return OccurrenceView{}, err
	}
	if v.Organizer, err = people.ByID(ctx, s.DB, v.Series.OrganizerID); err != nil {
		return OccurrenceView{}, err
	}
	doc, err := notesDoc(ctx, s.DB, o.SeriesID)
	if err != nil {
		return OccurrenceView{}, err
	}
	v.NotesURL = fmt.Sprintf("%s#occurrence-%d", s.docURL(doc), o.ID)
	if u, err := sectionURL(ctx, s.DB, o.ID); err != nil {
		return OccurrenceView{}, err
	} else if u != "" {
		v.NotesURL = u // an external doc's own link to the section: a Google Docs heading
	}
	if v.Attendees, err = attendees(ctx, s.DB, o.ID); err != nil {
		return OccurrenceView{}, err
	}
	if v.Section, err = getSection(ctx, s.DB, o.ID); err != nil {
		return OccurrenceView{}, err
	}
	v.Section = s.withoutHints(v.Section)
	v.ActionItems, err = actionItems(ctx, s.DB, o.ID)
	return v, err
}

// Upcoming lists occurrences a may see that start at or after from, in
// start order, after the cursor (the last item's start and id) if given.
func (s *Service) Upcoming(ctx context.Context, a people.Actor, from time.Time, after *db.Cursor, limit int) ([]Occurrence, error) {
	var args []any
	if !a.Operator {
		args = append(args, a.PersonID)
	}
	args = append(args, from.UTC())
	if after != nil {
		args = append(args, after.At, after.At, after.ID)
	}
	args = append(args, limit)
	query := upcomingQuery(a.Operator, after != nil)
	var out []Occurrence
	if err := s.DB.SelectContext(ctx, &out, s.DB.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("upcoming occurrences: %w", err)
	}
	return out, nil
}

// upcomingQuery reads occurrences in start order: an operator's by the
// start index; anyone else's from their attendee rows (attendees_person),
// sorting only their own.
func upcomingQuery(operator, paged bool) string {
	query := `SELECT ` + prefixed("o.", occColumns) + ` FROM occurrences o `
	if !operator {
		query += `JOIN attendees a ON a.occurrence_id = o.id AND a.person_id = ? AND a.removed = FALSE `
	}
	query += `WHERE o.cancelled = FALSE AND o.stage = 0 AND o.starts_at >= ? `
	if paged {
		query += `AND (o.starts_at > ? OR (o.starts_at = ? AND o.id > ?)) `
	}
	return query + `ORDER BY o.starts_at, o.id LIMIT ?`
}

// SeriesOccurrences lists a series' occurrences, newest first: the notes
// doc's sections in order.
func seriesOccurrences(ctx context.Context, q db.Queryer, seriesID int64) ([]Occurrence, error) {
	var out []Occurrence
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT `+occColumns+` FROM occurrences WHERE series_id = ? AND cancelled = FALSE
		AND stage = 0 ORDER BY starts_at DESC`), seriesID)
	if err != nil {
		return nil, fmt.Errorf("occurrences of series %d: %w", seriesID, err)
	}
	return out, nil
}

func prefixed(p, cols string) string {
	out := ""
	for i, c := range splitCols(cols) {
		if i > 0 {
			out += ", "
		}
		out += p + c
	}
	return out
}

func splitCols(cols string) []string {
	var out []string
	for _, f := range strings.Split(cols, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// PreReadsToPublish lists upcoming occurrences whose pre-read personID owes
// (as organizer or speaker), soonest deadline first.
func (s *Service) PreReadsToPublish(ctx context.Context, personID int64, limit int) ([]Occurrence, error) {
	var out []Occurrence
	err := s.DB.SelectContext(ctx, &out, s.DB.Rebind(`SELECT `+prefixed("o.", occColumns)+` FROM occurrences o
		JOIN attendees a ON a.occurrence_id = o.id AND a.person_id = ? AND a.removed = FALSE AND a.role IN ('organizer', 'speaker')
		WHERE o.cancelled = FALSE AND o.stage = 0 AND o.starts_at > ? AND o.pre_read_state IN ('pending', 'missing')
		ORDER BY o.pre_read_due_at, o.id LIMIT ?`), personID, s.Clock.Now(), limit)
	if err != nil {
		return nil, fmt.Errorf("pre-reads to publish: %w", err)
	}
	return out, nil
}

// Deadline is when a person's pre-read for an occurrence is due (or, for
// attendees, out).
type Deadline struct {
	OccurrenceID int64     `db:"id"`
	Title        string    `db:"title"`
	DueAt        time.Time `db:"pre_read_due_at"`
	Role         string    `db:"role"`
}

// DeadlinesOf lists the pre-read deadlines of personID's meetings that
// start from since on, soonest first.
func (s *Service) DeadlinesOf(ctx context.Context, personID int64, since time.Time, limit int) ([]Deadline, error) {
	var out []Deadline
	err := s.DB.SelectContext(ctx, &out, s.DB.Rebind(`SELECT o.id, o.title, o.pre_read_due_at, a.role
		FROM attendees a JOIN occurrences o ON o.id = a.occurrence_id
		WHERE a.person_id = ? AND a.removed = FALSE AND o.cancelled = FALSE AND o.stage = 0 AND o.starts_at >= ?
		ORDER BY o.pre_read_due_at LIMIT ?`), personID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("pre-read deadlines of person %d: %w", personID, err)
	}
	return out, nil
}

// Any reports whether any meeting exists, for the first-run guide.
func (s *Service) Any(ctx context.Context) (bool, error) {
	var n int
	if err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM (SELECT 1 FROM occurrences LIMIT 1) AS one`); err != nil {
		return false, fmt.Errorf("any meeting: %w", err)
	}
	return n > 0, nil
}

// OccurrenceIDs are a series' current occurrences, soonest first.
func OccurrenceIDs(ctx context.Context, q db.Queryer, seriesID int64) ([]int64, error) {
	ids := []int64{}
	err := q.SelectContext(ctx, &ids, q.Rebind(`SELECT id FROM occurrences WHERE series_id = ? AND cancelled = FALSE AND stage = 0
		ORDER BY starts_at, id`), seriesID)
	if err != nil {
		return nil, fmt.Errorf("occurrences of series %d: %w", seriesID, err)
	}
	return ids, nil
}
