package decisions

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/errs"
)

// View is a decision with everything its page shows.
type View struct {
	Decision
	Contributions []Contribution `json:"contributions"`
	Invitees      []string       `json:"invitees"`
	Audit         []AuditEntry   `json:"audit"`
	Open          bool           `json:"open"` // takes contributions now
}

// Get returns a decision as a may see it.
func (s *Service) Get(ctx context.Context, a Actor, id int64) (View, error) {
	d, err := getDecision(ctx, s.DB, id)
	if err != nil {
		return View{}, err
	}
	if err := canSee(ctx, s.DB, a, d); err != nil {
		return View{}, err
	}
	v := View{Decision: d, Open: d.IsOpen(s.Clock.Now())}
	if v.Contributions, err = contributions(ctx, s.DB, id); err != nil {
		return View{}, err
	}
	people, err := invitees(ctx, s.DB, id)
	if err != nil {
		return View{}, err
	}
	for _, p := range people {
		v.Invitees = append(v.Invitees, p.Email)
	}
	v.Audit, err = auditTrail(ctx, s.DB, id)
	return v, err
}

// Cursor is a position in a list ordered by a time and then id.
type Cursor struct {
	At time.Time
	ID int64
}

// String encodes the cursor for an API response.
func (c Cursor) String() string { return fmt.Sprintf("%d.%d", c.At.UnixNano(), c.ID) }

// ParseCursor decodes a cursor this API returned.
func ParseCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	at, id, ok := strings.Cut(s, ".")
	ns, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, errs.Errorf(errs.Invalid, "cursor %q is not one this API returned", s)
	}
	return &Cursor{At: time.Unix(0, ns).UTC(), ID: n}, nil
}

// Filter narrows a list of decisions.
type Filter struct {
	State        string // open, contested, accepted, rejected, deferred, withdrawn; "" for all
	OccurrenceID int64
	OwnerID      int64
}

var states = map[string]bool{Open: true, Contested: true, Accepted: true, Rejected: true, Deferred: true, Withdrawn: true}

// List returns decisions a may see, soonest close first. Non-operators'
// lists read their invitee rows, whose index matches the order.
func (s *Service) List(ctx context.Context, a Actor, f Filter, after *Cursor, limit int) ([]Decision, error) {
	if f.State != "" && !states[f.State] {
		return nil, errs.Errorf(errs.Invalid, "state %q is not one of open, contested, accepted, rejected, deferred, withdrawn", f.State)
	}
	t := "d" // the table whose state and times the query filters and orders by
	query, args := `SELECT `+decisionColumns+decisionFrom+`WHERE 1=1`, []any{}
	if !a.Operator {
		t = "i"
		query = `SELECT ` + decisionColumns + ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id
			JOIN people p ON p.id = d.owner_id WHERE i.person_id = ?`
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
	if f.OwnerID != 0 {
		query += ` AND d.owner_id = ?`
		args = append(args, f.OwnerID)
	}
	id := "d.id"
	if t == "i" {
		id = "i.decision_id"
	}
	if after != nil {
		query += ` AND (` + t + `.closes_at > ? OR (` + t + `.closes_at = ? AND ` + id + ` > ?))`
		args = append(args, after.At, after.At, after.ID)
	}
	query += ` ORDER BY ` + t + `.closes_at, ` + id + ` LIMIT ?`
	return s.query(ctx, query, append(args, limit))
}

// NeedsInput lists open decisions person is invited to and has not
// contributed to, soonest close first.
func (s *Service) NeedsInput(ctx context.Context, personID int64, after *Cursor, limit int) ([]Decision, error) {
	query := `SELECT ` + decisionColumns + ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id
		JOIN people p ON p.id = d.owner_id
		WHERE i.person_id = ? AND i.state = 'open' AND i.closes_at > ?
		AND NOT EXISTS (SELECT 1 FROM contributions c WHERE c.decision_id = i.decision_id AND c.author_id = ?)`
	args := []any{personID, s.Clock.Now(), personID}
	if after != nil {
		query += ` AND (i.closes_at > ? OR (i.closes_at = ? AND i.decision_id > ?))`
		args = append(args, after.At, after.At, after.ID)
	}
	query += ` ORDER BY i.closes_at, i.decision_id LIMIT ?`
	return s.query(ctx, query, append(args, limit))
}

// RecentlyClosed lists closed decisions a may see, latest first.
func (s *Service) RecentlyClosed(ctx context.Context, a Actor, after *Cursor, limit int) ([]Decision, error) {
	t, id := "d", "d.id"
	query, args := `SELECT `+decisionColumns+decisionFrom+`WHERE d.closed_at IS NOT NULL`, []any{}
	if !a.Operator {
		t, id = "i", "i.decision_id"
		query = `SELECT ` + decisionColumns + ` FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id
			JOIN people p ON p.id = d.owner_id WHERE i.person_id = ? AND i.closed_at IS NOT NULL`
		args = append(args, a.PersonID)
	}
	if after != nil {
		query += ` AND (` + t + `.closed_at < ? OR (` + t + `.closed_at = ? AND ` + id + ` < ?))`
		args = append(args, after.At, after.At, after.ID)
	}
	query += ` ORDER BY ` + t + `.closed_at DESC, ` + id + ` DESC LIMIT ?`
	return s.query(ctx, query, append(args, limit))
}

func (s *Service) query(ctx context.Context, query string, args []any) ([]Decision, error) {
	var out []Decision
	if err := s.DB.SelectContext(ctx, &out, s.DB.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	return out, nil
}
