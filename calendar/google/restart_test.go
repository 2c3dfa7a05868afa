package google_test

import (
	"testing"
	"time"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/calendar/google"
	"meetingd/internal/jobs"
)

// Item 4: meetingd restarted from push to polling polls at --google-poll
// (not at the 6-hour safety interval armed before), and stops the channels
// of the push it no longer wants, so Google stops calling.
func TestGoogleRestartFromPushToPolling(t *testing.T) {
	h := synced(t, nil)
	cal := h.calendarID(ana)
	if n := len(h.fake.Channels(ana)) + len(h.fake.DriveChannels(ana)); n != 2 {
		t.Fatalf("%d channels before the restart", n)
	}
	h.Clock.Advance(time.Hour)
	restarted := h.restart(func(c *google.Config) { c.WebhookURL = "" })
	now := h.Clock.Now()

	var polls []struct {
		Kind string    `db:"kind"`
		Due  time.Time `db:"due_at"`
	}
	err := h.DB.Select(&polls, h.DB.Rebind(`SELECT kind, due_at FROM jobs WHERE subject = ? AND state = 'pending'
		AND (kind LIKE 'google.poll@%' OR kind LIKE 'google.drivepoll@%') ORDER BY kind`), jobs.Subject("gcal:", cal))
	if err != nil {
		t.Fatal(err)
	}
	if len(polls) != 2 || !polls[0].Due.Equal(now.Add(time.Minute)) || !polls[1].Due.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("polls after the restart %+v, want Drive's in a minute and the calendar's in 5 (--google-poll)", polls)
	}

	restarted.RunDue()
	for _, ch := range append(h.fake.Channels(ana), h.fake.DriveChannels(ana)...) {
		if !ch.Stopped {
			t.Errorf("channel %s still open with push off", ch.ID)
		}
	}
	h.fake.PutEvent(ana, meeting("new", "New meeting", berlin(11, 12, 10, 0), time.Hour))
	if n := h.fake.Pending(); n != 0 {
		t.Errorf("%d notifications pending for a meetingd that polls", n)
	}
	restarted.At(now.Add(5 * time.Minute))
	if len(h.occurrences("new")) != 1 {
		t.Error("the poll at --google-poll did not bring the new meeting")
	}
	h.clean()
}

// Item 4, the other way: meetingd restarted from polling to push opens
// the channels (the calendar's events and its owner's Drive changes), and
// polls only at the safety interval from then on.
func TestGoogleRestartFromPollingToPush(t *testing.T) {
	var hook string
	h := synced(t, func(c *google.Config) { hook, c.WebhookURL = c.WebhookURL, "" })
	if n := len(h.fake.Channels(ana)) + len(h.fake.DriveChannels(ana)); n != 0 || hook == "" {
		t.Fatalf("%d channels while polling (webhook %q)", n, hook)
	}
	cal := h.calendarID(ana)
	h.Clock.Advance(time.Hour)
	restarted := h.restart(func(c *google.Config) { c.WebhookURL = hook })
	now := h.Clock.Now()
	// The polls armed before (overdue by now) are replaced, not run.
	var due []time.Time
	err := h.DB.Select(&due, h.DB.Rebind(`SELECT due_at FROM jobs WHERE subject = ? AND state = 'pending'
		AND (kind LIKE 'google.poll@%' OR kind LIKE 'google.drivepoll@%')`), jobs.Subject("gcal:", cal))
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || !due[0].Equal(now.Add(6*time.Hour)) || !due[1].Equal(now.Add(6*time.Hour)) {
		t.Errorf("polls after the restart due %v, want both at the 6-hour safety interval", due)
	}
	restarted.RunDue()
	events, drive := h.fake.Channels(ana), h.fake.DriveChannels(ana)
	if len(events) != 1 || len(drive) != 1 || events[0].Stopped || drive[0].Stopped {
		t.Fatalf("channels after the restart: events %+v, drive %+v; want one of each, open", events, drive)
	}
	h.clean()
}

// Item 4: a calendar dropped from the configuration has its channels
// stopped, its polling ended, and its meetings left as they are.
func TestGoogleRemovedCalendarIsLetGo(t *testing.T) {
	const ben = "ben@example.com"
	h := newGoogleHarness(t, nil, ana, ben)
	seedAna(h)
	h.fake.PutEvent(ben, &gcalendar.Event{Id: "sync-1", Summary: "1:1", Start: when(berlin(11, 4, 10, 0)), End: when(berlin(11, 4, 10, 30)),
		Organizer: &gcalendar.EventOrganizer{Email: ben}, Attendees: []*gcalendar.EventAttendee{person(ben), person("dee@example.com")}})
	h.settle()
	h.clean()
	before := h.occurrences("sync-1")
	benCal := h.calendarID(ben)

	restarted := h.restart(func(c *google.Config) { c.Calendars = []google.Calendar{{ID: ana}} })
	restarted.RunDue()
	for _, ch := range append(h.fake.Channels(ben), h.fake.DriveChannels(ben)...) {
		if !ch.Stopped {
			t.Errorf("channel %s of the dropped calendar still open", ch.ID)
		}
	}
	for _, ch := range append(h.fake.Channels(ana), h.fake.DriveChannels(ana)...) {
		if ch.Stopped {
			t.Errorf("channel %s of the calendar still configured stopped", ch.ID)
		}
	}
	armed, err := jobs.Armed(h.ctx, h.DB, jobs.Subject("gcal:", benCal), "google.poll@a", "google.poll@b", "google.drivepoll@a", "google.drivepoll@b")
	if err != nil || armed {
		t.Errorf("the dropped calendar is still polled (%v)", err)
	}
	after := h.occurrences("sync-1")
	if len(after) != 1 || after[0] != before[0] {
		t.Errorf("the dropped calendar's meeting changed: %+v, was %+v", after, before)
	}
	st, err := restarted.Google.Calendars(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Calendar == ben && (s.Connected || s.Watched) {
			t.Errorf("dropped calendar shows %+v", s)
		}
		if s.Calendar == ana && !s.Connected {
			t.Errorf("configured calendar shows %+v", s)
		}
	}
	restarted.At(h.Clock.Now().Add(7 * time.Hour))
	h.clean()
}
