package decisions

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	"meetingd/internal/limits"
	"meetingd/internal/people"
)

// MaxText bounds a contribution's text.
const MaxText = 16 << 10

// Contribute records support, an objection or a comment by an invitee. An
// objection in the last part of the window moves the close (at most
// MaxExtensions times). The close time is checked here, in the same
// transaction, so nothing gets in after the deadline even if the close job
// has not run yet.
func (s *Service) Contribute(ctx context.Context, a people.Actor, decisionID int64, kind, text string) (Contribution, error) {
	text, err := input.Text("text", text, MaxText)
	switch {
	case err != nil:
		return Contribution{}, err
	case kind != Support && kind != Object && kind != Comment:
		return Contribution{}, errs.Errorf(errs.Invalid, "kind %q is not one of support, object, comment", kind)
	case text == "" && kind != Support:
		return Contribution{}, errs.Errorf(errs.Invalid, "text is required: say why")
	}
	var out Contribution
	err = s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if !a.Operator {
			if err := limits.Hit(ctx, tx, now, fmt.Sprintf("contributions:%d", a.PersonID), s.Cfg.ContribLimit, "contributions"); err != nil {
				return err
			}
		}
		ok, err := isInvited(ctx, tx, d.ID, a.PersonID)
		if err != nil {
			return err
		}
		if !ok {
			return errs.Errorf(errs.Forbidden, "only invitees may contribute to decision %d", d.ID)
		}
		id, err := s.takePosition(ctx, tx, now, d, a.PersonID, kind, text)
		if err != nil || id != 0 {
			if err == nil {
				out, err = contribution(ctx, tx, d.ID, id)
			}
			return err
		}
		state := ""
		if kind == Object {
			state = ObjectionOpen
		}
		err = tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO contributions (decision_id, author_id, kind, text, objection_state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), d.ID, a.PersonID, kind, text, state, now, now)
		if err != nil {
			return fmt.Errorf("store contribution: %w", err)
		}
		if err := audit(ctx, tx, d.ID, a.PersonID, kind, text, now); err != nil {
			return err
		}
		if kind == Object {
			if err := s.extend(ctx, tx, now, d, a.PersonID); err != nil {
				return err
			}
		}
		out, err = contribution(ctx, tx, d.ID, id)
		return err
	})
	return out, err
}

// extend moves the close to Extension after a late objection.
func (s *Service) extend(ctx context.Context, tx *sqlx.Tx, now time.Time, d Decision, by int64) error {
	if now.Before(d.ClosesAt.Add(-s.Cfg.Extension)) || d.Extensions >= s.Cfg.MaxExtensions {
		return nil
	}
	d.ClosesAt, d.Extensions = now.Add(s.Cfg.Extension), d.Extensions+1
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE decisions SET closes_at = ?, extensions = ?, updated_at = ? WHERE id = ?`),
		d.ClosesAt, d.Extensions, now, d.ID)
	if err != nil {
		return fmt.Errorf("extend decision %d: %w", d.ID, err)
	}
	if err := syncInvitees(ctx, tx, d); err != nil {
		return err
	}
	// The new close time is on the page in the reader's zone; the audit
	// line says why it moved, not a raw timestamp.
	detail := fmt.Sprintf("late objection: the window now ends %d hours after it (extension %d of %d)", int(s.Cfg.Extension.Hours()), d.Extensions, s.Cfg.MaxExtensions)
	if err := audit(ctx, tx, d.ID, by, "extended", detail, now); err != nil {
		return err
	}
	if err := s.scheduleClose(ctx, tx, now, d); err != nil {
		return err
	}
	return s.mailInvitees(ctx, tx, d, MailExtended, fmt.Sprintf("/extended/%d", d.Extensions), 0)
}

// EditContribution changes the text of one's own contribution while the
// decision is open; the earlier text stays in the audit trail.
func (s *Service) EditContribution(ctx context.Context, a people.Actor, decisionID, contributionID int64, text string) (Contribution, error) {
	text, err := input.Text("text", text, MaxText)
	if err != nil {
		return Contribution{}, err
	}
	var out Contribution
	err = s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		c, err := s.ownContribution(ctx, tx, a, d, contributionID, "edit")
		if err != nil {
			return err
		}
		if text == "" && c.Kind != Support {
			return errs.Errorf(errs.Invalid, "text is required: say why")
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE contributions SET text = ?, updated_at = ? WHERE id = ?`), text, now, c.ID); err != nil {
			return fmt.Errorf("edit contribution %d: %w", c.ID, err)
		}
		if err := audit(ctx, tx, d.ID, a.PersonID, "edited", fmt.Sprintf("contribution %d was: %s", c.ID, c.Text), now); err != nil {
			return err
		}
		out, err = contribution(ctx, tx, d.ID, c.ID)
		return err
	})
	return out, err
}

// WithdrawObjection lets an objection's author take it back.
func (s *Service) WithdrawObjection(ctx context.Context, a people.Actor, decisionID, contributionID int64) (Contribution, error) {
	var out Contribution
	err := s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		c, err := s.ownContribution(ctx, tx, a, d, contributionID, "withdraw")
		if err != nil {
			return err
		}
		if c.Kind != Object || c.ObjectionState != ObjectionOpen {
			return errs.Errorf(errs.Conflict, "contribution %d is not an open objection", c.ID)
		}
		if out, err = s.setObjection(ctx, tx, now, d, c, ObjectionWithdrawn, "", a.PersonID); err != nil {
			return err
		}
		return nil
	})
	return out, err
}

// ResolveObjection lets the owner mark an objection resolved, with a reply.
func (s *Service) ResolveObjection(ctx context.Context, a people.Actor, decisionID, contributionID int64, reply string) (Contribution, error) {
	reply, err := input.Text("reply", reply, MaxText)
	if err != nil {
		return Contribution{}, err
	}
	if reply == "" {
		return Contribution{}, errs.Errorf(errs.Invalid, "reply is required: say how the objection is resolved")
	}
	var out Contribution
	err = s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if a.PersonID != d.OwnerID {
			return errs.Errorf(errs.Forbidden, "only the owner may resolve an objection")
		}
		c, err := contribution(ctx, tx, d.ID, contributionID)
		if err != nil {
			return err
		}
		if c.Kind != Object || c.ObjectionState != ObjectionOpen {
			return errs.Errorf(errs.Conflict, "contribution %d is not an open objection", c.ID)
		}
		out, err = s.setObjection(ctx, tx, now, d, c, ObjectionResolved, reply, a.PersonID)
		return err
	})
	return out, err
}

func (s *Service) setObjection(ctx context.Context, tx *sqlx.Tx, now time.Time, d Decision, c Contribution, state, reply string, by int64) (Contribution, error) {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE contributions SET objection_state = ?, reply = ?, updated_at = ? WHERE id = ?`),
		state, reply, now, c.ID)
	if err != nil {
		return Contribution{}, fmt.Errorf("objection %d: %w", c.ID, err)
	}
	detail := fmt.Sprintf("objection %d", c.ID)
	if reply != "" {
		detail += ": " + reply
	}
	if err := audit(ctx, tx, d.ID, by, "objection "+state, detail, now); err != nil {
		return Contribution{}, err
	}
	return contribution(ctx, tx, d.ID, c.ID)
}

func (s *Service) ownContribution(ctx context.Context, tx *sqlx.Tx, a people.Actor, d Decision, id int64, what string) (Contribution, error) {
	c, err := contribution(ctx, tx, d.ID, id)
	if err != nil {
		return Contribution{}, err
	}
	if c.AuthorID != a.PersonID {
		return Contribution{}, errs.Errorf(errs.Forbidden, "only its author may %s contribution %d", what, id)
	}
	return c, nil
}

// withDecision runs fn in one transaction on a decision the actor may see.
func (s *Service) withDecision(ctx context.Context, a people.Actor, decisionID int64, fn func(*sqlx.Tx, Decision, time.Time) error) error {
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		d, err := lockDecision(ctx, tx, decisionID)
		if err != nil {
			return err
		}
		if err := canSee(ctx, tx, a, d); err != nil {
			return err
		}
		return fn(tx, d, now)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// change is withDecision for changes that need the window open: it refuses
// once the close time has passed, whether or not the close job has run.
func (s *Service) change(ctx context.Context, a people.Actor, decisionID int64, fn func(*sqlx.Tx, Decision, time.Time) error) error {
	return s.withDecision(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if !d.IsOpen(now) {
			return closedError(d, now)
		}
		return fn(tx, d, now)
	})
}

func closedError(d Decision, now time.Time) error {
	switch {
	case d.State == Withdrawn:
		return errs.Errorf(errs.Conflict, "decision %d was withdrawn by its owner", d.ID)
	case d.State != Open:
		return errs.Errorf(errs.Conflict, "decision %d is closed (%s); it can no longer change", d.ID, d.State)
	}
	return errs.Errorf(errs.Conflict, "decision %d closed at %s; contributions are no longer taken", d.ID, d.ClosesAt.Format(time.RFC3339))
}

func contribution(ctx context.Context, q db.Queryer, decisionID, id int64) (Contribution, error) {
	var c Contribution
	err := q.GetContext(ctx, &c, q.Rebind(`SELECT id, decision_id, author_id, kind, text, objection_state, reply,
		created_at, updated_at FROM contributions WHERE id = ? AND decision_id = ?`), id, decisionID)
	if db.IsNoRows(err) {
		return Contribution{}, errs.Errorf(errs.NotFound, "no contribution %d to decision %d", id, decisionID)
	}
	if err != nil {
		return Contribution{}, fmt.Errorf("contribution %d: %w", id, err)
	}
	cs := []Contribution{c}
	return cs[0], nameAuthors(ctx, q, cs)
}
