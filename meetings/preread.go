package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// Publish makes the occurrence's pre-read ready (or late, after the
// deadline) and emails it to every attendee. content, if not nil, becomes
// the Pre-read section first. Publishing twice is harmless.
func (s *Service) Publish(ctx context.Context, a people.Actor, occID int64, content *string) (Occurrence, error) {
	var out Occurrence
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		o, err := getOccurrence(ctx, tx, occID)
		if err != nil {
			return err
		}
		if err := canOrganize(ctx, tx, a, o, "publish the pre-read"); err != nil {
			return err
		}
		if content != nil {
			if err := setSection(ctx, tx, now, o.ID, "pre_read", *content); err != nil {
				return err
			}
		}
		by := a.PersonID
		if err := s.publish(ctx, tx, now, o, &by); err != nil {
			return err
		}
		out, err = getOccurrence(ctx, tx, occID)
		return err
	})
	if err != nil {
		return Occurrence{}, err
	}
	s.wake()
	return out, nil
}

// publish moves o to ready or late, drops its reminders and deadline, and
// queues the pre-read email to everyone invited.
func (s *Service) publish(ctx context.Context, tx *sqlx.Tx, now time.Time, o Occurrence, by *int64) error {
	switch {
	case o.PreReadState == PreReadReady || o.PreReadState == PreReadLate:
		return nil
	case o.Cancelled:
		return errs.Errorf(errs.Conflict, "occurrence %d is cancelled", o.ID)
	case !now.Before(o.StartsAt):
		return errs.Errorf(errs.Conflict, "occurrence %d started at %s; its pre-read can no longer be published",
			o.ID, o.StartsAt.Format(time.RFC3339))
	}
	state := PreReadReady
	if now.After(o.PreReadDueAt) {
		state = PreReadLate
	}
	if by != nil && *by == 0 {
		by = nil // the CLI acts as nobody in particular
	}
	err := tx.GetContext(ctx, &o, tx.Rebind(`UPDATE occurrences SET pre_read_state = ?, pre_read_at = ?, pre_read_by = ?, updated_at = ?
		WHERE id = ? RETURNING `+occColumns), state, now, by, now, o.ID)
	if err != nil {
		return fmt.Errorf("publish pre-read of occurrence %d: %w", o.ID, err)
	}
	if err := s.scheduleSteps(ctx, tx, now, o); err != nil {
		return err
	}
	if err := emitChanged(ctx, tx, now, o.ID); err != nil {
		return err
	}
	// Published on time, it reaches everyone by the deadline, whatever
	// their working hours; published late, it goes at once.
	return s.mailAll(ctx, tx, o, MailPublished, o.version(), state == PreReadLate, o.PreReadDueAt)
}

// hasPreRead reports whether a Pre-read section holds more than the
// template's placeholder.
func (s *Service) hasPreRead(content string) bool {
	c := strings.TrimSpace(content)
	return c != "" && c != strings.TrimSpace(s.placeholder("pre_read"))
}
