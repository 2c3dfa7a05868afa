// Package feedtest helps the tests of polled calendars (ICS subscriptions,
// CalDAV): what meetingd holds about a calendar's meetings, read as a user
// of meetingd would see it (occurrences, their pre-read deadlines, their
// attendees, the steps due).
package feedtest

import (
	"strconv"
	"testing"
	"time"

	"meetingd/internal/apptest"
)

// Occ is an occurrence of a calendar's series.
type Occ struct {
	ID           int64     `db:"id"`
	UID          string    `db:"uid"`
	RecurrenceID string    `db:"recurrence_id"`
	Title        string    `db:"title"`
	StartsAt     time.Time `db:"starts_at"`
	Cancelled    bool      `db:"cancelled"`
	PreReadDueAt time.Time `db:"pre_read_due_at"`
}

// Occurrences lists calendar calID's occurrences by series and start.
func Occurrences(t testing.TB, a *apptest.App, calID int64) []Occ {
	t.Helper()
	var out []Occ
	err := a.DB.Select(&out, a.DB.Rebind(`SELECT o.id, s.uid, o.recurrence_id, o.title, o.starts_at, o.cancelled, o.pre_read_due_at
		FROM occurrences o JOIN series s ON s.id = o.series_id WHERE s.calendar_id = ? ORDER BY s.uid, o.starts_at`), calID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range out {
		out[i].StartsAt, out[i].PreReadDueAt = out[i].StartsAt.UTC(), out[i].PreReadDueAt.UTC()
	}
	return out
}

// Of picks uid's occurrences out of occs.
func Of(occs []Occ, uid string) []Occ {
	var out []Occ
	for _, o := range occs {
		if o.UID == uid {
			out = append(out, o)
		}
	}
	return out
}

// Step is one of an occurrence's scheduled steps.
type Step struct {
	Kind  string    `db:"kind"`
	DueAt time.Time `db:"due_at"`
	State string    `db:"state"`
}

// Steps lists occurrence occID's steps by kind.
func Steps(t testing.TB, a *apptest.App, occID int64) map[string]Step {
	t.Helper()
	var rows []Step
	err := a.DB.Select(&rows, a.DB.Rebind(`SELECT kind, due_at, state FROM jobs WHERE subject = ?`), "occurrence:"+strconv.FormatInt(occID, 10))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Step{}
	for _, r := range rows {
		r.DueAt = r.DueAt.UTC()
		out[r.Kind] = r
	}
	return out
}

// Attendees lists occurrence occID's attendees still invited, as
// "email role", by email.
func Attendees(t testing.TB, a *apptest.App, occID int64) []string {
	t.Helper()
	var out []string
	err := a.DB.Select(&out, a.DB.Rebind(`SELECT p.email || ' ' || a.role FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND a.removed = FALSE ORDER BY p.email`), occID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Outbox lists the emails of kind as "to subject".
func Outbox(t testing.TB, a *apptest.App, kind string) []string {
	t.Helper()
	var out []string
	if err := a.DB.Select(&out, a.DB.Rebind(`SELECT to_addr FROM outbox WHERE kind = ? ORDER BY id`), kind); err != nil {
		t.Fatal(err)
	}
	return out
}
