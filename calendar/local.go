package calendar

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar/ics"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
	"meetingd/internal/secret"
	"meetingd/meetings"
)

// LocalName is the built-in calendar's name.
const LocalName = "local"

// Local is the built-in calendar: events created through the API and CLI,
// and calendars imported from ICS files.
type Local struct {
	DB       *db.DB
	Clock    clock.Clock
	Meetings *meetings.Service
	Log      *slog.Logger
	// Horizon is how far ahead recurring series are expanded; Past how far
	// back an import looks.
	Horizon, Past time.Duration
	Wake          jobs.Waker // told when an import is queued; may be nil
	// MaxAttendees bounds an event's attendees; Org is who may be one.
	MaxAttendees int
	Org          people.Org
}

// NewLocal returns the built-in calendar with its defaults.
func NewLocal(database *db.DB, c clock.Clock, m *meetings.Service, log *slog.Logger) *Local {
	return &Local{DB: database, Clock: c, Meetings: m, Log: log, Horizon: 180 * 24 * time.Hour, Past: 30 * 24 * time.Hour,
		MaxAttendees: 200}
}

// EventInput is an event of the built-in calendar, as the API and CLI take it.
type EventInput struct {
	UID         string          `json:"uid,omitempty"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	Start       time.Time       `json:"start"`
	End         time.Time       `json:"end"`
	TimeZone    string          `json:"time_zone,omitempty"`
	Organizer   string          `json:"organizer,omitempty"`
	Attendees   []AttendeeInput `json:"attendees"`
	Recurrence  []string        `json:"recurrence,omitempty"` // RRULE/RDATE/EXDATE lines
	Private     bool            `json:"private,omitempty"`
}

// AttendeeInput is an invitee of an EventInput.
type AttendeeInput struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Role  string `json:"role,omitempty"` // speaker, required, optional
}

// validate checks in and names the first thing wrong: text fields, times
// (a new event starts within a year back and five years ahead), the zone,
// and attendees (at most MaxAttendees, each of the organisation).
func (l *Local) validate(ctx context.Context, in *EventInput) error {
	var err error
	if in.Title, err = input.Line("title", in.Title, input.MaxLine); err != nil {
		return err
	}
	if in.Description, err = input.Text("description", in.Description, input.MaxText); err != nil {
		return err
	}
	now := l.Clock.Now()
	switch {
	case in.Title == "":
		return errs.Errorf(errs.Invalid, "title is required")
	case in.Start.IsZero():
		return errs.Errorf(errs.Invalid, "start is required (RFC 3339, e.g. 2026-12-01T10:00:00+01:00)")
	case in.End.IsZero():
		return errs.Errorf(errs.Invalid, "end is required (RFC 3339)")
	case !in.End.After(in.Start):
		return errs.Errorf(errs.Invalid, "end %s is not after start %s", in.End.Format(time.RFC3339), in.Start.Format(time.RFC3339))
	case in.End.Sub(in.Start) > 24*time.Hour:
		return errs.Errorf(errs.Invalid, "a meeting lasts at most 24 hours; this one lasts %s", in.End.Sub(in.Start))
	case in.Start.Before(now.AddDate(-1, 0, 0)) || in.Start.After(now.AddDate(5, 0, 0)):
		return errs.Errorf(errs.Invalid, "start %s is not within a year back and five years ahead", in.Start.Format(time.RFC3339))
	case in.Organizer == "":
		return errs.Errorf(errs.Invalid, "organizer is required")
	case l.MaxAttendees > 0 && len(in.Attendees) > l.MaxAttendees:
		return errs.Errorf(errs.Invalid, "attendees: %d people; at most %d an event", len(in.Attendees), l.MaxAttendees)
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := clock.Zone(in.TimeZone); err != nil {
		return errs.Errorf(errs.Invalid, "time_zone %q is not an IANA time zone such as Europe/Berlin", in.TimeZone)
	}
	if err := l.member(ctx, "organizer", in.Organizer); err != nil {
		return err
	}
	for i := range in.Attendees {
		a := &in.Attendees[i]
		field := fmt.Sprintf("attendees[%d]", i)
		if err := people.CheckEmail(a.Email); err != nil {
			return errs.Errorf(errs.Invalid, "%s.email: %s", field, errs.Message(err))
		}
		if a.Name, err = input.Line(field+".name", a.Name, input.MaxName); err != nil {
			return err
		}
		switch a.Role {
		case "", meetings.RoleSpeaker, meetings.RoleRequired, meetings.RoleOptional:
		default:
			return errs.Errorf(errs.Invalid, "%s.role %q is not one of speaker, required, optional", field, a.Role)
		}
		if err := l.member(ctx, field, a.Email); err != nil {
			return err
		}
	}
	return nil
}

// member refuses an address outside the organisation (unless an
// operator added the person).
func (l *Local) member(ctx context.Context, field, email string) error {
	if len(l.Org.Domains) == 0 {
		return nil
	}
	p, err := people.ByEmail(ctx, l.DB, email)
	if errs.Code(err) == errs.NotFound {
		p, err = people.Person{Email: people.NormalizeEmail(email)}, nil
	}
	if err != nil {
		return err
	}
	if err := l.Org.Check(p); err != nil {
		return errs.Errorf(errs.Invalid, "%s: %s", field, errs.Message(err))
	}
	return nil
}

// event is in as a meetings.Event (the master, for a recurring one).
func (in EventInput) event() meetings.Event {
	ev := meetings.Event{SeriesUID: in.UID, Title: in.Title, Description: in.Description,
		Start: in.Start.UTC(), End: in.End.UTC(), TimeZone: in.TimeZone,
		Organizer: meetings.EventPerson{Email: in.Organizer}, Private: in.Private, Recurrence: in.Recurrence}
	for _, a := range in.Attendees {
		ev.Attendees = append(ev.Attendees, meetings.EventAttendee{EventPerson: meetings.EventPerson{Email: a.Email, Name: a.Name},
			Role: a.Role, RSVP: meetings.RSVPNeedsAction})
	}
	return ev
}

// Create adds an event to the built-in calendar. Its UID is generated if
// not given; a UID already used is refused.
func (l *Local) Create(ctx context.Context, in EventInput) (string, meetings.SyncResult, error) {
	if in.UID == "" {
		in.UID = newUID()
	}
	if err := l.validate(ctx, &in); err != nil {
		return "", meetings.SyncResult{}, err
	}
	res, err := l.store(ctx, in, false, true)
	return in.UID, res, err
}

// Update replaces an event of the built-in calendar with in. The
// occurrences keep their identity: notes, pre-reads and attendance stay.
func (l *Local) Update(ctx context.Context, in EventInput) (meetings.SyncResult, error) {
	if err := l.validate(ctx, &in); err != nil {
		return meetings.SyncResult{}, err
	}
	return l.store(ctx, in, false, false)
}

// Cancel cancels an event of the built-in calendar, every occurrence of it.
func (l *Local) Cancel(ctx context.Context, uid string) (meetings.SyncResult, error) {
	in, err := l.Get(ctx, uid)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	return l.store(ctx, in, true, false)
}

// Get returns an event of the built-in calendar.
func (l *Local) Get(ctx context.Context, uid string) (EventInput, error) {
	var data string
	err := l.DB.GetContext(ctx, &data, l.DB.Rebind(`SELECT e.data FROM local_events e JOIN calendars c ON c.id = e.calendar_id
		WHERE c.kind = 'local' AND c.name = ? AND e.uid = ?`), LocalName, uid)
	if db.IsNoRows(err) {
		return EventInput{}, errs.Errorf(errs.NotFound, "no event %q in the built-in calendar", uid)
	}
	if err != nil {
		return EventInput{}, fmt.Errorf("event %s: %w", uid, err)
	}
	var in EventInput
	if err := json.Unmarshal([]byte(data), &in); err != nil {
		return EventInput{}, fmt.Errorf("event %s: %w", uid, err)
	}
	return in, nil
}

// store saves the event and syncs its occurrences.
func (l *Local) store(ctx context.Context, in EventInput, cancelled, create bool) (meetings.SyncResult, error) {
	now := l.Clock.Now()
	events, err := l.expand(in, now)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	for i := range events {
		events[i].Cancelled = cancelled
	}
	data, _ := json.Marshal(in)
	var calID int64
	err = db.InTx(ctx, l.DB, func(tx *sqlx.Tx) error {
		if calID, err = Ensure(ctx, tx, KindLocal, LocalName, now); err != nil {
			return err
		}
		q := `INSERT INTO local_events (calendar_id, uid, data, cancelled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (calendar_id, uid) DO UPDATE SET data = excluded.data, cancelled = excluded.cancelled, updated_at = excluded.updated_at`
		if create {
			q = `INSERT INTO local_events (calendar_id, uid, data, cancelled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(q), calID, in.UID, string(data), cancelled, now, now)
		if err != nil {
			if create && strings.Contains(err.Error(), "UNIQUE") {
				return errs.Errorf(errs.Conflict, "an event with uid %q already exists", in.UID)
			}
			return fmt.Errorf("store event %s: %w", in.UID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Errorf(errs.NotFound, "no event %q in the built-in calendar", in.UID)
		}
		return nil
	})
	if err != nil {
		return meetings.SyncResult{}, err
	}
	return l.Meetings.Sync(ctx, calID, []meetings.SeriesEvents{{UID: in.UID, Events: events,
		From: now.Add(-l.Past), To: now.Add(l.Horizon)}})
}

// expand turns an event into its occurrences within the horizon.
func (l *Local) expand(in EventInput, now time.Time) ([]meetings.Event, error) {
	master := in.event()
	if len(in.Recurrence) == 0 {
		return []meetings.Event{master}, nil
	}
	evs, err := ics.Expand(master, in.Recurrence, now.Add(-l.Past), now.Add(l.Horizon))
	if err != nil {
		return nil, errs.Errorf(errs.Invalid, "%v", err)
	}
	return evs, nil
}

func newUID() string {
	return secret.Hex(12) + "@meetingd"
}

// Occurrences are the ids of a built-in event's occurrences, soonest first,
// so whoever created it can address them (publish, attendance) at once.
func (l *Local) Occurrences(ctx context.Context, uid string) ([]int64, error) {
	var calID int64
	err := l.DB.GetContext(ctx, &calID, l.DB.Rebind(`SELECT id FROM calendars WHERE kind = 'local' AND name = ?`), LocalName)
	if err != nil {
		return nil, fmt.Errorf("the built-in calendar: %w", err)
	}
	ref, err := meetings.SeriesByUID(ctx, l.DB, calID, uid)
	if err != nil {
		return nil, err
	}
	return meetings.OccurrenceIDs(ctx, l.DB, ref.ID)
}
