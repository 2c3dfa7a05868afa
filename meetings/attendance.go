package meetings

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	"meetingd/internal/people"
)

// AttendancePatch records what happened for one attendee.
type AttendancePatch struct {
	Email      string  `json:"email"`
	Attendance *string `json:"attendance"` // present, absent, async
	RSVP       *string `json:"rsvp"`       // needs_action, accepted, declined, tentative
}

// RecordAttendance sets an attendee's attendance or RSVP. The organizer,
// speakers and operators may record anyone's; others only their own.
func (s *Service) RecordAttendance(ctx context.Context, a people.Actor, occID int64, p AttendancePatch) (Attendee, error) {
	if p.Attendance == nil && p.RSVP == nil {
		return Attendee{}, errs.Errorf(errs.Invalid, "give attendance (present, absent, async) or rsvp (needs_action, accepted, declined, tentative)")
	}
	if p.Attendance != nil && !validAttendance(*p.Attendance) {
		return Attendee{}, errs.Errorf(errs.Invalid, "attendance %q is not one of present, absent, async", *p.Attendance)
	}
	if p.RSVP != nil && !validRSVP(*p.RSVP) {
		return Attendee{}, errs.Errorf(errs.Invalid, "rsvp %q is not one of needs_action, accepted, declined, tentative", *p.RSVP)
	}
	var out Attendee
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		o, err := getOccurrence(ctx, tx, occID)
		if err != nil {
			return err
		}
		role, err := canSee(ctx, tx, a, o)
		if err != nil {
			return err
		}
		who, err := people.ByEmail(ctx, tx, p.Email)
		if err != nil {
			return errs.Errorf(errs.Invalid, "%s is not invited to occurrence %d", p.Email, occID)
		}
		if who.ID != a.PersonID && role != RoleOrganizer && role != RoleSpeaker {
			return errs.Errorf(errs.Forbidden, "only the organizer or a speaker may record someone else's attendance")
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE attendees SET
			attendance = COALESCE(?, attendance), rsvp = COALESCE(?, rsvp)
			WHERE occurrence_id = ? AND person_id = ? AND removed = FALSE`), p.Attendance, p.RSVP, occID, who.ID)
		if err != nil {
			return fmt.Errorf("record attendance: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Errorf(errs.Invalid, "%s is not invited to occurrence %d", p.Email, occID)
		}
		if err := emitChanged(ctx, tx, s.Clock.Now(), occID); err != nil {
			return err
		}
		all, err := attendees(ctx, tx, occID)
		for _, at := range all {
			if at.PersonID == who.ID {
				out = at
			}
		}
		return err
	})
	return out, err
}

// SetRecording attaches a recording link. 1:1s (exactly two people) and
// private or sensitive meetings refuse one: people speak freely there
// because nothing is kept.
func (s *Service) SetRecording(ctx context.Context, a people.Actor, occID int64, link string) (Occurrence, error) {
	link, err := input.Line("url", link, input.MaxURL)
	if err != nil {
		return Occurrence{}, err
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Occurrence{}, errs.Errorf(errs.Invalid, "recording url %q is not an http(s) URL", link)
	}
	var out Occurrence
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		o, err := getOccurrence(ctx, tx, occID)
		if err != nil {
			return err
		}
		if err := canOrganize(ctx, tx, a, o, "attach a recording"); err != nil {
			return err
		}
		ser, err := getSeries(ctx, tx, o.SeriesID)
		if err != nil {
			return err
		}
		if ser.Private {
			return errs.Errorf(errs.Conflict, "occurrence %d is private or sensitive: it cannot have a recording", occID)
		}
		atts, err := attendees(ctx, tx, occID)
		if err != nil {
			return err
		}
		if len(atts) == 2 {
			return errs.Errorf(errs.Conflict, "occurrence %d is a 1:1 (exactly two people): it cannot have a recording", occID)
		}
		if err := emitChanged(ctx, tx, now, occID); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, tx.Rebind(`UPDATE occurrences SET recording_url = ?, updated_at = ? WHERE id = ? RETURNING `+occColumns),
			u.String(), now, occID)
	})
	return out, err
}
