package calendar_test

import (
	"context"
	"testing"
	"time"

	"meetingd/calendar"
)

// A weekly meeting created in the built-in calendar keeps having
// occurrences as time passes: the daily job rolls the horizon forward.
func TestRecurringSeriesExtendsAsTimePasses(t *testing.T) {
	ta := newTestApp(t, "", t0)
	in := calendar.EventInput{Title: "Weekly", Start: t0.Add(48 * time.Hour), End: t0.Add(49 * time.Hour),
		Organizer: "ana@example.com", Attendees: []calendar.AttendeeInput{{Email: "ben@example.com"}},
		Recurrence: []string{"RRULE:FREQ=WEEKLY"}}
	if _, _, err := ta.Calendar.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	last := func() time.Time {
		var at time.Time
		ta.DB.Get(&at, `SELECT starts_at FROM occurrences ORDER BY starts_at DESC LIMIT 1`)
		return at
	}
	before := last()
	if before.After(t0.Add(ta.Calendar.Horizon)) {
		t.Fatalf("expanded past the horizon: %v", before)
	}
	for day := 1; day <= 30; day++ {
		ta.At(t0.Add(time.Duration(day) * 24 * time.Hour))
	}
	after := last()
	if after.Sub(before) < 3*7*24*time.Hour {
		t.Fatalf("after 30 days the last occurrence moved from %v to %v only", before, after)
	}
	var n int
	ta.DB.Get(&n, `SELECT COUNT(*) FROM jobs WHERE kind LIKE 'calendar.extend@%' AND state = 'pending'`)
	if n != 1 {
		t.Fatalf("%d pending extension jobs, want the next one only", n)
	}
}
