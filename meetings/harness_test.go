package meetings_test

import (
	"context"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/internal/apptest"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// Monday 2 November 2026, 08:00 UTC.
var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// harness is the whole service, with meetings synced from a calendar of
// the test's own.
type harness struct {
	*apptest.App
	t   *testing.T
	svc *meetings.Service
	cal int64
}

func newHarness(t *testing.T, opts ...apptest.Option) *harness {
	t.Helper()
	a := apptest.New(t, t0, opts...)
	cal, err := calendar.Ensure(context.Background(), a.DB, calendar.KindLocal, "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{App: a, t: t, svc: a.Meetings, cal: cal}
}

// event is a meeting of ana (organizer), ben and cy.
func event(uid string, start time.Time) meetings.Event {
	return meetings.Event{SeriesUID: uid, Title: "Planning " + uid, Start: start, End: start.Add(time.Hour),
		TimeZone: "Europe/Berlin", Organizer: meetings.EventPerson{Email: "ana@example.com", Name: "Ana"},
		Attendees: []meetings.EventAttendee{
			{EventPerson: meetings.EventPerson{Email: "ana@example.com"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPAccepted},
			{EventPerson: meetings.EventPerson{Email: "ben@example.com", Name: "Ben"}, Role: meetings.RoleRequired},
			{EventPerson: meetings.EventPerson{Email: "cy@example.com"}, Role: meetings.RoleSpeaker},
		}}
}

func (h *harness) sync(evs ...meetings.Event) meetings.SyncResult {
	h.t.Helper()
	var batch []meetings.SeriesEvents
	for _, ev := range evs {
		batch = append(batch, meetings.SeriesEvents{UID: ev.SeriesUID, Events: []meetings.Event{ev}})
	}
	res, err := h.svc.Sync(context.Background(), h.cal, batch)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// at moves the clock to t and runs everything due.
func (h *harness) at(t time.Time) { h.t.Helper(); h.At(t) }

// operator sees every meeting.
var operator = people.Actor{Operator: true}

func (h *harness) occurrence(uid string) meetings.Occurrence {
	h.t.Helper()
	var id int64
	if err := h.DB.Get(&id, `SELECT o.id FROM occurrences o JOIN series s ON s.id = o.series_id WHERE s.uid = ?`, uid); err != nil {
		h.t.Fatalf("occurrence of %s: %v", uid, err)
	}
	v, err := h.svc.View(context.Background(), operator, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return v.Occurrence
}

// mails lists (kind, to) of every stored email, in order.
func (h *harness) mails() []string {
	h.t.Helper()
	var out []string
	if err := h.DB.Select(&out, `SELECT kind || ' ' || to_addr FROM outbox ORDER BY id`); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) person(email string) people.Person {
	h.t.Helper()
	p, err := people.ByEmail(context.Background(), h.DB, email)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) actor(email string) people.Actor { return h.person(email).Actor() }
