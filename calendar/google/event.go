package google

import (
	"time"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/calendar/ics"
	"meetingd/meetings"
)

// Google events as meetings.Events. Google lists recurring events
// unexpanded (singleEvents=false): the master with its RRULE/EXDATE/RDATE
// lines, and exceptions that name the master (recurringEventId) and the
// instance they replace (originalStartTime). meetingd expands the master
// itself and lays the exceptions over the expansion, so a moved instance
// keeps its occurrence and a cancelled one cancels it.

// seriesUIDOf is the series an event belongs to: its master's id.
func seriesUIDOf(e *gcalendar.Event) string {
	if e.RecurringEventId != "" {
		return e.RecurringEventId
	}
	return e.Id
}

// toEvent maps one Google event; calTZ is the calendar's zone, for events
// that name none.
func toEvent(e *gcalendar.Event, calTZ string) meetings.Event {
	ev := meetings.Event{SeriesUID: seriesUIDOf(e), Title: e.Summary, Description: e.Description,
		EventType: e.EventType, Cancelled: e.Status == "cancelled",
		Private:    e.Visibility == "private" || e.Visibility == "confidential",
		Recurrence: e.Recurrence}
	if e.RecurringEventId != "" {
		ev.RecurrenceID, _ = eventTime(e.OriginalStartTime) // already UTC
	}
	ev.Start, ev.AllDay = eventTime(e.Start)
	ev.End, _ = eventTime(e.End)
	ev.TimeZone = calTZ
	if e.Start != nil && e.Start.TimeZone != "" {
		ev.TimeZone = e.Start.TimeZone
	}
	if e.Organizer != nil {
		ev.Organizer = meetings.EventPerson{Email: e.Organizer.Email, Name: e.Organizer.DisplayName}
	}
	for _, a := range e.Attendees {
		role := meetings.RoleRequired
		switch {
		case a.Organizer:
			role = meetings.RoleOrganizer
		case a.Optional:
			role = meetings.RoleOptional
		}
		ev.Attendees = append(ev.Attendees, meetings.EventAttendee{
			EventPerson: meetings.EventPerson{Email: a.Email, Name: a.DisplayName},
			Role:        role, RSVP: rsvpOf(a.ResponseStatus), Resource: a.Resource})
	}
	return ev
}

// eventTime reads a start or end: a dateTime, or a date for all-day events.
func eventTime(d *gcalendar.EventDateTime) (t time.Time, allDay bool) {
	switch {
	case d == nil:
		return time.Time{}, false
	case d.DateTime != "":
		t, _ = time.Parse(time.RFC3339, d.DateTime)
		return t.UTC(), false
	case d.Date != "":
		t, _ = time.Parse(time.DateOnly, d.Date)
		return t, true
	}
	return time.Time{}, false
}

func rsvpOf(status string) string {
	switch status {
	case "accepted":
		return meetings.RSVPAccepted
	case "declined":
		return meetings.RSVPDeclined
	case "tentative":
		return meetings.RSVPTentative
	}
	return meetings.RSVPNeedsAction
}

// notAMeeting reports whether a master can never yield meetings, so it
// is not worth expanding.
func notAMeeting(ev meetings.Event) bool {
	return ev.Cancelled || ev.AllDay || (ev.EventType != "" && ev.EventType != "default")
}

// seriesEvents is what Google says about series uid, given every event of
// it we know (the master, if known, and its exceptions).
func (g *Source) seriesEvents(uid string, evs []*gcalendar.Event, calTZ string, now time.Time) meetings.SeriesEvents {
	var master *gcalendar.Event
	var exceptions []*gcalendar.Event
	for _, e := range evs {
		switch {
		case e.Id == uid:
			master = e
		case e.RecurringEventId == uid:
			exceptions = append(exceptions, e)
		}
	}
	se := meetings.SeriesEvents{UID: uid}
	switch {
	case master == nil:
		// Instances of a master we never stored (it ended before our
		// window): a partial update.
		for _, x := range exceptions {
			se.Events = append(se.Events, toEvent(x, calTZ))
		}
		return se
	case len(master.Recurrence) == 0:
		se.Events = []meetings.Event{toEvent(master, calTZ)}
		return se
	}
	from, to := now.Add(-g.cfg.Past), now.Add(g.cfg.Horizon)
	se.From, se.To = from, to
	base := toEvent(master, calTZ)
	if notAMeeting(base) {
		// Deleted, or never a meeting: whatever occurrences it has in the
		// window go; for a deleted series, only those ahead, so meetings
		// already held keep their record.
		if base.Cancelled {
			se.From = now
		}
		return se
	}
	insts, err := ics.Expand(base, master.Recurrence, from, to)
	if err != nil {
		g.Log.Warn("Google recurring event not expanded", "series", uid, "err", err)
		return meetings.SeriesEvents{UID: uid}
	}
	at := make(map[int64]int, len(insts))
	for i, in := range insts {
		at[in.RecurrenceID.Unix()] = i
	}
	replaced := map[int]bool{}
	var overrides []meetings.Event
	for _, x := range exceptions {
		ev := toEvent(x, calTZ)
		if ev.RecurrenceID.IsZero() {
			continue
		}
		if i, ok := at[ev.RecurrenceID.Unix()]; ok {
			replaced[i] = true
		} else if !inWindow(ev.RecurrenceID, from, to) && (ev.Cancelled || !inWindow(ev.Start, from, to)) {
			continue
		}
		overrides = append(overrides, ev)
	}
	// Plain instances first: meetings takes the series' own fields from
	// the first one, and an override's title is the instance's, not the series'.
	for i, in := range insts {
		if !replaced[i] {
			se.Events = append(se.Events, in)
		}
	}
	se.Events = append(se.Events, overrides...)
	return se
}

func inWindow(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }
