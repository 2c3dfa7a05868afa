package ics

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zoneinfo

	"meetingd/meetings"
)

var (
	march = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	may   = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	june  = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
)

func parseFile(t *testing.T, name string, from, to time.Time) *Calendar {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cal, err := Parse(f, Options{From: from, To: to})
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return cal
}

func seriesOf(t *testing.T, cal *Calendar, uid string) Series {
	t.Helper()
	for _, s := range cal.Series {
		if s.UID == uid {
			return s
		}
	}
	t.Fatalf("no series %q", uid)
	return Series{}
}

func uids(cal *Calendar) []string {
	var out []string
	for _, s := range cal.Series {
		out = append(out, s.UID)
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// inst is the part of an instance most tests care about.
type inst struct {
	Start, RecurrenceID string
	Title               string
	Cancelled           bool
}

func insts(evs []meetings.Event) []inst {
	var out []inst
	for _, e := range evs {
		rid := ""
		if !e.RecurrenceID.IsZero() {
			rid = e.RecurrenceID.Format(time.RFC3339)
		}
		out = append(out, inst{e.Start.Format(time.RFC3339), rid, e.Title, e.Cancelled})
	}
	return out
}

func checkInsts(t *testing.T, got []meetings.Event, want []inst) {
	t.Helper()
	if g := insts(got); !reflect.DeepEqual(g, want) {
		t.Errorf("instances:\n got %+v\nwant %+v", g, want)
	}
}

func checkUTC(t *testing.T, evs []meetings.Event) {
	t.Helper()
	for _, e := range evs {
		if e.Start.Location() != time.UTC || e.End.Location() != time.UTC {
			t.Errorf("%s: Start/End not in UTC: %v, %v", e.Title, e.Start.Location(), e.End.Location())
		}
		if !e.RecurrenceID.IsZero() && e.RecurrenceID.Location() != time.UTC {
			t.Errorf("%s: RecurrenceID not in UTC", e.Title)
		}
	}
}

func TestParseICSGoogle(t *testing.T) {
	cal := parseFile(t, "google.ics", march, may)
	if cal.Name != "Team Platform" {
		t.Errorf("Name = %q", cal.Name)
	}
	wantUIDs := []string{
		"7kukuqrfedlm2f9t0vsp2n1p5c@google.com", // first seen on an override, before its master
		"2p5kq0m3b8d1c7e6f4a9g2h0j1@google.com",
		"5r7t9v1x3z5b7d9f1h3j5l7n9p@google.com",
		"floating-breakfast-20240315@google.com",
		"3m5o7q9s1u3w5y7a9c1e3g5i7k_R20240103T140000@google.com",
		"summer-kickoff-2024@google.com",
	}
	if got := uids(cal); !reflect.DeepEqual(got, wantUIDs) {
		t.Errorf("series:\n got %q\nwant %q", got, wantUIDs)
	}

	weekly := seriesOf(t, cal, wantUIDs[0])
	if !weekly.Recurring {
		t.Error("weekly series not Recurring")
	}
	// Tuesdays 10:00 Europe/Berlin: 09:00Z until the DST change on 31 March,
	// 08:00Z after it.
	checkInsts(t, weekly.Events, []inst{
		{"2024-03-12T09:00:00Z", "2024-03-12T09:00:00Z", "Platform weekly", false},
		{"2024-03-20T13:00:00Z", "2024-03-19T09:00:00Z", "Platform weekly (moved to Wednesday)", false},
		{"2024-03-26T09:00:00Z", "2024-03-26T09:00:00Z", "Platform weekly", false},
		// 2 April is EXDATEd.
		{"2024-04-09T08:00:00Z", "2024-04-09T08:00:00Z", "Platform weekly", true},
		{"2024-04-16T08:00:00Z", "2024-04-16T08:00:00Z", "Platform weekly", false},
		{"2024-04-30T08:00:00Z", "2024-04-30T08:00:00Z", "Platform weekly", false},
		// 23 April is in the window but was moved out of it.
		{"2024-05-02T08:00:00Z", "2024-04-23T08:00:00Z", "Platform weekly (after the offsite)", false},
	})
	checkUTC(t, weekly.Events)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	wantRec := []string{"RRULE:FREQ=WEEKLY;BYDAY=TU", "EXDATE;TZID=Europe/Berlin:20240402T100000"}
	for _, e := range weekly.Events {
		if e.SeriesUID != weekly.UID || e.TimeZone != "Europe/Berlin" || e.End.Sub(e.Start) != time.Hour {
			t.Errorf("%s: SeriesUID %q TimeZone %q duration %v", e.Start, e.SeriesUID, e.TimeZone, e.End.Sub(e.Start))
		}
		if local := e.RecurrenceID.In(berlin); local.Hour() != 10 || local.Weekday() != time.Tuesday {
			t.Errorf("original start %v is not Tuesday 10:00 in Berlin", local)
		}
		if !reflect.DeepEqual(e.Recurrence, wantRec) {
			t.Errorf("%s: Recurrence = %q", e.Start, e.Recurrence)
		}
	}

	master := weekly.Events[0]
	wantAtt := []meetings.EventAttendee{
		{EventPerson: meetings.EventPerson{Email: "lena.vogel@example.com", Name: "Lena Vogel"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPAccepted},
		{EventPerson: meetings.EventPerson{Email: "jonas.berg@example.com", Name: "Jonas Berg"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPTentative},
		{EventPerson: meetings.EventPerson{Email: "marta@example.org", Name: "marta@example.org"}, Role: meetings.RoleOptional, RSVP: meetings.RSVPNeedsAction},
		{EventPerson: meetings.EventPerson{Email: "c_1888abcd@resource.calendar.google.com", Name: "Berlin-3-Spree (8)"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPAccepted, Resource: true},
	}
	if !reflect.DeepEqual(master.Attendees, wantAtt) {
		t.Errorf("Attendees:\n got %+v\nwant %+v", master.Attendees, wantAtt)
	}
	if want := (meetings.EventPerson{Email: "lena.vogel@example.com", Name: "Lena Vogel"}); master.Organizer != want {
		t.Errorf("Organizer = %+v", master.Organizer)
	}
	if !strings.HasPrefix(master.Description, "Weekly sync of the platform team.\nAgenda: https://docs.example.com/platform-weekly\n") {
		t.Errorf("Description = %q", master.Description)
	}
	if moved := weekly.Events[1]; moved.Attendees[1].RSVP != meetings.RSVPDeclined {
		t.Errorf("override keeps its own attendees: %+v", moved.Attendees)
	}
	// Generated instances must not share slices.
	weekly.Events[0].Attendees[0].Name = "changed"
	if weekly.Events[2].Attendees[0].Name != "Lena Vogel" {
		t.Error("instances share their Attendees")
	}

	allDay := seriesOf(t, cal, wantUIDs[1])
	if allDay.Recurring || len(allDay.Events) != 1 {
		t.Fatalf("all-day series: %+v", allDay)
	}
	if e := allDay.Events[0]; !e.AllDay || !e.Start.Equal(utc("2024-03-29T00:00:00Z")) || !e.End.Equal(utc("2024-03-30T00:00:00Z")) ||
		e.TimeZone != "UTC" || !e.RecurrenceID.IsZero() || len(e.Recurrence) != 0 {
		t.Errorf("all-day event: %+v", e)
	}

	if e := seriesOf(t, cal, wantUIDs[2]).Events[0]; !e.Private || e.TimeZone != "UTC" || !e.Start.Equal(utc("2024-03-14T09:00:00Z")) {
		t.Errorf("private 1:1: %+v", e)
	}
	// Floating time: in X-WR-TIMEZONE.
	if e := seriesOf(t, cal, wantUIDs[3]).Events[0]; e.TimeZone != "Europe/Berlin" || !e.Start.Equal(utc("2024-03-15T07:30:00Z")) {
		t.Errorf("floating event: start %v zone %q", e.Start, e.TimeZone)
	}
	// Invited to one instance of someone else's series.
	orphan := seriesOf(t, cal, wantUIDs[4])
	if !orphan.Recurring || len(orphan.Events) != 1 {
		t.Fatalf("orphan override: %+v", orphan)
	}
	if e := orphan.Events[0]; e.TimeZone != "America/New_York" || !e.RecurrenceID.Equal(utc("2024-04-10T13:00:00Z")) {
		t.Errorf("orphan override: %+v", e)
	}
	if s := seriesOf(t, cal, wantUIDs[5]); len(s.Events) != 0 {
		t.Errorf("event outside the window produced: %+v", s.Events)
	}
}

func TestParseICSOutlook(t *testing.T) {
	cal := parseFile(t, "outlook.ics", march, may)
	if len(cal.Series) != 3 {
		t.Fatalf("got %d series, want 3", len(cal.Series))
	}
	review := cal.Series[0]
	if want := "040000008200E00074C5B7101A82E00800000000B0E1D1E5C36FDA01000000000000000010000000F4D2A3B6CE9D7B4F94E3C1B9A5B0E3F1"; review.UID != want {
		t.Errorf("folded UID = %q", review.UID)
	}
	// "W. Europe Standard Time" is Europe/Berlin; UNTIL is inclusive; 28 March is EXDATEd.
	var starts []string
	for _, e := range review.Events {
		starts = append(starts, e.Start.Format(time.RFC3339))
		if e.TimeZone != "Europe/Berlin" {
			t.Errorf("TimeZone = %q", e.TimeZone)
		}
	}
	wantStarts := []string{
		"2024-03-07T09:00:00Z", "2024-03-14T09:00:00Z", "2024-03-21T09:00:00Z",
		"2024-04-04T08:00:00Z", "2024-04-11T08:00:00Z", "2024-04-18T08:00:00Z", "2024-04-25T08:00:00Z",
	}
	if !reflect.DeepEqual(starts, wantStarts) {
		t.Errorf("starts:\n got %q\nwant %q", starts, wantStarts)
	}
	e := review.Events[0]
	wantAtt := []meetings.EventAttendee{
		{EventPerson: meetings.EventPerson{Email: "ravi.menon@example.com", Name: "Dr. Ravi Menon"}, Role: meetings.RoleSpeaker, RSVP: meetings.RSVPAccepted},
		{EventPerson: meetings.EventPerson{Email: "tom.becker@example.com", Name: "Tom Becker"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPNeedsAction},
		{EventPerson: meetings.EventPerson{Email: "julia.roth@example.com", Name: "Julia Roth"}, Role: meetings.RoleOptional, RSVP: meetings.RSVPDeclined},
		{EventPerson: meetings.EventPerson{Email: "room-berlin-401@example.com", Name: "Room Berlin 4.01"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPAccepted, Resource: true},
		// Facilities is a NON-PARTICIPANT and dropped; IN-PROCESS is no RSVP.
		{EventPerson: meetings.EventPerson{Email: "paul.wagner@example.com", Name: "Paul Wagner"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPNeedsAction},
	}
	if !reflect.DeepEqual(e.Attendees, wantAtt) {
		t.Errorf("Attendees:\n got %+v\nwant %+v", e.Attendees, wantAtt)
	}
	if want := (meetings.EventPerson{Email: "anna.schmidt@example.com", Name: "Anna Schmidt"}); e.Organizer != want {
		t.Errorf("Organizer = %+v", e.Organizer)
	}
	if want := "Bring the updated diagrams.\n\nMicrosoft Teams meeting\nJoin on your computer, mobile app or room device\nhttps://teams.microsoft.com/l/meetup-join/19%3ameeting_abc\n"; e.Description != want {
		t.Errorf("Description = %q (the VALARM's must not leak in)", e.Description)
	}
	if e.Title != "Architecture review" || e.Private {
		t.Errorf("Title %q Private %v", e.Title, e.Private)
	}
	wantRec := []string{`EXDATE;TZID="W. Europe Standard Time":20240328T100000`, "RRULE:FREQ=WEEKLY;UNTIL=20240425T080000Z;INTERVAL=1;BYDAY=TH;WKST=MO"}
	if !reflect.DeepEqual(e.Recurrence, wantRec) {
		t.Errorf("Recurrence = %q", e.Recurrence)
	}

	// "Pacific Standard Time" in March, after the US switch to daylight time.
	salary := cal.Series[1].Events[0]
	if salary.TimeZone != "America/Los_Angeles" || !salary.Start.Equal(utc("2024-03-15T16:00:00Z")) || !salary.Private {
		t.Errorf("CLASS:PRIVATE event: zone %q start %v private %v", salary.TimeZone, salary.Start, salary.Private)
	}
	offsite := cal.Series[2].Events[0]
	if !offsite.AllDay || !offsite.Private || !offsite.Start.Equal(utc("2024-04-15T00:00:00Z")) || !offsite.End.Equal(utc("2024-04-17T00:00:00Z")) {
		t.Errorf("CLASS:CONFIDENTIAL all-day event: %+v", offsite)
	}
	checkUTC(t, review.Events)
}

func TestParseICSApple(t *testing.T) {
	cal := parseFile(t, "apple.ics", march, may)
	if cal.Name != "Work" || len(cal.Series) != 3 {
		t.Fatalf("Name %q, %d series", cal.Name, len(cal.Series))
	}
	plan := cal.Series[0].Events[0]
	if want := "Q2 planning for the platform team. Please read the draft before the meeting; comments go into the doc, not into email.\nDraft: https://docs.example.com/q2-plan"; plan.Description != want {
		t.Errorf("folded Description:\n got %q\nwant %q", plan.Description, want)
	}
	if !plan.Start.Equal(utc("2024-03-21T13:00:00Z")) || !plan.End.Equal(utc("2024-03-21T15:30:00Z")) {
		t.Errorf("Start %v End %v", plan.Start, plan.End)
	}
	// The VALARM's ATTENDEE is not an invitee.
	wantAtt := []meetings.EventAttendee{
		{EventPerson: meetings.EventPerson{Email: "lena.vogel@example.com", Name: "Lena Vogel"}, Role: meetings.RoleSpeaker, RSVP: meetings.RSVPAccepted},
		{EventPerson: meetings.EventPerson{Email: "jonas.berg@example.com", Name: "Jonas Berg"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPTentative},
	}
	if !reflect.DeepEqual(plan.Attendees, wantAtt) {
		t.Errorf("Attendees:\n got %+v\nwant %+v", plan.Attendees, wantAtt)
	}
	if plan.Title != "Quarterly planning" {
		t.Errorf("Title = %q (the VALARM's SUMMARY must not leak in)", plan.Title)
	}

	crit := cal.Series[1].Events[0] // DURATION:PT45M
	if !crit.Start.Equal(utc("2024-04-05T13:00:00Z")) || crit.End.Sub(crit.Start) != 45*time.Minute {
		t.Errorf("DURATION event: %v to %v", crit.Start, crit.End)
	}
	ooo := cal.Series[2].Events[0] // a DATE without DTEND lasts the day
	if !ooo.AllDay || !ooo.Start.Equal(utc("2024-04-22T00:00:00Z")) || !ooo.End.Equal(utc("2024-04-23T00:00:00Z")) {
		t.Errorf("all-day without DTEND: %v to %v, AllDay %v", ooo.Start, ooo.End, ooo.AllDay)
	}
}

func TestParseICSFastmail(t *testing.T) {
	cal := parseFile(t, "fastmail.ics", march, june)
	// 09:00 in Sydney: +11 until the first Sunday of April, +10 after.
	checkInsts(t, cal.Series[0].Events, []inst{
		{"2024-03-03T22:00:00Z", "2024-03-03T22:00:00Z", "Monthly check-in", false},
		{"2024-03-31T22:00:00Z", "2024-03-31T22:00:00Z", "Monthly check-in", false},
		{"2024-05-05T23:00:00Z", "2024-05-05T23:00:00Z", "Monthly check-in", false},
	})
	for _, e := range cal.Series[0].Events {
		if e.TimeZone != "Australia/Sydney" || e.End.Sub(e.Start) != 30*time.Minute {
			t.Errorf("zone %q duration %v", e.TimeZone, e.End.Sub(e.Start))
		}
	}
	// Daily until the 24th (a DATE UNTIL includes the day), less the 22nd, plus an RDATE.
	standup := cal.Series[1].Events
	checkInsts(t, standup, []inst{
		{"2024-05-19T23:15:00Z", "2024-05-19T23:15:00Z", "Launch week stand-up", false},
		{"2024-05-20T23:15:00Z", "2024-05-20T23:15:00Z", "Launch week stand-up", false},
		{"2024-05-22T23:15:00Z", "2024-05-22T23:15:00Z", "Launch week stand-up", false},
		{"2024-05-23T23:15:00Z", "2024-05-23T23:15:00Z", "Launch week stand-up", false},
		{"2024-05-25T00:00:00Z", "2024-05-25T00:00:00Z", "Launch week stand-up", false},
	})
	if d := standup[4].End.Sub(standup[4].Start); d != 15*time.Minute {
		t.Errorf("RDATE instance lasts %v", d)
	}
}

func TestParseICSCustomVTimezone(t *testing.T) {
	cal := parseFile(t, "custom_vtimezone.ics", march, may)
	// No mapping knows this TZID: the VTIMEZONE decides, and TimeZone is UTC.
	checkInsts(t, cal.Series[0].Events, []inst{
		{"2024-03-26T09:00:00Z", "2024-03-26T09:00:00Z", "Afstemming", false},
		{"2024-04-02T08:00:00Z", "2024-04-02T08:00:00Z", "Afstemming", false},
		{"2024-04-09T08:00:00Z", "2024-04-09T08:00:00Z", "Afstemming", false},
	})
	for _, e := range cal.Series[0].Events {
		if e.TimeZone != "UTC" {
			t.Errorf("TimeZone = %q", e.TimeZone)
		}
	}
	// Half-hour offsets, in daylight time (-02:30) since 10 March.
	if e := cal.Series[1].Events[0]; !e.Start.Equal(utc("2024-03-15T12:00:00Z")) || e.TimeZone != "UTC" {
		t.Errorf("Customized Time Zone: %v %q", e.Start, e.TimeZone)
	}
}

// A location built from a VTIMEZONE must agree with the IANA zone it describes.
func TestVTimezoneMatchesIANA(t *testing.T) {
	for _, tc := range []struct {
		iana, rules string
		from, to    int
	}{
		{"Europe/Berlin", `BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
DTSTART:19810329T020000
TZNAME:CEST
TZOFFSETTO:+0200
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
DTSTART:19961027T030000
TZNAME:CET
TZOFFSETTO:+0100
END:STANDARD`, 1997, 2035},
		{"America/Los_Angeles", `BEGIN:STANDARD
DTSTART:16011104T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
TZOFFSETFROM:-0700
TZOFFSETTO:-0800
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010311T020000
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
END:DAYLIGHT`, 2008, 2035},
	} {
		text := "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:Test\n" + tc.rules + "\nEND:VTIMEZONE\nEND:VCALENDAR\n"
		doc, perr := decodeICS([]byte(text))
		if perr != nil {
			t.Fatal(perr)
		}
		loc, perr := buildZone("Test", vtimezone{doc.cals[0].Children[0], doc.index[0].children[0]}, doc.lines, zoneHorizon(time.Time{}))
		if perr != nil {
			t.Fatal(perr)
		}
		want, _ := time.LoadLocation(tc.iana)
		end := time.Date(tc.to, 1, 1, 0, 0, 0, 0, time.UTC)
		for at := time.Date(tc.from, 1, 1, 0, 0, 0, 0, time.UTC); at.Before(end); at = at.Add(30 * time.Minute) {
			_, got := at.In(loc).Zone()
			_, exp := at.In(want).Zone()
			if got != exp {
				t.Fatalf("%s at %v: offset %d, want %d", tc.iana, at, got, exp)
			}
		}
		// And local to UTC, which is what Parse does.
		for _, wall := range [][2]int{{2024, 3}, {2024, 7}, {2030, 11}} {
			l := time.Date(wall[0], time.Month(wall[1]), 15, 10, 0, 0, 0, loc)
			w := time.Date(wall[0], time.Month(wall[1]), 15, 10, 0, 0, 0, want)
			if !l.Equal(w) {
				t.Errorf("%s: 10:00 on %d-%02d-15 is %v, want %v", tc.iana, wall[0], wall[1], l.UTC(), w.UTC())
			}
		}
	}
}

// Overrides count by their original start or their new one, whether or not
// the rule produces the instance they replace.
func TestParseICSOverridesOutsideRule(t *testing.T) {
	override := func(rid, start, title string) []string {
		return []string{
			"BEGIN:VEVENT",
			"UID:weekly@example.com",
			"RECURRENCE-ID;TZID=Europe/Berlin:" + rid,
			"DTSTART;TZID=Europe/Berlin:" + start,
			"DURATION:PT1H",
			"SUMMARY:" + title,
			"END:VEVENT",
		}
	}
	body := []string{
		"BEGIN:VEVENT",
		"UID:weekly@example.com",
		"DTSTART;TZID=Europe/Berlin:20240305T100000",
		"DURATION:PT1H",
		"RRULE:FREQ=WEEKLY;BYDAY=TU",
		"EXDATE;TZID=Europe/Berlin:20240312T100000",
		"SUMMARY:Weekly",
		"END:VEVENT",
	}
	body = append(body, override("20240314T100000", "20240510T100000", "not a Tuesday, moved out")...)
	body = append(body, override("20240312T100000", "20240314T100000", "EXDATEd, still overridden")...)
	body = append(body, override("20240220T100000", "20240301T100000", "moved in")...)
	body = append(body, override("20240227T100000", "20240227T110000", "outside the window")...)
	cal, err := Parse(strings.NewReader(doc(body...)), Options{From: march, To: time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	checkInsts(t, cal.Series[0].Events, []inst{
		{"2024-03-01T09:00:00Z", "2024-02-20T09:00:00Z", "moved in", false},
		{"2024-03-05T09:00:00Z", "2024-03-05T09:00:00Z", "Weekly", false},
		{"2024-03-14T09:00:00Z", "2024-03-12T09:00:00Z", "EXDATEd, still overridden", false},
		{"2024-03-19T09:00:00Z", "2024-03-19T09:00:00Z", "Weekly", false},
		{"2024-05-10T08:00:00Z", "2024-03-14T09:00:00Z", "not a Tuesday, moved out", false},
	})
}

func TestParseICSCancelledSeries(t *testing.T) {
	cal, err := Parse(strings.NewReader(doc(
		"BEGIN:VEVENT",
		"UID:gone@example.com",
		"DTSTART;TZID=Europe/Berlin:20240305T100000",
		"RRULE:FREQ=WEEKLY;COUNT=3",
		"STATUS:CANCELLED",
		"SUMMARY:Gone",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:gone@example.com",
		"RECURRENCE-ID;TZID=Europe/Berlin:20240312T100000",
		"DTSTART;TZID=Europe/Berlin:20240312T120000",
		"STATUS:CONFIRMED",
		"SUMMARY:Gone (moved)",
		"END:VEVENT",
	)), Options{From: march, To: may})
	if err != nil {
		t.Fatal(err)
	}
	checkInsts(t, cal.Series[0].Events, []inst{
		{"2024-03-05T09:00:00Z", "2024-03-05T09:00:00Z", "Gone", true},
		{"2024-03-12T11:00:00Z", "2024-03-12T09:00:00Z", "Gone (moved)", true},
		{"2024-03-19T09:00:00Z", "2024-03-19T09:00:00Z", "Gone", true},
	})
}

func TestParseICSDuplicateUsesHighestSequence(t *testing.T) {
	ev := func(seq, title string) string {
		return "BEGIN:VEVENT\r\nUID:dup@example.com\r\nSEQUENCE:" + seq + "\r\nDTSTART:20240312T100000Z\r\nSUMMARY:" + title + "\r\nEND:VEVENT\r\n"
	}
	for _, order := range [][2]string{{"1", "0"}, {"0", "1"}} {
		text := "BEGIN:VCALENDAR\r\n" + ev(order[0], "v"+order[0]) + ev(order[1], "v"+order[1]) + "END:VCALENDAR\r\n"
		cal, err := Parse(strings.NewReader(text), Options{From: march, To: may})
		if err != nil {
			t.Fatal(err)
		}
		if len(cal.Series) != 1 || len(cal.Series[0].Events) != 1 || cal.Series[0].Events[0].Title != "v1" {
			t.Errorf("order %v: %+v", order, cal.Series)
		}
	}
}

func TestParseICSByteOrderMarkAndLF(t *testing.T) {
	text := "\uFEFFBEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20240312T100000Z\nSUMMARY:Long\n  title\nEND:VEVENT\nEND:VCALENDAR"
	cal, err := Parse(strings.NewReader(text), Options{From: march, To: may})
	if err != nil {
		t.Fatal(err)
	}
	if e := cal.Series[0].Events[0]; e.Title != "Long title" || e.End != e.Start {
		t.Errorf("got %+v", e)
	}
}

func TestParseICSEmptyWindow(t *testing.T) {
	_, err := Parse(strings.NewReader("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), Options{From: may, To: march})
	var perr *ParseError
	if err == nil || errors.As(err, &perr) {
		t.Errorf("err = %v, want a non-ParseError", err)
	}
}

func TestParseErrorError(t *testing.T) {
	err := &ParseError{Line: 12, Reason: `DTSTART: cannot parse "2024-13-01" as a date-time`}
	if got, want := err.Error(), `line 12: DTSTART: cannot parse "2024-13-01" as a date-time`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// doc wraps body lines in a calendar: body[0] is line 4.
func doc(body ...string) string {
	lines := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//meetingd//test//EN"}, body...)
	return strings.Join(append(lines, "END:VCALENDAR"), "\r\n") + "\r\n"
}

// parseErrorTests are malformed files and where Parse must say they are.
var parseErrorTests = []struct {
	name    string
	input   string
	line    int
	mention string // the reason must contain it
}{
	{"empty input", "", 1, "empty"},
	{"blank lines only", "\r\n\r\n  \r\n", 1, "BEGIN:VCALENDAR"},
	{"no VCALENDAR", "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240312T100000Z\r\nEND:VEVENT\r\n", 1, "BEGIN:VCALENDAR"},
	{"folded line at the start", " BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", 1, "malformed"},
	{"garbage line", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"this is not a content line",
		"DTSTART:20240312T100000Z",
		"END:VEVENT"), 6, "malformed"},
	{"continuation that lost its indent", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"DESCRIPTION:Agenda",
		"see the doc: https://docs.example.com",
		"END:VEVENT"), 8, "malformed"},
	{"BEGIN without END (truncated)", strings.Join([]string{
		"BEGIN:VCALENDAR",
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:b",
		"DTSTART:20240313T100000Z"}, "\r\n"), 6, "BEGIN:VEVENT"},
	{"BEGIN without END before the next component", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"BEGIN:VEVENT",
		"UID:b",
		"DTSTART:20240313T100000Z",
		"END:VEVENT"), 4, "END:VEVENT"},
	{"END without BEGIN", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"END:VTODO",
		"END:VEVENT"), 7, "END:VTODO"},
	{"content after END:VCALENDAR", doc() + "X-TRAILER:oops\r\n", 5, "after END:VCALENDAR"},
	{"no UID", doc(
		"BEGIN:VEVENT",
		"DTSTART:20240312T100000Z",
		"SUMMARY:Who am I",
		"END:VEVENT"), 4, "UID"},
	{"no DTSTART", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"SUMMARY:When am I",
		"END:VEVENT"), 4, "DTSTART"},
	{"bad DTSTART after folded lines", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DESCRIPTION:A description long enough to be folded by the expor",
		" ter over three physical lines of the file, which must count as",
		" three lines and not one.",
		"DTSTART:2024-13-01",
		"END:VEVENT"), 9, `DTSTART: cannot parse "2024-13-01" as a date-time`},
	{"bad DTSTART continuing a blank line", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"",
		" DTSTART:2024-13-01",
		"END:VEVENT"), 7, "DTSTART"},
	{"DTSTART month 13", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;TZID=Europe/Berlin:20241301T100000",
		"END:VEVENT"), 6, "DTSTART"},
	{"bad DATE", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;VALUE=DATE:20240312T100000",
		"END:VEVENT"), 6, "DTSTART"},
	{"bad DTEND", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"DTEND:tomorrow",
		"END:VEVENT"), 7, "DTEND"},
	{"DTEND before DTSTART", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;TZID=Europe/Berlin:20240312T100000",
		"DTEND;TZID=Europe/Berlin:20240312T090000",
		"END:VEVENT"), 7, "DTEND"},
	{"bad DURATION", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"DURATION:PT1X",
		"END:VEVENT"), 7, "DURATION"},
	{"negative DURATION", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"DURATION:-PT1H",
		"END:VEVENT"), 7, "DURATION"},
	{"bad RECURRENCE-ID", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"RECURRENCE-ID:20240312T1000",
		"DTSTART:20240312T100000Z",
		"END:VEVENT"), 6, "RECURRENCE-ID"},
	{"bad EXDATE in a list", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=DAILY",
		"EXDATE:20240313T100000Z,2024031T100000Z",
		"END:VEVENT"), 8, "EXDATE"},
	{"bad RDATE", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RDATE;VALUE=DATE:2024-03-20",
		"END:VEVENT"), 7, "RDATE"},
	{"invalid RRULE frequency", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=FORTNIGHTLY",
		"END:VEVENT"), 7, "RRULE"},
	{"invalid RRULE weekday", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=WEEKLY;BYDAY=XX",
		"END:VEVENT"), 7, "RRULE"},
	{"RRULE out of bounds", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=MONTHLY;BYMONTHDAY=32",
		"END:VEVENT"), 7, "RRULE"},
	{"unbounded FREQ=SECONDLY", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=SECONDLY",
		"END:VEVENT"), 7, "RRULE: more than 5000 instances"},
	{"FREQ=HOURLY from long before the window", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20000101T100000Z",
		"RRULE:FREQ=HOURLY",
		"END:VEVENT"), 7, "RRULE: more than 200000 occurrences"},
	{"sub-daily rule whose hours never come", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=HOURLY;INTERVAL=24;BYHOUR=3",
		"END:VEVENT"), 7, "RRULE"},
	{"sub-daily rule whose dates never come", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=SECONDLY;BYHOUR=3;BYMONTH=4;BYMONTHDAY=31",
		"END:VEVENT"), 7, "RRULE"},
	{"sub-daily BYSETPOS", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=MINUTELY;BYSETPOS=2",
		"END:VEVENT"), 7, "RRULE"},
	{"huge INTERVAL", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000Z",
		"RRULE:FREQ=MONTHLY;INTERVAL=9223372036854775807",
		"END:VEVENT"), 7, "INTERVAL"},
	{"unknown TZID", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;TZID=Mars/Olympus_Mons:20240312T100000",
		"END:VEVENT"), 6, `DTSTART: unknown TZID "Mars/Olympus_Mons"`},
	{"unknown TZID on EXDATE", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;TZID=Europe/Berlin:20240312T100000",
		"RRULE:FREQ=WEEKLY",
		"EXDATE;TZID=Central Mars Time:20240319T100000",
		"END:VEVENT"), 8, "EXDATE"},
	{"unterminated quoted parameter", doc(
		"BEGIN:VEVENT",
		"UID:a",
		`DTSTART;TZID="Europe/Berlin:20240312T100000`,
		"END:VEVENT"), 6, "DTSTART"},
	{"parameters without a value", doc(
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;TZID=Europe/Berlin",
		"END:VEVENT"), 6, "DTSTART"},
	{"broken VTIMEZONE in use", doc(
		"BEGIN:VTIMEZONE",
		"TZID:Customized Time Zone",
		"BEGIN:STANDARD",
		"DTSTART:16010101T000000",
		"TZOFFSETFROM:+0100",
		"TZOFFSETTO:one hour",
		"END:STANDARD",
		"END:VTIMEZONE",
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;TZID=Customized Time Zone:20240312T100000",
		"END:VEVENT"), 9, "TZOFFSETTO"},
	{"unknown X-WR-TIMEZONE with a floating time", doc(
		"X-WR-TIMEZONE:Atlantis/Capital",
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART:20240312T100000",
		"END:VEVENT"), 4, "X-WR-TIMEZONE"},
}

func TestParseICSErrors(t *testing.T) {
	for _, tc := range parseErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			cal, err := Parse(strings.NewReader(tc.input), Options{From: march, To: may})
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("got error %v (calendar %t), want a *ParseError", err, cal != nil)
			}
			if perr.Line != tc.line || !strings.Contains(perr.Reason, tc.mention) {
				t.Errorf("got %q, want line %d mentioning %q", perr, tc.line, tc.mention)
			}
		})
	}
}

// An unknown X-WR-TIMEZONE is harmless when no time is floating.
func TestParseICSUnknownXWRTimezoneUnused(t *testing.T) {
	_, err := Parse(strings.NewReader(doc(
		"X-WR-TIMEZONE:Atlantis/Capital",
		"BEGIN:VEVENT",
		"UID:a",
		"DTSTART;TZID=Europe/Berlin:20240312T100000",
		"END:VEVENT")), Options{From: march, To: may})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExpand(t *testing.T) {
	master := meetings.Event{
		SeriesUID: "api-1",
		Title:     "Platform weekly",
		Start:     utc("2024-03-12T09:00:00Z"),
		End:       utc("2024-03-12T10:00:00Z"),
		TimeZone:  "Europe/Berlin",
		Attendees: []meetings.EventAttendee{{EventPerson: meetings.EventPerson{Email: "a@example.com"}, Role: meetings.RoleRequired}},
	}
	got, err := Expand(master, []string{
		"RRULE:FREQ=WEEKLY;BYDAY=TU",
		"EXDATE;TZID=Europe/Berlin:20240402T100000",
		"EXDATE:20240416T100000", // floating: in the master's zone
		"RDATE;TZID=Europe/Berlin:20240418T170000",
	}, march, may)
	if err != nil {
		t.Fatal(err)
	}
	checkInsts(t, got, []inst{
		{"2024-03-12T09:00:00Z", "2024-03-12T09:00:00Z", "Platform weekly", false},
		{"2024-03-19T09:00:00Z", "2024-03-19T09:00:00Z", "Platform weekly", false},
		{"2024-03-26T09:00:00Z", "2024-03-26T09:00:00Z", "Platform weekly", false},
		{"2024-04-09T08:00:00Z", "2024-04-09T08:00:00Z", "Platform weekly", false},
		{"2024-04-18T15:00:00Z", "2024-04-18T15:00:00Z", "Platform weekly", false},
		{"2024-04-23T08:00:00Z", "2024-04-23T08:00:00Z", "Platform weekly", false},
		{"2024-04-30T08:00:00Z", "2024-04-30T08:00:00Z", "Platform weekly", false},
	})
	checkUTC(t, got)
	for _, e := range got {
		if e.End.Sub(e.Start) != time.Hour || e.SeriesUID != "api-1" || e.TimeZone != "Europe/Berlin" || len(e.Attendees) != 1 {
			t.Errorf("instance is not a copy of the master: %+v", e)
		}
	}

	t.Run("all-day", func(t *testing.T) {
		allDay := meetings.Event{SeriesUID: "d", AllDay: true, Start: utc("2024-03-01T00:00:00Z"), End: utc("2024-03-02T00:00:00Z"), TimeZone: "UTC"}
		got, err := Expand(allDay, []string{"RRULE:FREQ=MONTHLY;BYMONTHDAY=1;COUNT=4", "EXDATE;VALUE=DATE:20240401"}, march, june)
		if err != nil {
			t.Fatal(err)
		}
		checkInsts(t, got, []inst{
			{"2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z", "", false},
			{"2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z", "", false},
		})
	})
	t.Run("no rule", func(t *testing.T) {
		got, err := Expand(master, nil, march, may)
		if err != nil || len(got) != 1 || !got[0].RecurrenceID.IsZero() {
			t.Errorf("got %+v, %v; want the master alone", got, err)
		}
	})
	for _, tc := range []struct {
		name   string
		master meetings.Event
		rules  []string
		from   time.Time
		want   string
	}{
		{"bare rule", master, []string{"FREQ=WEEKLY"}, march, "RRULE"},
		{"invalid rule", master, []string{"RRULE:FREQ=NEVER"}, march, "RRULE"},
		{"two lines in one", master, []string{"RRULE:FREQ=DAILY\r\nEXDATE:20240313T100000"}, march, "RRULE"},
		{"bad EXDATE", master, []string{"RRULE:FREQ=DAILY", "EXDATE:yesterday"}, march, "EXDATE"},
		{"too many", master, []string{"RRULE:FREQ=MINUTELY"}, march, "5000"},
		{"unknown zone", meetings.Event{Start: master.Start, End: master.End, TimeZone: "Mars/Olympus_Mons"}, []string{"RRULE:FREQ=DAILY"}, march, "Mars/Olympus_Mons"},
		{"empty window", master, []string{"RRULE:FREQ=DAILY"}, may, "window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Expand(tc.master, tc.rules, tc.from, may)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// Expand and Parse must agree on a series' original starts.
func TestExpandMatchesParseICS(t *testing.T) {
	cal := parseFile(t, "google.ics", march, may)
	weekly := cal.Series[0]
	var master meetings.Event
	for _, e := range weekly.Events {
		if e.Start.Equal(utc("2024-03-12T09:00:00Z")) {
			master = e
		}
	}
	got, err := Expand(master, master.Recurrence, march, may)
	if err != nil {
		t.Fatal(err)
	}
	var fromParse, fromExpand []string
	for _, e := range weekly.Events {
		fromParse = append(fromParse, e.RecurrenceID.Format(time.RFC3339))
	}
	for _, e := range got {
		fromExpand = append(fromExpand, e.RecurrenceID.Format(time.RFC3339))
	}
	// Parse sorts by (moved) start; compare as sets.
	if !sameSet(fromParse, fromExpand) {
		t.Errorf("Parse %q, Expand %q", fromParse, fromExpand)
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestWindowsZones(t *testing.T) {
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("%q maps to %q: %v", win, iana, err)
		}
	}
	for win, want := range map[string]string{
		"W. Europe Standard Time":               "Europe/Berlin",
		"Pacific Standard Time":                 "America/Los_Angeles",
		"Eastern Standard Time":                 "America/New_York",
		"GMT Standard Time":                     "Europe/London",
		"Romance Standard Time":                 "Europe/Paris",
		"Central Europe Standard Time":          "Europe/Budapest",
		"India Standard Time":                   "Asia/Kolkata",
		"Tokyo Standard Time":                   "Asia/Tokyo",
		"AUS Eastern Standard Time":             "Australia/Sydney",
		"Central Standard Time":                 "America/Chicago",
		"Mountain Standard Time":                "America/Denver",
		"China Standard Time":                   "Asia/Shanghai",
		"Singapore Standard Time":               "Asia/Singapore",
		"E. South America Standard Time":        "America/Sao_Paulo",
		"UTC":                                   "UTC",
		"w. europe standard time":               "Europe/Berlin", // case varies between exporters
		"/Europe/Berlin":                        "Europe/Berlin",
		"/mozilla.org/20050126_1/Europe/Berlin": "Europe/Berlin",
	} {
		z, ok := lookupZone(win)
		if !ok || z.name != want {
			t.Errorf("lookupZone(%q) = %q, %v; want %q", win, z.name, ok, want)
		}
	}
	if _, ok := lookupZone("Local"); ok {
		t.Error(`"Local" must not resolve to the host's zone`)
	}
}
