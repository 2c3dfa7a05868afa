package decisions

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// runClose closes a decision at the end of its window: accepted by lazy
// consensus when no objection is open, contested otherwise. Running twice,
// or racing contributions, closes once: the state and the close time are
// checked in the same transaction that changes them.
func (s *Service) runClose(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, SubjectPrefix)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		d, err := getDecision(ctx, tx, id)
		if err != nil || d.State != Open || now.Before(d.ClosesAt) {
			return err // already closed, or extended: its job moved
		}
		var open int
		if err := tx.GetContext(ctx, &open, tx.Rebind(`SELECT COUNT(*) FROM contributions
			WHERE decision_id = ? AND objection_state = 'open'`), id); err != nil {
			return fmt.Errorf("objections to decision %d: %w", id, err)
		}
		if open == 0 {
			_, err = s.finish(ctx, tx, now, d, Accepted, "", 0, "closed: accepted by lazy consensus")
			return err
		}
		return s.contest(ctx, tx, now, d, open)
	})
}

// contest closes the window with open objections: the owner is asked for
// the outcome, and reminded until they record it.
func (s *Service) contest(ctx context.Context, tx *sqlx.Tx, now time.Time, d Decision, open int) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE decisions SET state = 'contested', closed_at = ?, updated_at = ? WHERE id = ?`),
		now, now, d.ID)
	if err != nil {
		return fmt.Errorf("contest decision %d: %w", d.ID, err)
	}
	d.State, d.ClosedAt = Contested, &now
	if err := syncInvitees(ctx, tx, d); err != nil {
		return err
	}
	if err := audit(ctx, tx, d.ID, 0, "closed", fmt.Sprintf("contested: %d open objection(s); the owner records the outcome", open), now); err != nil {
		return err
	}
	if err := s.mailOwner(ctx, tx, d, MailOutcomeNeeded, d.subject()+"/outcome"); err != nil {
		return err
	}
	return jobs.Schedule(ctx, tx, now, JobOutcomeOverdue+"@1", d.subject(), now.Add(s.Cfg.OutcomeNag))
}

// finish gives a decision its final state and tells every invitee; a
// decision of an occurrence also emits EventFinished, for its notes.
func (s *Service) finish(ctx context.Context, tx *sqlx.Tx, now time.Time, d Decision, state, rationale string, by int64, what string) (Decision, error) {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE decisions SET state = ?, rationale = ?, decided_at = ?,
		closed_at = COALESCE(closed_at, ?), updated_at = ? WHERE id = ?`), state, rationale, now, now, now, d.ID)
	if err != nil {
		return Decision{}, fmt.Errorf("close decision %d: %w", d.ID, err)
	}
	detail := what
	if rationale != "" {
		detail += ": " + rationale
	}
	if err := audit(ctx, tx, d.ID, by, state, detail, now); err != nil {
		return Decision{}, err
	}
	if err := jobs.Cancel(ctx, tx, now, d.subject()); err != nil {
		return Decision{}, err
	}
	if d, err = getDecision(ctx, tx, d.ID); err != nil {
		return Decision{}, err
	}
	if err := syncInvitees(ctx, tx, d); err != nil {
		return Decision{}, err
	}
	if d.OccurrenceID != nil {
		// Its meeting's notes record the outcome: the packages above hear
		// of it as an event, delivered once this commits.
		if err := jobs.Emit(ctx, tx, now, EventFinished, d.subject()); err != nil {
			return Decision{}, err
		}
	}
	return d, s.mailInvitees(ctx, tx, d, MailClosed, d.subject()+"/closed", 0)
}

// RecordOutcome is the owner's decision on a contested decision.
func (s *Service) RecordOutcome(ctx context.Context, a people.Actor, decisionID int64, outcome, rationale string) (Decision, error) {
	rationale = strings.TrimSpace(rationale)
	switch {
	case outcome != Accepted && outcome != Rejected && outcome != Deferred:
		return Decision{}, errs.Errorf(errs.Invalid, "outcome %q is not one of accepted, rejected, deferred", outcome)
	case rationale == "":
		return Decision{}, errs.Errorf(errs.Invalid, "rationale is required: say why, for those who objected")
	case len(rationale) > MaxText:
		return Decision{}, errs.Errorf(errs.Invalid, "rationale is %d bytes; at most %d", len(rationale), MaxText)
	}
	var out Decision
	err := s.withDecision(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if a.PersonID != d.OwnerID {
			return errs.Errorf(errs.Forbidden, "only the owner records the outcome")
		}
		if d.State != Contested {
			return errs.Errorf(errs.Conflict, "decision %d is %s; an outcome is recorded only for a contested decision", d.ID, d.State)
		}
		var err error
		out, err = s.finish(ctx, tx, now, d, outcome, rationale, a.PersonID, "outcome recorded")
		return err
	})
	return out, err
}

// Withdraw lets the owner take a decision back before it closes.
func (s *Service) Withdraw(ctx context.Context, a people.Actor, decisionID int64, rationale string) (Decision, error) {
	var out Decision
	err := s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if a.PersonID != d.OwnerID {
			return errs.Errorf(errs.Forbidden, "only the owner may withdraw a decision")
		}
		var err error
		out, err = s.finish(ctx, tx, now, d, Withdrawn, strings.TrimSpace(rationale), a.PersonID, "withdrawn by its owner")
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
		return s.mailAll(ctx, tx, d, MailClosingSoon, d.subject()+"/closing_soon", to)
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
		d, err := getDecision(ctx, tx, id)
		if err != nil || d.State != Contested {
			return err
		}
		if err := s.mailOwner(ctx, tx, d, MailOutcomeNeeded, fmt.Sprintf("%s/outcome/%d", d.subject(), n)); err != nil {
			return err
		}
		return jobs.Schedule(ctx, tx, now, fmt.Sprintf("%s@%d", JobOutcomeOverdue, n+1), d.subject(), now.Add(s.Cfg.OutcomeNag))
	})
}
