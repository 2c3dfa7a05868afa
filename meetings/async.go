package meetings

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/links"
	"meetingd/internal/people"
)

// Holding a meeting async: instead of meeting, its organizer asks everyone
// to read the pre-read and contribute in the notes doc and to the decisions
// it opened, each at their own time. The occurrence keeps its pre-read rule
// and its notes; the call itself is off.

// ActionAsync is the link action of the "hold it async" link.
const ActionAsync = "async"

// asyncLink lets the organizer hold o async from the missing-pre-read email;
// it expires when the meeting starts.
func (s *Service) asyncLink(o Occurrence, personID int64) string {
	tok := s.Links.Sign(links.Claims{Action: ActionAsync, Subject: o.ID, Person: personID, Expires: o.StartsAt})
	return fmt.Sprintf("%s/async?t=%s", s.baseURL(), url.QueryEscape(tok))
}

// AsyncReader checks a "hold it async" link and returns whom it was sent to
// and its occurrence.
func (s *Service) AsyncReader(ctx context.Context, token string) (people.Person, int64, error) {
	return s.occurrenceLink(ctx, token, ActionAsync)
}

// MailHeldAsync tells every attendee the meeting is held async, with the
// pre-read, the notes doc and the open decisions' links.
const MailHeldAsync = "held_async"

// HoldAsync holds occurrence occID asynchronously, on the word of its
// organizer, a speaker or an operator, before it starts. Holding it again
// changes nothing.
func (s *Service) HoldAsync(ctx context.Context, a people.Actor, occID int64) (Occurrence, error) {
	var out Occurrence
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		o, err := getOccurrence(ctx, tx, occID)
		if err != nil {
			return err
		}
		if err := canOrganize(ctx, tx, a, o, "hold the meeting async"); err != nil {
			return err
		}
		switch {
		case o.HeldAsync:
			out = o
			return nil
		case o.Cancelled:
			return errs.Errorf(errs.Conflict, "the meeting is cancelled")
		case !now.Before(o.StartsAt):
			return errs.Errorf(errs.Conflict, "the meeting has started: it can no longer be held async")
		}
		if err := s.holdAsync(ctx, tx, a, o); err != nil {
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

// holdAsync marks o held async, says so in its notes, and tells everyone.
func (s *Service) holdAsync(ctx context.Context, tx *sqlx.Tx, a people.Actor, o Occurrence) error {
	now := s.Clock.Now()
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE occurrences SET held_async = TRUE, updated_at = ? WHERE id = ?`), now, o.ID)
	if err != nil {
		return fmt.Errorf("hold occurrence %d async: %w", o.ID, err)
	}
	who := "an operator"
	if p, err := people.ByID(ctx, tx, a.PersonID); err == nil {
		who = p.Display()
	}
	line := fmt.Sprintf("Held async instead of meeting (decided by %s on %s): read the pre-read, then add your notes here and your view on the decisions.",
		who, now.In(o.Location()).Format("Mon 2 Jan"))
	if err := s.AppendSection(ctx, tx, o.ID, "notes", line, now); err != nil {
		return err
	}
	if err := emitChanged(ctx, tx, now, o.ID); err != nil {
		return err
	}
	return s.mailAll(ctx, tx, o, MailHeldAsync, o.version(), false, o.StartsAt)
}
