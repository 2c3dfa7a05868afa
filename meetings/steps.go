package meetings

import (
	"context"
	"time"

	"meetingd/decisions"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
)

// Job kinds of an occurrence's lifecycle. A reminder's kind carries its
// offset: "preread.reminder@72h0m0s".
const (
	JobReminder      = "preread.reminder"
	JobDeadline      = "preread.deadline"
	JobNotesShared   = "notes.shared"
	JobActionItemDue = "action.due"
)

// scheduleSteps (re)arms the occurrence's timed steps from its current
// start, end and pre-read state. Called on every sync and state change, so
// it must be cheap when nothing changed (jobs.Schedule is).
func (s *Service) scheduleSteps(ctx context.Context, tx db.Queryer, now time.Time, o Occurrence) error {
	subj := o.subject()
	if o.Cancelled {
		return jobs.Cancel(ctx, tx, now, subj)
	}
	waiting := o.PreReadState == PreReadPending && o.StartsAt.After(now)
	for _, r := range s.Cfg.Reminders {
		kind := JobReminder + "@" + r.String()
		at := o.StartsAt.Add(-r)
		// A reminder whose time has passed is dropped rather than sent late
		// in a burst; one after the deadline would be pointless.
		if !waiting || !at.After(now) || !at.Before(o.PreReadDueAt) {
			if err := jobs.Cancel(ctx, tx, now, subj, kind); err != nil {
				return err
			}
			continue
		}
		if err := jobs.Schedule(ctx, tx, now, kind, subj, at); err != nil {
			return err
		}
	}
	if waiting {
		// A deadline already past runs at once: the meeting was booked
		// inside the lead time, and people should know it has no pre-read.
		if err := jobs.Schedule(ctx, tx, now, JobDeadline, subj, o.PreReadDueAt); err != nil {
			return err
		}
	} else if err := jobs.Cancel(ctx, tx, now, subj, JobDeadline); err != nil {
		return err
	}
	if o.EndsAt.After(now) {
		return jobs.Schedule(ctx, tx, now, JobNotesShared, subj, o.EndsAt)
	}
	return nil
}

// Register installs the lifecycle's job handlers on w.
func (s *Service) Register(w *jobs.Worker) {
	w.Handle(JobReminder, s.runReminder)
	w.Handle(JobDeadline, s.runDeadline)
	w.Handle(JobNotesShared, s.runNotesShared)
	w.Handle(JobActionItemDue, s.runActionItemDue)
	w.Subscribe(decisions.EventFinished, s.recordOutcome)
	for _, kind := range mailKinds {
		s.Outbox.Register(kind, s)
	}
}
