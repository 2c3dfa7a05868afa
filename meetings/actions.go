package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// ActionItemInput is a new action item. Owner and due date are required:
// a request without a deadline is a wish.
type ActionItemInput struct {
	Owner string    `json:"owner"`
	Text  string    `json:"text"`
	Due   time.Time `json:"due"`
}

// ActionReminderLead is how long before due its owner is reminded.
const ActionReminderLead = 24 * time.Hour

// AddActionItem records an action item from an occurrence and schedules its
// reminder.
func (s *Service) AddActionItem(ctx context.Context, a people.Actor, occID int64, in ActionItemInput) (ActionItem, error) {
	text, err := input.Text("text", in.Text, 2000)
	if err != nil {
		return ActionItem{}, err
	}
	in.Text = text
	switch {
	case in.Text == "":
		return ActionItem{}, errs.Errorf(errs.Invalid, "text is required")
	case strings.TrimSpace(in.Owner) == "":
		return ActionItem{}, errs.Errorf(errs.Invalid, "owner is required: every action item has one")
	case in.Due.IsZero():
		return ActionItem{}, errs.Errorf(errs.Invalid, "due is required: every action item has a deadline")
	}
	var out ActionItem
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		if !in.Due.After(now) {
			return errs.Errorf(errs.Invalid, "due %s is in the past", in.Due.UTC().Format(time.RFC3339))
		}
		o, err := getOccurrence(ctx, tx, occID)
		if err != nil {
			return err
		}
		if _, err := canSee(ctx, tx, a, o); err != nil {
			return err
		}
		// The owner is one of the meeting's people: an action item is no way
		// to make meetingd email a stranger.
		owner, err := people.ByEmail(ctx, tx, in.Owner)
		if errs.Code(err) == errs.NotFound {
			return errs.Errorf(errs.Invalid, "owner %s is not invited to this meeting", in.Owner)
		}
		if err != nil {
			return err
		}
		if role, err := roleOf(ctx, tx, occID, owner.ID); err != nil {
			return err
		} else if role == "" {
			return errs.Errorf(errs.Invalid, "owner %s is not invited to this meeting", owner.Email)
		}
		var creator *int64
		if a.PersonID != 0 {
			creator = &a.PersonID
		}
		var id int64
		err = tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO action_items (occurrence_id, owner_id, text, due_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), occID, owner.ID, in.Text, in.Due.UTC(), creator, now)
		if err != nil {
			return fmt.Errorf("store action item: %w", err)
		}
		if err := jobs.Schedule(ctx, tx, now, JobActionItemDue, jobs.Subject("action:", id), in.Due.Add(-ActionReminderLead)); err != nil {
			return err
		}
		if err := emitChanged(ctx, tx, now, occID); err != nil {
			return err
		}
		out, err = actionItem(ctx, tx, id)
		return err
	})
	if err != nil {
		return ActionItem{}, err
	}
	s.wake()
	return out, nil
}

// SetActionItemDone marks an action item done or not done. Its owner, and
// the organizer or speakers of its occurrence, may.
func (s *Service) SetActionItemDone(ctx context.Context, a people.Actor, id int64, done bool) (ActionItem, error) {
	var out ActionItem
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		it, err := actionItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if it.OwnerID != a.PersonID && !a.Operator {
			o, err := getOccurrence(ctx, tx, *it.OccurrenceID)
			if err != nil {
				return err
			}
			if err := canOrganize(ctx, tx, a, o, "mark someone else's action item"); err != nil {
				if errs.Code(err) == errs.NotFound {
					return errs.Errorf(errs.NotFound, "no action item %d", id)
				}
				return err
			}
		}
		var doneAt *time.Time
		if done {
			doneAt = &now
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE action_items SET done_at = ? WHERE id = ?`), doneAt, id); err != nil {
			return fmt.Errorf("action item %d: %w", id, err)
		}
		subject := jobs.Subject("action:", id)
		if done {
			err = jobs.Cancel(ctx, tx, now, subject)
		} else if due := it.DueAt.Add(-ActionReminderLead); due.After(now) {
			err = jobs.Schedule(ctx, tx, now, JobActionItemDue, subject, due)
		}
		if err != nil {
			return err
		}
		if it.OccurrenceID != nil {
			if err := emitChanged(ctx, tx, now, *it.OccurrenceID); err != nil {
				return err
			}
		}
		out, err = actionItem(ctx, tx, id)
		return err
	})
	return out, err
}

// ActionItemsOf lists a person's action items by due date, open ones only
// unless all, after the cursor (the last item's due time and id).
func (s *Service) ActionItemsOf(ctx context.Context, personID int64, all bool, after *db.Cursor, limit int) ([]ActionItem, error) {
	query := `SELECT ` + actionColumns + ` FROM action_items WHERE owner_id = ?`
	args := []any{personID}
	if !all {
		query += ` AND done_at IS NULL`
	}
	if after != nil {
		query += ` AND (due_at > ? OR (due_at = ? AND id > ?))`
		args = append(args, after.At, after.At, after.ID)
	}
	query += ` ORDER BY due_at, id LIMIT ?`
	var out []ActionItem
	if err := s.DB.SelectContext(ctx, &out, s.DB.Rebind(query), append(args, limit)...); err != nil {
		return nil, fmt.Errorf("action items of %d: %w", personID, err)
	}
	return out, nameOwners(ctx, s.DB, out)
}

func actionItem(ctx context.Context, q db.Queryer, id int64) (ActionItem, error) {
	var it ActionItem
	err := q.GetContext(ctx, &it, q.Rebind(`SELECT `+actionColumns+` FROM action_items WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return ActionItem{}, errs.Errorf(errs.NotFound, "no action item %d", id)
	}
	if err != nil {
		return ActionItem{}, fmt.Errorf("action item %d: %w", id, err)
	}
	items := []ActionItem{it}
	return items[0], nameOwners(ctx, q, items)
}
