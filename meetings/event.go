package meetings

import (
	"meetingd/internal/people"
	"strings"
	"time"
)

// Event is what a calendar says about one occurrence of a meeting, in
// source-neutral terms: the ICS importer, the built-in calendar and Google
// sync all produce Events, and Sync turns them into series and occurrences.
type Event struct {
	// SeriesUID identifies the series: the event's UID, or its recurring
	// master's. Unique within a calendar.
	SeriesUID string
	// RecurrenceID is the original start of a recurring instance (what
	// RECURRENCE-ID or originalStartTime names); zero for a single event.
	// It stays the same when the instance is moved.
	RecurrenceID time.Time

	Title       string
	Description string
	Start       time.Time
	End         time.Time
	TimeZone    string // IANA name the event is scheduled in; "" means UTC

	Organizer EventPerson
	Attendees []EventAttendee // may include the organizer

	AllDay    bool
	Cancelled bool
	Private   bool   // CLASS:PRIVATE/CONFIDENTIAL, visibility private, or marked sensitive
	EventType string // "" or "default" for ordinary events; focusTime, outOfOffice, workingLocation are skipped

	// Recurrence holds the master's RRULE/RDATE/EXDATE lines, for display.
	Recurrence []string
}

// EventPerson is a person as a calendar names them.
type EventPerson struct {
	Email string
	Name  string
}

// EventAttendee is an invitee as the calendar lists them.
type EventAttendee struct {
	EventPerson
	Role     string // organizer, speaker, required, optional ("" means required)
	RSVP     string // needs_action, accepted, declined, tentative ("" means needs_action)
	Resource bool   // a room or other non-human attendee
}

// OptOutMarker in an event's description keeps meetingd away from it.
const OptOutMarker = "#no-meetingd"

// Key is the event's identity within its calendar: series UID plus
// recurrence id. Re-syncing the same key updates, never duplicates.
func (e Event) Key() string {
	if e.RecurrenceID.IsZero() {
		return e.SeriesUID
	}
	return e.SeriesUID + "|" + e.RecurrenceID.UTC().Format(time.RFC3339)
}

// Humans are the distinct human invitees, organizer included.
func (e Event) Humans() []EventAttendee {
	seen := map[string]bool{}
	var out []EventAttendee
	add := func(a EventAttendee) {
		email := people.NormalizeEmail(a.Email)
		if email == "" || a.Resource || seen[email] {
			return
		}
		seen[email] = true
		a.Email = email
		out = append(out, a)
	}
	if e.Organizer.Email != "" {
		add(EventAttendee{EventPerson: e.Organizer, Role: RoleOrganizer, RSVP: RSVPAccepted})
	}
	for _, a := range e.Attendees {
		add(a)
	}
	return out
}

// SkipReason says why the event is not a meeting meetingd manages, or ""
// if it is one: at least two humans, timed, ordinary, not cancelled, and
// without the opt-out marker.
func (e Event) SkipReason() string {
	switch {
	case e.Cancelled:
		return "cancelled"
	case e.AllDay:
		return "all-day event"
	case e.EventType != "" && e.EventType != "default":
		return "event type " + e.EventType
	case strings.Contains(e.Description, OptOutMarker):
		return "opted out with " + OptOutMarker
	case len(e.Humans()) < 2:
		return "fewer than two people"
	}
	return ""
}
