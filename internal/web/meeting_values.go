package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"meetingd/calendar"
	"meetingd/internal/clock"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// meetingValues are a meeting form's fields as typed, so that a form
// refused comes back as the person left it.
type meetingValues struct {
	Title, Date, Time, Duration, Zone, Repeat, RRule, Attendees string
	Private                                                     bool
}

// Form layouts of the date and time inputs (what browsers send).
const (
	dateLayout = "2006-01-02"
	timeLayout = "15:04"
)

// repeatOption is a choice of the repeat select.
type repeatOption struct{ Value, Label string }

var repeatOptions = []repeatOption{{"", "Does not repeat"}, {"daily", "Every day"}, {"weekly", "Every week"},
	{"biweekly", "Every 2 weeks"}, {"monthly", "Every month"}, {"custom", "Custom rule (RRULE)"}}

// repeatRules are the RRULE lines of the fixed choices; the rule repeats
// on the start's weekday or day of the month, as calendar apps do.
var repeatRules = map[string]string{"daily": "RRULE:FREQ=DAILY", "weekly": "RRULE:FREQ=WEEKLY",
	"biweekly": "RRULE:FREQ=WEEKLY;INTERVAL=2", "monthly": "RRULE:FREQ=MONTHLY"}

// calendarFields say beside which field the built-in calendar's messages
// go; they name the EventInput field they are about.
var calendarFields = []fieldPrefix{{"title", "title"}, {"start", "start"}, {"end", "duration"},
	{"a meeting lasts", "duration"}, {"time_zone", "zone"}, {"attendees", "attendees"}, {"recurrence", "repeat"}}

func meetingFormValues(r *http.Request) meetingValues {
	f := r.PostForm
	return meetingValues{Title: f.Get("title"), Date: f.Get("date"), Time: f.Get("time"), Duration: f.Get("duration"),
		Zone: f.Get("zone"), Repeat: f.Get("repeat"), RRule: f.Get("rrule"), Attendees: f.Get("attendees"),
		Private: f.Get("private") != ""}
}

// newMeetingValues start a form at the next full hour in loc, for 30 minutes.
func newMeetingValues(now time.Time, loc *time.Location) meetingValues {
	t := now.In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
	return meetingValues{Date: start.Format(dateLayout), Time: start.Format(timeLayout), Duration: "30", Zone: loc.String()}
}

// eventValues are an event's fields as its edit form shows them, its
// times in the event's own zone.
func eventValues(in calendar.EventInput) meetingValues {
	loc, err := clock.Zone(in.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	start := in.Start.In(loc)
	lines := make([]string, 0, len(in.Attendees))
	for _, a := range in.Attendees {
		line := a.Email
		if a.Role != "" {
			line += ", " + a.Role
		}
		lines = append(lines, line)
	}
	return meetingValues{Title: in.Title, Date: start.Format(dateLayout), Time: start.Format(timeLayout),
		Duration: strconv.Itoa(int(in.End.Sub(in.Start).Minutes())), Zone: loc.String(),
		Attendees: strings.Join(lines, "\n"), Private: in.Private}
}

// event is the values as an event organized by organizer; what cannot be
// read goes into fe beside its field.
func (v meetingValues) event(organizer string, fe fieldErrors) calendar.EventInput {
	in := calendar.EventInput{Title: strings.TrimSpace(v.Title), TimeZone: strings.TrimSpace(v.Zone), Organizer: organizer,
		Private: v.Private}
	if in.Title == "" {
		fe.set("title", "Give the meeting a title.")
	}
	in.Start = v.start(in.TimeZone, fe)
	mins, err := strconv.Atoi(strings.TrimSpace(v.Duration))
	switch {
	case err != nil:
		fe.set("duration", "Give the duration in minutes, such as 30.")
	case mins <= 0:
		fe.set("duration", "The meeting must end after it starts: give a duration of at least 1 minute.")
	}
	in.End = in.Start.Add(time.Duration(mins) * time.Minute)
	if in.Attendees, err = parseAttendees(v.Attendees, organizer); err != nil {
		fe.set("attendees", errs.Message(err))
	}
	return in
}

// start reads the date and time as a wall clock in zone.
func (v meetingValues) start(zone string, fe fieldErrors) time.Time {
	loc, err := clock.Zone(zone)
	if err != nil {
		fe.set("zone", fmt.Sprintf("%q is not a time zone: use an IANA name such as Europe/Berlin.", zone))
		return time.Time{}
	}
	t, err := time.ParseInLocation(dateLayout+" "+timeLayout, strings.TrimSpace(v.Date)+" "+strings.TrimSpace(v.Time), loc)
	if err != nil {
		fe.set("start", "Give the start as a date (YYYY-MM-DD) and a time (HH:MM).")
	}
	return t
}

// recurrence is the repeat choice as RRULE lines (none for a single
// meeting). A custom rule may be typed with or without "RRULE:"; the
// calendar checks it when it expands the series.
func (v meetingValues) recurrence(fe fieldErrors) []string {
	if v.Repeat == "" {
		return nil
	}
	if rule, ok := repeatRules[v.Repeat]; ok {
		return []string{rule}
	}
	rule := strings.TrimSpace(v.RRule)
	switch {
	case v.Repeat != "custom":
		fe.set("repeat", fmt.Sprintf("%q is not one of the repeat choices.", v.Repeat))
		return nil
	case rule == "":
		fe.set("repeat", "Give the custom rule, such as FREQ=WEEKLY;BYDAY=MO,TH.")
		return nil
	case !strings.HasPrefix(strings.ToUpper(rule), "RRULE:"):
		rule = "RRULE:" + rule
	}
	return []string{rule}
}

// parseAttendees reads "email, role" lines. The organizer is always in the
// meeting, so their own line is dropped, as are repeated addresses; a
// meeting with nobody else is refused.
func parseAttendees(text, organizer string) ([]calendar.AttendeeInput, error) {
	lines, numbers := formLines(text)
	seen := map[string]bool{people.NormalizeEmail(organizer): true}
	var out []calendar.AttendeeInput
	for i, l := range lines {
		email, role, _ := strings.Cut(l, ",")
		email, role = people.NormalizeEmail(email), strings.ToLower(strings.TrimSpace(role))
		if err := people.CheckEmail(email); err != nil {
			return nil, errs.Errorf(errs.Invalid, "line %d: %s", numbers[i], errs.Message(err))
		}
		switch role {
		case "", meetings.RoleSpeaker, meetings.RoleRequired, meetings.RoleOptional:
		default:
			return nil, errs.Errorf(errs.Invalid, "line %d: role %q is not one of speaker, required, optional", numbers[i], role)
		}
		if !seen[email] {
			seen[email] = true
			out = append(out, calendar.AttendeeInput{Email: email, Role: role})
		}
	}
	if len(out) == 0 {
		return nil, errs.Errorf(errs.Invalid, "Invite at least one person besides yourself: one per line, as email, role.")
	}
	return out, nil
}
