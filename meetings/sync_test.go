package meetings_test

import (
	"fmt"
	"testing"
	"time"

	"meetingd/meetings"
)

// weekly is instance n of a weekly series from start.
func weekly(n int) meetings.Event {
	at := start.Add(time.Duration(n) * 7 * 24 * time.Hour)
	ev := event("weekly", at)
	ev.Title, ev.RecurrenceID, ev.Recurrence = "Weekly", at, []string{"RRULE:FREQ=WEEKLY"}
	return ev
}

func (h *harness) series(uid string) (title, recurrence string) {
	h.t.Helper()
	row := h.DB.QueryRow(`SELECT title, recurrence FROM series WHERE uid = ?`, uid)
	if err := row.Scan(&title, &recurrence); err != nil {
		h.t.Fatal(err)
	}
	return title, recurrence
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.DB.Get(&n, query, args...); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestIncrementalSyncOfAnOverrideKeepsTheSeries(t *testing.T) {
	h := newHarness(t)
	if _, err := h.svc.Sync(ctx, h.cal, []meetings.SeriesEvents{{UID: "weekly", Events: []meetings.Event{weekly(0), weekly(1)}}}); err != nil {
		t.Fatal(err)
	}
	moved := weekly(1)
	moved.Title, moved.Recurrence = "Weekly, moved to Friday", nil
	moved.Start, moved.End = moved.Start.Add(72*time.Hour), moved.End.Add(72*time.Hour)
	res, err := h.svc.Sync(ctx, h.cal, []meetings.SeriesEvents{{UID: "weekly", Events: []meetings.Event{moved}}})
	if err != nil || res.Updated != 1 || res.Created != 0 {
		t.Fatalf("override sync = %+v, %v", res, err)
	}
	if title, rule := h.series("weekly"); title != "Weekly" || rule != "RRULE:FREQ=WEEKLY" {
		t.Fatalf("series became %q %q; an override must not rename it", title, rule)
	}
	if n := h.count(`SELECT count(*) FROM occurrences WHERE title = ? AND starts_at = ?`, moved.Title, moved.Start.UTC()); n != 1 {
		t.Fatalf("%d moved occurrences", n)
	}
}

func TestNewSeriesTakesItsFieldsFromTheMasterNotTheFirstOverride(t *testing.T) {
	h := newHarness(t)
	special := weekly(1)
	special.Title, special.Recurrence = "Weekly: offsite edition", nil
	if _, err := h.svc.Sync(ctx, h.cal, []meetings.SeriesEvents{{UID: "weekly", Events: []meetings.Event{special, weekly(0)}}}); err != nil {
		t.Fatal(err)
	}
	if title, _ := h.series("weekly"); title != "Weekly" {
		t.Fatalf("series titled %q", title)
	}
}

func TestEventListedTwiceInOneSyncIsStoredOnce(t *testing.T) {
	h := newHarness(t)
	again := event("m", start)
	again.Title = "Planning, second word"
	res, err := h.svc.Sync(ctx, h.cal, []meetings.SeriesEvents{{UID: "m", Events: []meetings.Event{event("m", start), again}}})
	if err != nil || res.Created != 1 || res.Updated != 1 {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	if o := h.occurrence("m"); o.Title != again.Title {
		t.Fatalf("title %q, want the later listing's", o.Title)
	}
}

// A sync larger than one statement's rows and one transaction's events
// stores every attendee, section and step of every meeting.
func TestLargeSyncStoresEveryRow(t *testing.T) {
	h := newHarness(t)
	const n = 450
	var batch []meetings.SeriesEvents
	for i := range n {
		ev := event(fmt.Sprintf("m%d", i), start.Add(time.Duration(i)*time.Hour))
		ev.Attendees = append(ev.Attendees, meetings.EventAttendee{EventPerson: meetings.EventPerson{Email: fmt.Sprintf("guest%d@example.com", i)}})
		batch = append(batch, meetings.SeriesEvents{UID: ev.SeriesUID, Events: []meetings.Event{ev}})
	}
	res, err := h.svc.Sync(ctx, h.cal, batch)
	if err != nil || res.Created != n {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	for query, want := range map[string]int{
		`SELECT count(*) FROM series`:                                          n,
		`SELECT count(*) FROM notes_docs`:                                      n,
		`SELECT count(*) FROM notes_sections`:                                  n,
		`SELECT count(*) FROM attendees WHERE removed = FALSE`:                 4 * n,
		`SELECT count(*) FROM people WHERE email LIKE 'guest%'`:                n,
		`SELECT count(DISTINCT subject) FROM jobs WHERE kind = 'notes.shared'`: n,
		`SELECT count(*) FROM jobs WHERE kind = 'preread.deadline'`:            n,
	} {
		if got := h.count(query); got != want {
			t.Errorf("%s = %d, want %d", query, got, want)
		}
	}
	// Each meeting's attendees are its own.
	if got := h.count(`SELECT count(*) FROM attendees a JOIN occurrences o ON o.id = a.occurrence_id
		JOIN series s ON s.id = o.series_id JOIN people p ON p.id = a.person_id
		WHERE p.email = 'guest' || substr(s.uid, 2) || '@example.com'`); got != n {
		t.Fatalf("%d guests at their own meeting, want %d", got, n)
	}
}

// Across the transactions of a sync, and the batches of one StagedSync,
// people are stored as in one: someone named nowhere before is named by
// the first name a later meeting gives them, and a name once stored stays.
func TestStagedSyncNamesPeopleAsOneSyncWould(t *testing.T) {
	h := newHarness(t)
	with := func(ev meetings.Event, email, name string) meetings.Event {
		ev.Attendees = append(ev.Attendees, meetings.EventAttendee{EventPerson: meetings.EventPerson{Email: email, Name: name}})
		return ev
	}
	var batch []meetings.SeriesEvents
	for i := range 450 { // three transactions
		ev := event(fmt.Sprintf("m%d", i), start.Add(time.Duration(i)*time.Hour))
		switch i {
		case 0:
			ev = with(with(with(ev, "late@example.com", ""), "first@example.com", "First"), "dee@example.com", "")
		case 300:
			ev = with(with(ev, "late@example.com", "Late"), "first@example.com", "Second")
		case 400:
			ev = with(ev, "late@example.com", "Later still")
		}
		batch = append(batch, meetings.SeriesEvents{UID: ev.SeriesUID, Events: []meetings.Event{ev}})
	}
	sync := h.svc.Staged(h.cal, 0)
	if _, err := sync.Sync(ctx, batch, nil); err != nil {
		t.Fatal(err)
	}
	next := with(event("next", start.Add(-time.Hour)), "dee@example.com", "Dee")
	if _, err := sync.Sync(ctx, []meetings.SeriesEvents{{UID: "next", Events: []meetings.Event{next}}}, nil); err != nil {
		t.Fatal(err)
	}
	for email, want := range map[string]string{"late@example.com": "Late", "first@example.com": "First", "dee@example.com": "Dee", "ben@example.com": "Ben"} {
		var name string
		if err := h.DB.Get(&name, `SELECT name FROM people WHERE email = ?`, email); err != nil || name != want {
			t.Errorf("%s named %q (%v), want %q", email, name, err, want)
		}
	}
	if n := h.count(`SELECT count(*) FROM attendees a JOIN people p ON p.id = a.person_id WHERE p.email = 'late@example.com'`); n != 3 {
		t.Errorf("late@example.com at %d meetings, want 3", n)
	}
}
