// Package meetings holds series, occurrences, notes docs, pre-reads,
// attendance and action items: the rules of a meeting's lifecycle, from the
// events calendars report to the notes shared after it, and their store.
// Decisions proposed in the notes are opened through the decisions package.
package meetings

import (
	"fmt"
	"meetingd/internal/clock"
	"time"
)

// Series is one meeting over time. It owns one notes doc.
type Series struct {
	ID          int64     `db:"id" json:"id"`
	CalendarID  int64     `db:"calendar_id" json:"calendar_id"`
	UID         string    `db:"uid" json:"uid"`
	Title       string    `db:"title" json:"title"`
	Description string    `db:"description" json:"description"`
	OrganizerID int64     `db:"organizer_id" json:"organizer_id"`
	Recurrence  string    `db:"recurrence" json:"recurrence,omitempty"`
	TimeZone    string    `db:"time_zone" json:"time_zone"`
	Private     bool      `db:"private" json:"private"`
	Cancelled   bool      `db:"cancelled" json:"cancelled"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// Occurrence is one instance of a series at one start time.
type Occurrence struct {
	ID           int64      `db:"id" json:"id"`
	SeriesID     int64      `db:"series_id" json:"series_id"`
	RecurrenceID string     `db:"recurrence_id" json:"recurrence_id,omitempty"`
	Title        string     `db:"title" json:"title"`
	StartsAt     time.Time  `db:"starts_at" json:"starts_at"`
	EndsAt       time.Time  `db:"ends_at" json:"ends_at"`
	TimeZone     string     `db:"time_zone" json:"time_zone"`
	Cancelled    bool       `db:"cancelled" json:"cancelled"`
	PreReadState string     `db:"pre_read_state" json:"pre_read_state"`
	PreReadDueAt time.Time  `db:"pre_read_due_at" json:"pre_read_due_at"`
	PreReadAt    *time.Time `db:"pre_read_at" json:"pre_read_at,omitempty"`
	PreReadBy    *int64     `db:"pre_read_by" json:"pre_read_by,omitempty"`
	RecordingURL string     `db:"recording_url" json:"recording_url,omitempty"`
	Stage        int64      `db:"stage" json:"-"`               // an import still in progress, whose meetings are not shown yet
	HeldAsync    bool       `db:"held_async" json:"held_async"` // its organizer chose to hold it asynchronously
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at" json:"updated_at"`
}

// Location is the zone the occurrence is scheduled in.
func (o Occurrence) Location() *time.Location {
	loc, err := clock.Zone(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// subject names the occurrence in jobs.
func (o Occurrence) subject() string { return fmt.Sprintf("occurrence:%d", o.ID) }

// version names this occurrence at this start time in outbox keys: a moved
// meeting owes its reminders and pre-read anew.
func (o Occurrence) version() string {
	return fmt.Sprintf("occurrence:%d@%d", o.ID, o.StartsAt.Unix())
}

// Attendee is a person invited to an occurrence, with their role, RSVP and
// attendance.
type Attendee struct {
	OccurrenceID int64  `db:"occurrence_id" json:"-"`
	PersonID     int64  `db:"person_id" json:"person_id"`
	Email        string `db:"-" json:"email"`
	Name         string `db:"-" json:"name"`
	TimeZone     string `db:"-" json:"-"`
	Role         string `db:"role" json:"role"`
	RSVP         string `db:"rsvp" json:"rsvp"`
	Attendance   string `db:"attendance" json:"attendance"`
	// MinutesJoined is how long they were in the conference, when a
	// conference service (Google Meet) told.
	MinutesJoined *int `db:"minutes_joined" json:"minutes_joined,omitempty"`
	Removed       bool `db:"removed" json:"-"`
}

// Section is an occurrence's dated section of its series' notes doc.
type Section struct {
	OccurrenceID int64     `db:"occurrence_id" json:"-"`
	PreRead      string    `db:"pre_read" json:"pre_read"`
	Agenda       string    `db:"agenda" json:"agenda"`
	Notes        string    `db:"notes" json:"notes"`
	Decisions    string    `db:"decisions" json:"decisions"`
	ActionItems  string    `db:"action_items" json:"action_items"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// NotesDoc is the document attached to a series.
type NotesDoc struct {
	ID         int64     `db:"id" json:"id"`
	SeriesID   int64     `db:"series_id" json:"series_id"`
	Kind       string    `db:"kind" json:"kind"`
	ExternalID string    `db:"external_id" json:"-"`
	URL        string    `db:"url" json:"url"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// ActionItem is a task from an occurrence. Owner and due date are required.
type ActionItem struct {
	ID           int64      `db:"id" json:"id"`
	OccurrenceID *int64     `db:"occurrence_id" json:"occurrence_id,omitempty"`
	OwnerID      int64      `db:"owner_id" json:"owner_id"`
	OwnerEmail   string     `db:"-" json:"owner"`
	Text         string     `db:"text" json:"text"`
	DueAt        time.Time  `db:"due_at" json:"due_at"`
	DoneAt       *time.Time `db:"done_at" json:"done_at,omitempty"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
}
