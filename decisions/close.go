package decisions

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// runCloses closes the decisions whose windows ended, a claimed batch at
// a time in one transaction: accepted by lazy consensus when no objection
// is open, contested otherwise. Running twice, or racing contributions,
// closes once: the state and the close time are checked in the same
// transaction that changes them. A decision whose window was extended is
// left open; its job has moved.
func (s *Service) runCloses(ctx context.Context, js []jobs.Job) error {
	ids := make([]int64, 0, len(js))
	for _, j := range js {
		id, err := jobs.SubjectID(j.Subject, SubjectPrefix)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		ds, err := lockDecisions(ctx, tx, ids)
		if err != nil {
			return err
		}
		due := slices.DeleteFunc(ds, func(d Decision) bool { return d.State != Open || now.Before(d.ClosesAt) })
		objections, err := openObjections(ctx, tx, idsOf(due))
		if err != nil {
			return err
		}
		var accept, contest []Decision
		for _, d := range due {
			if objections[d.ID] == 0 {
				accept = append(accept, d)
			} else {
				contest = append(contest, d)
			}
		}
		if err := s.contest(ctx, tx, now, contest, objections); err != nil {
			return err
		}
		_, err = s.finish(ctx, tx, now, accept, Accepted, "", 0, "closed: accepted by lazy consensus")
		return err
	})
}

// openObjections counts each decision's open objections.
func openObjections(ctx context.Context, q db.Queryer, ids []int64) (map[int64]int, error) {
	out := map[int64]int{}
	err := chunks(ids, func(part []int64) error {
		list, args := in(part)
		var rows []struct {
			ID int64 `db:"decision_id"`
			N  int   `db:"n"`
		}
		err := q.SelectContext(ctx, &rows, q.Rebind(`SELECT decision_id, COUNT(*) AS n FROM contributions
			WHERE objection_state = 'open' AND decision_id IN `+list+` GROUP BY decision_id`), args...)
		for _, r := range rows {
			out[r.ID] = r.N
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open objections: %w", err)
	}
	return out, nil
}

// contest closes windows with open objections: each owner is asked for
// the outcome, and reminded until they record it.
func (s *Service) contest(ctx context.Context, tx *sqlx.Tx, now time.Time, ds []Decision, objections map[int64]int) error {
	if len(ds) == 0 {
		return nil
	}
	ids := idsOf(ds)
	err := chunks(ids, func(part []int64) error {
		list, args := in(part)
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE decisions SET state = 'contested', closed_at = ?, updated_at = ?
			WHERE id IN `+list), append([]any{now, now}, args...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("contest %d decisions: %w", len(ds), err)
	}
	rows := make([]auditRow, len(ds))
	reminders := make([]jobs.Step, len(ds))
	for i := range ds {
		ds[i].State, ds[i].ClosedAt = Contested, &now
		rows[i] = auditRow{decisionID: ds[i].ID, action: "closed",
			detail: fmt.Sprintf("contested: %d open objection(s); the owner records the outcome", objections[ds[i].ID])}
		reminders[i] = jobs.Step{Kind: JobOutcomeOverdue + "@1", Subject: ds[i].subject(), Due: now.Add(s.Cfg.OutcomeNag)}
	}
	if err := syncInviteesOf(ctx, tx, ids); err != nil {
		return err
	}
	if err := auditAll(ctx, tx, now, rows); err != nil {
		return err
	}
	if err := s.mailOwners(ctx, tx, ds, MailOutcomeNeeded, "/outcome"); err != nil {
		return err
	}
	return jobs.ScheduleMany(ctx, tx, now, jobs.Steps, reminders)
}

// finish gives decisions their final state and tells every invitee; those
// of an occurrence also emit EventFinished, for its notes.
func (s *Service) finish(ctx context.Context, tx *sqlx.Tx, now time.Time, ds []Decision, state, rationale string, by int64, what string) ([]Decision, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	ids := idsOf(ds)
	err := chunks(ids, func(part []int64) error {
		list, args := in(part)
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE decisions SET state = ?, rationale = ?, decided_at = ?,
			closed_at = COALESCE(closed_at, ?), updated_at = ? WHERE id IN `+list), append([]any{state, rationale, now, now, now}, args...)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("close %d decisions: %w", len(ds), err)
	}
	detail := what
	if rationale != "" {
		detail += ": " + rationale
	}
	rows := make([]auditRow, len(ds))
	for i, d := range ds {
		rows[i] = auditRow{decisionID: d.ID, actor: by, action: state, detail: detail}
	}
	if err := auditAll(ctx, tx, now, rows); err != nil {
		return nil, err
	}
	if err := jobs.CancelAll(ctx, tx, now, subjectsOf(ds)); err != nil {
		return nil, err
	}
	if ds, err = getDecisions(ctx, tx, ids); err != nil {
		return nil, err
	}
	if err := syncInviteesOf(ctx, tx, ids); err != nil {
		return nil, err
	}
	// Their meetings' notes record the outcome: the packages above hear of
	// it as an event, delivered once this commits.
	var ofMeetings []string
	for _, d := range ds {
		if d.OccurrenceID != nil {
			ofMeetings = append(ofMeetings, d.subject())
		}
	}
	if err := jobs.EmitAll(ctx, tx, now, EventFinished, ofMeetings); err != nil {
		return nil, err
	}
	return ds, s.mailInviteesOf(ctx, tx, ds, MailClosed, "/closed", 0)
}

// RecordOutcome is the owner's decision on a contested decision.
func (s *Service) RecordOutcome(ctx context.Context, a people.Actor, decisionID int64, outcome, rationale string) (Decision, error) {
	rationale, err := input.Text("rationale", rationale, MaxText)
	if err != nil {
		return Decision{}, err
	}
	switch {
	case outcome != Accepted && outcome != Rejected && outcome != Deferred:
		return Decision{}, errs.Errorf(errs.Invalid, "outcome %q is not one of accepted, rejected, deferred", outcome)
	case rationale == "":
		return Decision{}, errs.Errorf(errs.Invalid, "rationale is required: say why, for those who objected")
	}
	var out Decision
	err = s.withDecision(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if a.PersonID != d.OwnerID {
			return errs.Errorf(errs.Forbidden, "only the owner records the outcome")
		}
		if d.State != Contested {
			return errs.Errorf(errs.Conflict, "decision %d is %s; an outcome is recorded only for a contested decision", d.ID, d.State)
		}
		done, err := s.finish(ctx, tx, now, []Decision{d}, outcome, rationale, a.PersonID, "outcome recorded")
		if err == nil {
			out = done[0]
		}
		return err
	})
	return out, err
}

// Withdraw lets the owner take a decision back before it closes.
func (s *Service) Withdraw(ctx context.Context, a people.Actor, decisionID int64, rationale string) (Decision, error) {
	rationale, err := input.Text("rationale", rationale, MaxText)
	if err != nil {
		return Decision{}, err
	}
	var out Decision
	err = s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if a.PersonID != d.OwnerID {
			return errs.Errorf(errs.Forbidden, "only the owner may withdraw a decision")
		}
		done, err := s.finish(ctx, tx, now, []Decision{d}, Withdrawn, rationale, a.PersonID, "withdrawn by its owner")
		if err == nil {
			out = done[0]
		}
		return err
	})
	return out, err
}

// runClosingSoon tells invitees who have not contributed that the window
// closes soon. Its email key has no version: after an extension nobody is
// told twice.
func (s *Service) runClosingSoon(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, SubjectPrefix)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		d, err := getDecision(ctx, tx, id)
		if err != nil || !d.IsOpen(now) {
			return err
		}
		var silent []int64
		err = tx.SelectContext(ctx, &silent, tx.Rebind(`SELECT i.person_id FROM decision_invitees i
			WHERE i.decision_id = ? AND i.person_id <> ?
			AND NOT EXISTS (SELECT 1 FROM contributions c WHERE c.decision_id = i.decision_id AND c.author_id = i.person_id)`),
			id, d.OwnerID)
		if err != nil {
			return fmt.Errorf("silent invitees of decision %d: %w", id, err)
		}
		to, err := recipients(ctx, tx, silent)
		if err != nil {
			return err
		}
		return s.mailTo(ctx, tx, d, MailClosingSoon, "/closing_soon", to, false)
	})
}

// runOutcomeReminder reminds the owner of a contested decision, daily,
// until they record the outcome. The kind's variant counts the reminders.
func (s *Service) runOutcomeReminder(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, SubjectPrefix)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(j.Variant())
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		d, err := lockDecision(ctx, tx, id)
		if err != nil || d.State != Contested {
			return err
		}
		if err := s.mailOwners(ctx, tx, []Decision{d}, MailOutcomeNeeded, fmt.Sprintf("/outcome/%d", n)); err != nil {
			return err
		}
		return jobs.Schedule(ctx, tx, now, fmt.Sprintf("%s@%d", JobOutcomeOverdue, n+1), d.subject(), now.Add(s.Cfg.OutcomeNag))
	})
}
