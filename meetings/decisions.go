package meetings

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"meetingd/decisions"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// OpenDecision opens a decision, about occurrence occID when it is not 0:
// a may open one only about a meeting they can see, and everyone invited to
// that meeting is invited to decide.
func (s *Service) OpenDecision(ctx context.Context, a people.Actor, occID int64, in decisions.Input) (decisions.Decision, error) {
	if occID == 0 {
		return s.Decisions.Create(ctx, a, in, nil)
	}
	o, err := getOccurrence(ctx, s.DB, occID)
	if err != nil {
		return decisions.Decision{}, err
	}
	if _, err := canSee(ctx, s.DB, a, o); err != nil {
		return decisions.Decision{}, err
	}
	invite, err := attendeeIDs(ctx, s.DB, occID)
	if err != nil {
		return decisions.Decision{}, err
	}
	return s.Decisions.Create(ctx, a, in, &decisions.Origin{OccurrenceID: occID, Attendees: invite})
}

// recordOutcome writes a finished decision's outcome under its occurrence's
// Decisions heading. It runs on decisions.EventFinished, and again after a
// crash, so a line already there is not written twice.
func (s *Service) recordOutcome(ctx context.Context, j jobs.Job) error {
	d, err := decisions.Finished(ctx, s.DB, j.Subject)
	if err != nil || d.OccurrenceID == nil {
		return err
	}
	line := d.OutcomeLine()
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		var cur string
		err := tx.GetContext(ctx, &cur, tx.Rebind(`SELECT decisions FROM notes_sections WHERE occurrence_id = ?`), *d.OccurrenceID)
		if err != nil {
			return fmt.Errorf("notes of occurrence %d: %w", *d.OccurrenceID, err)
		}
		if strings.Contains(cur, line) {
			return nil
		}
		return s.AppendSection(ctx, tx, *d.OccurrenceID, "decisions", line, s.Clock.Now())
	})
}
