package meetings

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/internal/people"
)

// Each handler re-reads the state it acts on and does nothing if the step
// no longer applies, and every email it queues is keyed, so running a job
// twice (after a crash) changes nothing.

func (s *Service) runReminder(ctx context.Context, j jobs.Job) error {
	return s.withOccurrence(ctx, j, func(tx *sqlx.Tx, o Occurrence) error {
		now := s.Clock.Now()
		if o.Cancelled || o.PreReadState != PreReadPending || !now.Before(o.PreReadDueAt) || s.superseded(o, j, now) {
			return nil
		}
		ser, err := getSeries(ctx, tx, o.SeriesID)
		if err != nil {
			return err
		}
		org, err := people.ByID(ctx, tx, ser.OrganizerID)
		if err != nil {
			return err
		}
		_, err = s.Outbox.Enqueue(ctx, tx, mail.Message{Kind: MailReminder, SubjectKey: o.version() + "/" + j.Variant(),
			To: org.Recipient(), Latest: o.PreReadDueAt})
		return err
	})
}

// superseded reports whether a later reminder is also due by now, as after
// downtime: then only that one is sent, not a burst of stale ones.
func (s *Service) superseded(o Occurrence, j jobs.Job, now time.Time) bool {
	mine := o.StartsAt.Add(-s.reminderOffset(j.Variant()))
	for _, r := range s.Cfg.Reminders {
		if at := o.StartsAt.Add(-r); at.After(mine) && !at.After(now) {
			return true
		}
	}
	return false
}

func (s *Service) reminderOffset(variant string) time.Duration {
	d, err := time.ParseDuration(variant)
	if err != nil {
		return 0
	}
	return d
}

// runDeadline flags an occurrence with no pre-read at its deadline and
// tells its organizer and attendees.
func (s *Service) runDeadline(ctx context.Context, j jobs.Job) error {
	return s.withOccurrence(ctx, j, func(tx *sqlx.Tx, o Occurrence) error {
		now := s.Clock.Now()
		if o.Cancelled || o.PreReadState != PreReadPending || now.Before(o.PreReadDueAt) {
			return nil
		}
		sec, err := getSection(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if s.hasPreRead(sec.PreRead) {
			return s.publish(ctx, tx, now, o, nil)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE occurrences SET pre_read_state = ?, updated_at = ? WHERE id = ?`),
			PreReadMissing, now, o.ID); err != nil {
			return fmt.Errorf("flag occurrence %d: %w", o.ID, err)
		}
		o.PreReadState = PreReadMissing
		if s.Cfg.AutoAsync {
			// The operator chose this: no pre-read, no meeting.
			if err := s.holdAsync(ctx, tx, people.Actor{Operator: true}, o); err != nil {
				return err
			}
		}
		return s.mailAll(ctx, tx, o, MailMissing, o.version(), true, o.StartsAt)
	})
}

// runNotesShared sends the notes link, with action items and decisions, to
// everyone invited once the meeting has ended.
func (s *Service) runNotesShared(ctx context.Context, j jobs.Job) error {
	return s.withOccurrence(ctx, j, func(tx *sqlx.Tx, o Occurrence) error {
		now := s.Clock.Now()
		if o.Cancelled || now.Before(o.EndsAt) {
			return nil
		}
		if held, err := notesHeld(ctx, tx, now, o); held || err != nil {
			return err // the conference's recordings are awaited: HoldNotes armed this step for later
		}
		// The notes email carries the decisions its lines open, with each
		// reader's links.
		if err := s.actOnLines(ctx, tx, now, o, true); err != nil {
			return err
		}
		return s.mailAll(ctx, tx, o, MailNotesShared, o.subject(), false, o.EndsAt.Add(24*time.Hour))
	})
}

func (s *Service) runActionItemDue(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "action:")
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		it, err := actionItem(ctx, tx, id)
		if errs.Code(err) == errs.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if it.DoneAt != nil {
			return nil
		}
		owner, err := people.ByID(ctx, tx, it.OwnerID)
		if err != nil {
			return err
		}
		_, err = s.Outbox.Enqueue(ctx, tx, mail.Message{Kind: MailActionItemDue,
			SubjectKey: fmt.Sprintf("action:%d@%d", it.ID, it.DueAt.Unix()), To: owner.Recipient(), Latest: it.DueAt})
		return err
	})
}

// withOccurrence runs fn in a transaction on the occurrence j is about.
func (s *Service) withOccurrence(ctx context.Context, j jobs.Job, fn func(*sqlx.Tx, Occurrence) error) error {
	id, err := jobs.SubjectID(j.Subject, "occurrence:")
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		o, err := getOccurrence(ctx, tx, id)
		if err != nil {
			return err
		}
		if o.Stage != 0 {
			return jobs.ErrLater // its import is not complete: its steps wait for it
		}
		return fn(tx, o)
	})
}
