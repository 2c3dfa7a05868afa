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
// it must be cheap when nothing changed (jobs.ScheduleMany is).
func (s *Service) scheduleSteps(ctx context.Context, tx db.Queryer, now time.Time, o Occurrence) error {
	if o.Cancelled {
		return jobs.Cancel(ctx, tx, now, o.subject())
	}
	want, drop := s.steps(now, o)
	if len(drop) > 0 {
		if err := jobs.Cancel(ctx, tx, now, o.subject(), drop...); err != nil {
			return err
		}
	}
	return jobs.ScheduleMany(ctx, tx, now, jobs.Steps, want)
}

// steps are the occurrence's timed steps as of now: those it wants
// scheduled, and the kinds it no longer wants.
func (s *Service) steps(now time.Time, o Occurrence) (want []jobs.Step, drop []string) {
	subj := o.subject()
	waiting := o.PreReadState == PreReadPending && o.StartsAt.After(now)
	for _, r := range s.Cfg.Reminders {
		kind := JobReminder + "@" + r.String()
		at := o.StartsAt.Add(-r)
		// A reminder whose time has passed is dropped rather than sent late
		// in a burst; one after the deadline would be pointless.
		if !waiting || !at.After(now) || !at.Before(o.PreReadDueAt) {
			drop = append(drop, kind)
			continue
		}
		want = append(want, jobs.Step{Kind: kind, Subject: subj, Due: at})
	}
	if waiting {
		// A deadline already past runs at once: the meeting was booked
		// inside the lead time, and people should know it has no pre-read.
		want = append(want, jobs.Step{Kind: JobDeadline, Subject: subj, Due: o.PreReadDueAt})
	} else {
		drop = append(drop, JobDeadline)
	}
	if o.EndsAt.After(now) {
		want = append(want, jobs.Step{Kind: JobNotesShared, Subject: subj, Due: o.EndsAt})
	}
	return want, drop
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
