package decisions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// View is a decision with everything its page shows.
type View struct {
	Decision
	Positions    []Contribution `json:"positions"`     // one support or objection per person
	Comments     []Contribution `json:"comments"`      // the first CommentPage, oldest first
	MoreComments bool           `json:"more_comments"` // GET .../comments?after= reads on
	Invitees     []string       `json:"invitees"`
	Summary      Summary        `json:"summary"` // where the invitees stand, by name
	Audit        []AuditEntry   `json:"audit"`
	Open         bool           `json:"open"` // takes contributions now
}

// CommentPage is how many comments a decision's view carries.
const CommentPage = 50

// Get returns a decision as a may see it.
func (s *Service) Get(ctx context.Context, a people.Actor, id int64) (View, error) {
	d, err := getDecision(ctx, s.DB, id)
	if err != nil {
		return View{}, err
	}
	if err := canSee(ctx, s.DB, a, d); err != nil {
		return View{}, err
	}
	v := View{Decision: d, Open: d.IsOpen(s.Clock.Now()), Positions: []Contribution{}, Invitees: []string{}}
	if v.Positions, err = positions(ctx, s.DB, id); err != nil {
		return View{}, err
	}
	if v.Summary, err = summary(ctx, s.DB, d, v.Positions); err != nil {
		return View{}, err
	}
	if v.Comments, err = comments(ctx, s.DB, id, 0, CommentPage+1); err != nil {
		return View{}, err
	}
	if len(v.Comments) > CommentPage {
		v.Comments, v.MoreComments = v.Comments[:CommentPage], true
	}
	invited, err := invitees(ctx, s.DB, id)
	if err != nil {
		return View{}, err
	}
	for _, p := range invited {
		v.Invitees = append(v.Invitees, p.Email)
	}
	v.Audit, err = auditTrail(ctx, s.DB, id)
	return v, err
}

// Comments returns a page of a decision's comments, oldest first, after the
// comment with id after (0 for the first page).
func (s *Service) Comments(ctx context.Context, a people.Actor, id, after int64, limit int) ([]Contribution, error) {
	d, err := getDecision(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if err := canSee(ctx, s.DB, a, d); err != nil {
		return nil, err
	}
	return comments(ctx, s.DB, id, after, limit)
}

// Contributors are the people who contributed to any decision about the
// occurrence: they took part in it, whether or not they attended.
func (s *Service) Contributors(ctx context.Context, occurrenceID int64) (map[int64]bool, error) {
	var ids []int64
	err := s.DB.SelectContext(ctx, &ids, s.DB.Rebind(`SELECT DISTINCT c.author_id FROM contributions c
		JOIN decisions d ON d.id = c.decision_id WHERE d.occurrence_id = ?`), occurrenceID)
	if err != nil {
		return nil, fmt.Errorf("contributors about occurrence %d: %w", occurrenceID, err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Filter narrows a list of decisions.
type Filter struct {
	State         string // open, contested, accepted, rejected, deferred, withdrawn; "" for all
	OccurrenceID  int64
	OccurrenceIDs []int64 // any of these (a meeting found by name: its occurrences)
	OwnerID       int64
}

var states = map[string]bool{Open: true, Contested: true, Accepted: true, Rejected: true, Deferred: true, Withdrawn: true}

// List returns decisions a may see, soonest close first, after the cursor
// (the last one's close time and id). Non-operators' lists read their
// invitee rows, whose index matches the order.
func (s *Service) List(ctx context.Context, a people.Actor, f Filter, after *db.Cursor, limit int) ([]Decision, error) {
	if f.State != "" && !states[f.State] {
		return nil, errs.Errorf(errs.Invalid, "state %q is not one of open, contested, accepted, rejected, deferred, withdrawn", f.State)
	}
	t, id := "d", "d.id" // the table whose state and times the query filters and orders by
	query, args := `SELECT `+columnsOf(s.DB)+` FROM decisions d`+ownerJoin+` WHERE 1=1`, []any{}
	if !a.Operator {
		t, id = "i", "i.decision_id"
		query = `SELECT ` + columnsOf(s.DB) + ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id` + ownerJoin + `
			WHERE i.person_id = ?`
		args = append(args, a.PersonID)
	}
	if f.State != "" {
		query += ` AND ` + t + `.state = ?`
		args = append(args, f.State)
	}
	if f.OccurrenceID != 0 {
		query += ` AND d.occurrence_id = ?`
		args = append(args, f.OccurrenceID)
	}
	if len(f.OccurrenceIDs) > 0 {
		query += ` AND d.occurrence_id IN (?` + strings.Repeat(`, ?`, len(f.OccurrenceIDs)-1) + `)`
		for _, id := range f.OccurrenceIDs {
			args = append(args, id)
		}
	}
	if f.OwnerID != 0 {
		query += ` AND d.owner_id = ?`
		args = append(args, f.OwnerID)
	}
	if after != nil {
		query += ` AND (` + t + `.closes_at > ? OR (` + t + `.closes_at = ? AND ` + id + ` > ?))`
		args = append(args, after.At, after.At, after.ID)
	}
	query += ` ORDER BY ` + t + `.closes_at, ` + id + ` LIMIT ?`
	return s.list(ctx, query, append(args, limit), limit)
}

// Why a decision needs someone, as NeedsInput gives it.
const (
	NeedsView      = "view"    // an invitee who has not said where they stand
	NeedsReply     = "reply"   // the owner: an objection awaits their reply
	NeedsOutcome   = "outcome" // the owner: contested, the outcome is theirs to record
	needsSelection = `, CASE WHEN d.owner_id <> ? THEN 'view' WHEN d.state = 'contested' THEN 'outcome' ELSE 'reply' END AS reason`
)

// NeedsInput lists what needs person, soonest close first: open decisions
// they are invited to and have not contributed to; and, of their own, the
// open ones with an objection awaiting a reply and the contested ones whose
// outcome is due. An owner with nothing to answer is not listed. Each row's
// Reason says which.
func (s *Service) NeedsInput(ctx context.Context, personID int64, after *db.Cursor, limit int) ([]Decision, error) {
	args := []any{personID, personID, personID}
	if after != nil {
		args = append(args, after.At, after.At, after.ID)
	}
	// To the second, so that one kept list serves a second's readers: a
	// decision stays listed for under a second past its deadline, as it
	// stays open until its close runs, within the second.
	now := s.Clock.Now().Truncate(time.Second)
	args = append(args, personID, personID, now, personID, personID, personID)
	if after != nil {
		args = append(args, after.At, after.At, after.ID)
	}
	return s.list(ctx, needsInputQuery(s.DB, after != nil), append(args, limit), limit)
}

// needsInputQuery is two index-ordered halves, merged: the owner's
// contested decisions closed in the past, so they come first; then the
// open ones.
func needsInputQuery(q dialect, paged bool) string {
	// The id and close time are the invitee row's (the same values, kept
	// in step), so each half's order is its index's and the merge sorts
	// nothing.
	columns := listColumns(q, "i.decision_id", "i.closes_at")
	page := ""
	if paged {
		page = ` AND (i.closes_at > ? OR (i.closes_at = ? AND i.decision_id > ?))`
	}
	outcome := `SELECT ` + columns + needsSelection + ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id` + ownerJoin + `
		WHERE i.person_id = ? AND i.state = 'contested' AND +d.owner_id = ?` + page // unary +: walk the invitee index, in order
	open := `SELECT ` + columns + needsSelection + ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id` + ownerJoin + `
		WHERE i.person_id = ? AND i.state = 'open' AND i.closes_at > ? AND (
			(d.owner_id <> ? AND NOT EXISTS (SELECT 1 FROM contributions c WHERE c.decision_id = i.decision_id AND c.author_id = ?))
			OR (d.owner_id = ? AND EXISTS (SELECT 1 FROM contributions c WHERE c.decision_id = i.decision_id
				AND c.kind = 'object' AND c.objection_state = 'open')))` + page
	return `SELECT * FROM (` + outcome + ` UNION ALL ` + open + `) AS needs ORDER BY closes_at, id LIMIT ?`
}

// RecentlyClosed lists closed decisions a may see, latest first.
func (s *Service) RecentlyClosed(ctx context.Context, a people.Actor, after *db.Cursor, limit int) ([]Decision, error) {
	t, id := "d", "d.id"
	query, args := `SELECT `+columnsOf(s.DB)+` FROM decisions d`+ownerJoin+` WHERE d.closed_at IS NOT NULL`, []any{}
	if !a.Operator {
		t, id = "i", "i.decision_id"
		query = `SELECT ` + columnsOf(s.DB) + ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id` + ownerJoin + `
			WHERE i.person_id = ? AND i.closed_at IS NOT NULL`
		args = append(args, a.PersonID)
	}
	if after != nil {
		query += ` AND (` + t + `.closed_at < ? OR (` + t + `.closed_at = ? AND ` + id + ` < ?))`
		args = append(args, after.At, after.At, after.ID)
	}
	query += ` ORDER BY ` + t + `.closed_at DESC, ` + id + ` DESC LIMIT ?`
	return s.list(ctx, query, append(args, limit), limit)
}

// OpenOf lists an occurrence's decisions still open, soonest close first.
func (s *Service) OpenOf(ctx context.Context, q db.Queryer, occurrenceID int64) ([]Decision, error) {
	return s.query(ctx, q, `SELECT `+columnsOf(q)+` FROM decisions d`+ownerJoin+` WHERE d.occurrence_id = ? AND d.state = 'open'
		ORDER BY d.closes_at, d.id`, []any{occurrenceID}, 0)
}

// query reads a list of decisions; query selects listColumns (scan.go)
// and, unless limit is 0, has LIMIT limit.
// list is query on the database, kept until the database changes: the
// lists are read on every dashboard visit and API poll, far more often
// than decisions change. Each caller gets its own copy of the slice.
func (s *Service) list(ctx context.Context, query string, args []any, limit int) ([]Decision, error) {
	ds, err := s.lists.Get(ctx, s.DB, db.Key(query, args...), func() ([]Decision, error) {
		return s.query(ctx, s.DB, query, args, limit)
	})
	return slices.Clone(ds), err
}

func (s *Service) query(ctx context.Context, q db.Queryer, query string, args []any, limit int) ([]Decision, error) {
	out, err := scanDecisions(ctx, q, q.Rebind(query), args, limit)
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	return out, nil
}

// Closing is when a decision someone is invited to closes, for their feed.
type Closing struct {
	ID       int64     `db:"id"`
	Title    string    `db:"title"`
	ClosesAt time.Time `db:"closes_at"`
}

// ClosingsOf lists the closings, from since on, of the decisions personID
// is invited to and that were not withdrawn, soonest first.
func (s *Service) ClosingsOf(ctx context.Context, personID int64, since time.Time, limit int) ([]Closing, error) {
	var out []Closing
	err := s.DB.SelectContext(ctx, &out, s.DB.Rebind(`SELECT d.id, d.title, d.closes_at
		FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id
		WHERE i.person_id = ? AND d.closes_at >= ? AND d.state <> ? ORDER BY d.closes_at LIMIT ?`),
		personID, since, Withdrawn, limit)
	if err != nil {
		return nil, fmt.Errorf("closings of person %d: %w", personID, err)
	}
	return out, nil
}

// CountOpen is how many decisions take contributions now.
func (s *Service) CountOpen(ctx context.Context) (int, error) {
	var n int
	if err := s.DB.GetContext(ctx, &n, s.DB.Rebind(`SELECT COUNT(*) FROM decisions WHERE state = ?`), Open); err != nil {
		return 0, fmt.Errorf("count open decisions: %w", err)
	}
	return n, nil
}

// Reader checks a decide link and returns whom it was sent to and the
// decision it opens.
func (s *Service) Reader(ctx context.Context, token string) (people.Person, int64, error) {
	c, err := s.Links.Verify(token, ActionDecide, s.Clock.Now())
	if err != nil {
		return people.Person{}, 0, err
	}
	p, err := people.ByID(ctx, s.DB, c.Person)
	return p, c.Subject, err
}

// Finished is the decision an EventFinished job is about, with its final
// state.
func Finished(ctx context.Context, q db.Queryer, subject string) (Decision, error) {
	id, err := jobs.SubjectID(subject, SubjectPrefix)
	if err != nil {
		return Decision{}, err
	}
	return getDecision(ctx, q, id)
}
