package app_test

import (
	"context"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// Someone new takes the installation's default zone (--time-zone), whoever
// introduced them: a token, an invitation, or an event in another zone. A
// person's own setting is kept.
func TestNewPeopleTakeTheDefaultZone(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	a := apptest.New(t, t0, apptest.Config(func(c *app.Config) { c.TimeZone = "America/New_York" }))
	own, err := people.Ensure(ctx, a.DB, "own@example.com", "", "Asia/Kolkata", t0)
	if err != nil {
		t.Fatal(err)
	}
	tz := "Asia/Kolkata"
	if _, err := people.Update(ctx, a.DB, own.ID, people.Patch{TimeZone: &tz}); err != nil {
		t.Fatal(err)
	}
	ev := meetings.Event{SeriesUID: "tokyo", Title: "Tokyo sync", Start: t0.Add(72 * time.Hour), End: t0.Add(73 * time.Hour),
		TimeZone: "Asia/Tokyo", Organizer: meetings.EventPerson{Email: "org@example.com"},
		Attendees: []meetings.EventAttendee{{EventPerson: meetings.EventPerson{Email: "new@example.com"}}, {EventPerson: meetings.EventPerson{Email: "own@example.com"}}}}
	cal, err := calendar.Ensure(ctx, a.DB, calendar.KindLocal, "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Meetings.Sync(ctx, cal, []meetings.SeriesEvents{{UID: "tokyo", Events: []meetings.Event{ev}}}); err != nil {
		t.Fatal(err)
	}
	for email, want := range map[string]string{"org@example.com": "America/New_York", "new@example.com": "America/New_York", "own@example.com": "Asia/Kolkata"} {
		if got := a.Person(email).TimeZone; got != want {
			t.Errorf("%s is in %s, want %s", email, got, want)
		}
	}
}
