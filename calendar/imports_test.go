package calendar_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/internal/apptest"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// An import's meetings stay out of sight until it is complete, and so do
// their steps: a deadline that falls due meanwhile waits, and runs once
// the import is revealed.
func TestImportShowsNothingUntilComplete(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t, t0)
	cal, err := calendar.Ensure(ctx, a.DB, calendar.KindICS, "team", t0)
	if err != nil {
		t.Fatal(err)
	}
	start := t0.Add(20 * time.Hour) // its pre-read deadline has passed: due at once
	ev := meetings.Event{SeriesUID: "m", Title: "Planning", Start: start, End: start.Add(time.Hour), TimeZone: "UTC",
		Organizer: meetings.EventPerson{Email: "ana@example.com"},
		Attendees: []meetings.EventAttendee{{EventPerson: meetings.EventPerson{Email: "ben@example.com"}}}}
	const stage = 42
	if _, err := a.Meetings.SyncStaged(ctx, cal, stage, []meetings.SeriesEvents{{UID: "m", Events: []meetings.Event{ev}}}, nil); err != nil {
		t.Fatal(err)
	}
	operator := people.Actor{Operator: true}
	if list, _ := a.Meetings.Upcoming(ctx, operator, t0, nil, 10); len(list) != 0 {
		t.Fatalf("an import in progress shows %d meetings", len(list))
	}
	a.RunDue()
	var missing int
	a.DB.Get(&missing, `SELECT COUNT(*) FROM outbox WHERE kind = ?`, meetings.MailMissing)
	if missing != 0 {
		t.Fatal("a step of a meeting not yet imported ran")
	}
	if err := a.Meetings.Reveal(ctx, stage); err != nil {
		t.Fatal(err)
	}
	if list, _ := a.Meetings.Upcoming(ctx, operator, t0, nil, 10); len(list) != 1 {
		t.Fatalf("after the import, %d meetings", len(list))
	}
	a.At(t0.Add(10 * time.Second))
	a.DB.Get(&missing, `SELECT COUNT(*) FROM outbox WHERE kind = ?`, meetings.MailMissing)
	if missing != 2 {
		t.Fatalf("%d missing-pre-read emails once imported, want 2", missing)
	}
}

// A file the parser refuses stores nothing, and its import says why.
func TestRefusedFileLeavesNothingBehind(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t, t0)
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
	for i := range 3000 { // over a megabyte: checked in the background
		at := t0.Add(48 * time.Hour).Add(time.Duration(i) * time.Hour)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:e%d\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n"+
			"ORGANIZER:mailto:ana@example.com\r\nATTENDEE:mailto:ben@example.com\r\nEND:VEVENT\r\n", i,
			at.Format("20060102T150405Z"), at.Add(time.Hour).Format("20060102T150405Z"), strings.Repeat("x", 300))
	}
	b.WriteString("BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20261301T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	st, err := a.Calendar.StartImport(ctx, []byte(b.String()), "big", 0)
	if err != nil {
		t.Fatal(err)
	}
	a.RunDue()
	if st, _ = a.Calendar.ImportStatusOf(ctx, st.ID); st.State != calendar.ImportFailed || !strings.Contains(st.Error, "line") {
		t.Fatalf("import %+v", st)
	}
	var n int
	a.DB.Get(&n, `SELECT COUNT(*) FROM occurrences`)
	if n != 0 {
		t.Fatalf("a refused file stored %d occurrences", n)
	}
	if _, err := a.Calendar.Import(ctx, bytes.NewReader([]byte(b.String())), "big", nil); err == nil {
		t.Fatal("the CLI's import took a malformed file")
	}
	a.DB.Get(&n, `SELECT COUNT(*) FROM occurrences`)
	if n != 0 {
		t.Fatalf("a refused file stored %d occurrences", n)
	}
}

// A file whose last meeting names an impossible address is refused whole,
// though the meetings before it would fill several write batches.
func TestBadAddressAtTheEndStoresNothing(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t, t0)
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
	event := func(uid, attendee string, i int) {
		at := t0.Add(48 * time.Hour).Add(time.Duration(i) * time.Hour)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Sync\r\n"+
			"ORGANIZER:mailto:ana@example.com\r\nATTENDEE:mailto:%s\r\nEND:VEVENT\r\n", uid,
			at.Format("20060102T150405Z"), at.Add(time.Hour).Format("20060102T150405Z"), attendee)
	}
	for i := range 2500 {
		event(fmt.Sprintf("e%d", i), "ben@example.com", i)
	}
	event("last", "ben at example dot com", 2500)
	b.WriteString("END:VCALENDAR\r\n")
	_, err := a.Calendar.Import(ctx, strings.NewReader(b.String()), "team", nil)
	if err == nil || !strings.Contains(err.Error(), "ben at example dot com") {
		t.Fatalf("import err %v, want the bad address named", err)
	}
	var n int
	a.DB.Get(&n, `SELECT COUNT(*) FROM occurrences`)
	if n != 0 {
		t.Fatalf("a refused file stored %d occurrences", n)
	}
}
