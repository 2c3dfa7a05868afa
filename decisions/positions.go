package decisions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
)

// A person holds one position on a decision: support or an objection. Saying
// it again changes that row in place, and the audit trail keeps what it was,
// so a decision's page and API stay the size of its invitee list however
// often people click.

// positionOf is personID's support or objection on the decision, or nil.
func positionOf(ctx context.Context, q db.Queryer, decisionID, personID int64) (*Contribution, error) {
	var c Contribution
	err := q.GetContext(ctx, &c, q.Rebind(`SELECT id, decision_id, author_id, kind, text, objection_state, reply,
		created_at, updated_at FROM contributions
		WHERE decision_id = ? AND author_id = ? AND kind IN ('support', 'object')`), decisionID, personID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("position of person %d on decision %d: %w", personID, decisionID, err)
	}
	return &c, nil
}

// changePosition turns prev into kind with text. Saying the same thing again
// changes nothing; an objection (new, or raised again after it was withdrawn
// or resolved) is open and may extend the window like a first one.
func (s *Service) changePosition(ctx context.Context, tx *sqlx.Tx, now time.Time, d Decision, prev Contribution, kind, text string) error {
	if prev.Kind == kind && prev.Text == text && (kind == Support || prev.ObjectionState == ObjectionOpen) {
		return nil
	}
	state := ""
	if kind == Object {
		state = ObjectionOpen
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE contributions SET kind = ?, text = ?, objection_state = ?, reply = '', updated_at = ?
		WHERE id = ?`), kind, text, state, now, prev.ID)
	if err != nil {
		return fmt.Errorf("change position %d: %w", prev.ID, err)
	}
	detail := fmt.Sprintf("%s, was %s", positionLine(kind, text), positionLine(prev.Kind, prev.Text))
	if err := audit(ctx, tx, d.ID, prev.AuthorID, "changed position", detail, now); err != nil {
		return err
	}
	if kind == Object && !(prev.Kind == Object && prev.ObjectionState == ObjectionOpen) {
		return s.extend(ctx, tx, now, d, prev.AuthorID)
	}
	return nil
}

// positionLine is a position as the audit trail shows it: "support", or
// "object: the text".
func positionLine(kind, text string) string {
	if text == "" {
		return kind
	}
	return kind + ": " + text
}

// takePosition changes personID's existing position to kind and returns its
// id; it returns 0 for a comment, or for a first position, which the caller
// stores as a new row.
func (s *Service) takePosition(ctx context.Context, tx *sqlx.Tx, now time.Time, d Decision, personID int64, kind, text string) (int64, error) {
	if kind == Comment {
		return 0, nil
	}
	prev, err := positionOf(ctx, tx, d.ID, personID)
	if err != nil || prev == nil {
		return 0, err
	}
	return prev.ID, s.changePosition(ctx, tx, now, d, *prev, kind, text)
}
