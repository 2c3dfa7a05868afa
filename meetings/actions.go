package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
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
func (s *Service) AddActionItem(ctx context.Context, a Actor, occID int64, in ActionItemInput) (ActionItem, error) {
	in.Text = strings.TrimSpace(in.Text)
	switch {
	case in.Text == "":
		return ActionItem{}, errs.Errorf(errs.Invalid, "text is required")
	case len(in.Text) > 2000:
		return ActionItem{}, errs.Errorf(errs.Invalid, "text is %d bytes; at most 2000", len(in.Text))
	case strings.TrimSpace(in.Owner) == "":
		return ActionItem{}, errs.Errorf(errs.Invalid, "owner is required: every action item has one")
	case in.Due.IsZero():
		return ActionItem{}, errs.Errorf(errs.Invalid, "due is required: every action item has a deadline")
	}
	var out ActionItem
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
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
		owner, err := EnsurePerson(ctx, tx, in.Owner, "", o.TimeZone, now)
		if err != nil {
			return err
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
		if err := jobs.Schedule(ctx, tx, now, JobActionItemDue, fmt.Sprintf("action:%d", id), in.Due.Add(-ActionReminderLead)); err != nil {
			return err
		}
		items, err := actionItems(ctx, tx, occID)
		for _, it := range items {
			if it.ID == id {
				out = it
			}
		}
		return err
	})
	if err != nil {
		return ActionItem{}, err
	}
	s.wake()
	return out, nil
}
