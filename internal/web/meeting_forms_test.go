package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// weekly is the new-meeting form of a weekly meeting ana organizes, on
// Tuesday 10 November 2026 at 09:30 in Berlin (08:30 UTC).
func weekly() url.Values {
	return url.Values{"title": {"Planning"}, "date": {"2026-11-10"}, "time": {"09:30"}, "duration": {"45"},
		"zone": {"Europe/Berlin"}, "repeat": {"weekly"}, "attendees": {"ben@example.com, required\ncy@example.com, speaker"},
		"private": {"1"}}
}

var meetingRedirect = regexp.MustCompile(`^/meetings/(\d+)\?done=`)

// createMeeting creates a meeting through the form as c and returns its
// first occurrence.
func (ta *testApp) createMeeting(t *testing.T, c *http.Client, form url.Values) int64 {
	t.Helper()
	code, body, loc := ta.submit(t, c, "/meetings/new", form)
	m := meetingRedirect.FindStringSubmatch(loc)
	if code != 303 || m == nil {
		t.Fatalf("create meeting: %d %q\n%s", code, loc, body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func TestNewMeetingFormCreatesAMeetingInMyZone(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.inZone(t, "ana@example.com", "Europe/Berlin")
	ana := ta.signIn(t, "ana@example.com")
	code, body := ta.page(t, ana, "/meetings/new")
	if code != 200 || !strings.Contains(body, `value="Europe/Berlin"`) {
		t.Fatalf("new meeting page: %d, zone not prefilled with mine:\n%s", code, body)
	}
	for _, id := range []string{"title", "date", "time", "duration", "zone", "repeat", "rrule", "attendees", "private"} {
		if !strings.Contains(body, `<label for="`+id+`"`) {
			t.Errorf("field %s has no label", id)
		}
	}
	occ := ta.createMeeting(t, ana, weekly())
	var start time.Time
	ta.DB.Get(&start, ta.DB.Rebind(`SELECT starts_at FROM occurrences WHERE id = ?`), occ)
	if want := time.Date(2026, 11, 10, 8, 30, 0, 0, time.UTC); !start.Equal(want) {
		t.Errorf("first occurrence starts %s, want %s (09:30 in Berlin)", start.UTC(), want)
	}
	if n := ta.count(t, `SELECT COUNT(*) FROM occurrences WHERE cancelled = FALSE`); n < 20 {
		t.Errorf("a weekly meeting has %d occurrences within the horizon", n)
	}
	var rec string
	var private bool
	ta.DB.QueryRow(`SELECT recurrence, private FROM series`).Scan(&rec, &private)
	if rec != "RRULE:FREQ=WEEKLY" || !private {
		t.Errorf("series: recurrence %q, private %v", rec, private)
	}
	roles := map[string]string{}
	rows, _ := ta.DB.Query(ta.DB.Rebind(`SELECT p.email, a.role FROM attendees a JOIN people p ON p.id = a.person_id WHERE a.occurrence_id = ?`), occ)
	for rows.Next() {
		var e, r string
		rows.Scan(&e, &r)
		roles[e] = r
	}
	rows.Close()
	// ben's role is the policy's (optional by default); a speaker stays one.
	if roles["ana@example.com"] != "organizer" || roles["ben@example.com"] == "" || roles["cy@example.com"] != "speaker" {
		t.Errorf("attendees: %v", roles)
	}
	if _, body := ta.page(t, ana, fmt.Sprintf("/meetings/%d", occ)); !strings.Contains(body, "Planning") || !strings.Contains(body, `id="edit-meeting"`) {
		t.Errorf("the organizer's meeting page has no edit link")
	}
}

// Each repeat choice becomes its rule; a custom one is taken with or
// without "RRULE:".
func TestNewMeetingFormRepeats(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ana@example.com")
	ana := ta.signIn(t, "ana@example.com")
	for repeat, want := range map[string]string{"": "", "daily": "RRULE:FREQ=DAILY", "biweekly": "RRULE:FREQ=WEEKLY;INTERVAL=2",
		"monthly": "RRULE:FREQ=MONTHLY", "custom": "RRULE:FREQ=WEEKLY;BYDAY=MO,TH"} {
		f := weekly()
		f.Set("title", "Repeat "+repeat)
		f.Set("repeat", repeat)
		f.Set("rrule", "FREQ=WEEKLY;BYDAY=MO,TH")
		ta.createMeeting(t, ana, f)
		var rec string
		ta.DB.Get(&rec, ta.DB.Rebind(`SELECT recurrence FROM series WHERE title = ?`), "Repeat "+repeat)
		if rec != want {
			t.Errorf("repeat %q: rule %q, want %q", repeat, rec, want)
		}
	}
}

// Bad input comes back with a message beside its field and what was
// typed, as 400, and stores nothing.
func TestNewMeetingFormRefusesBadInput(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ana@example.com")
	ana := ta.signIn(t, "ana@example.com")
	cases := []struct {
		name, field, value, errID, says string
	}{
		{"ends before it starts", "duration", "-30", "duration-error", "must end after it starts"},
		{"no duration", "duration", "0", "duration-error", "must end after it starts"},
		{"unknown zone", "zone", "Mars/Olympus", "zone-error", "not a time zone"},
		{"no attendees", "attendees", "", "attendees-error", "Invite at least one person"},
		{"only me", "attendees", "ana@example.com, speaker", "attendees-error", "Invite at least one person"},
		{"bad attendee", "attendees", "ben@example.com\nbob", "attendees-error", "line 2: &#34;bob&#34; is not an email address"},
		{"bad role", "attendees", "ben@example.com, boss", "attendees-error", "role &#34;boss&#34;"},
		{"no title", "title", "  ", "title-error", "Give the meeting a title"},
		{"bad date", "date", "10/11/2026", "start-error", "YYYY-MM-DD"},
		{"too far back", "date", "2020-01-01", "start-error", "not within a year back"},
		{"bad custom rule", "rrule", "FREQ=SOMETIMES", "repeat-error", "recurrence"},
	}
	before := ta.formStore(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := weekly()
			f.Set(c.field, c.value)
			if c.field == "rrule" {
				f.Set("repeat", "custom")
			}
			code, body, _ := ta.submit(t, ana, "/meetings/new", f)
			msg := regexp.MustCompile(`<span class="error" id="` + c.errID + `">([^<]*)</span>`).FindStringSubmatch(body)
			if code != 400 || msg == nil || !strings.Contains(msg[1], c.says) {
				t.Fatalf("%d; want 400 and %q beside the field (%s):\n%s", code, c.says, c.errID, body)
			}
			if c.field != "title" && !strings.Contains(body, `value="Planning"`) || !strings.Contains(body, "cy@example.com, speaker") && c.field != "attendees" {
				t.Errorf("the form did not come back with what was typed")
			}
		})
	}
	if after := ta.formStore(t); after != before {
		t.Errorf("refused forms stored something:\nbefore %s\nafter  %s", before, after)
	}
}

func TestEditMeetingForm(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ana@example.com")
	ana := ta.signIn(t, "ana@example.com")
	occ := ta.createMeeting(t, ana, weekly())
	path := fmt.Sprintf("/meetings/%d/edit", occ)
	code, body := ta.page(t, ana, path)
	if code != 200 || !strings.Contains(body, `value="Planning"`) || !strings.Contains(body, "cy@example.com, speaker") ||
		!strings.Contains(body, `value="09:30"`) || !strings.Contains(body, `value="45"`) {
		t.Fatalf("edit page: %d, not prefilled:\n%s", code, body)
	}
	f := weekly()
	f.Set("title", "Planning v2")
	f.Set("time", "09:30")
	f.Set("duration", "60")
	f.Set("attendees", "ben@example.com, optional\ndee@example.com")
	code, body, loc := ta.submit(t, ana, path, f)
	if code != 303 || loc != fmt.Sprintf("/meetings/%d?done=saved", occ) {
		t.Fatalf("edit: %d %q\n%s", code, loc, body)
	}
	var title string
	var start, end time.Time
	ta.DB.QueryRow(ta.DB.Rebind(`SELECT title, starts_at, ends_at FROM occurrences WHERE id = ?`), occ).Scan(&title, &start, &end)
	if title != "Planning v2" || end.Sub(start) != time.Hour {
		t.Errorf("after the edit: %q lasting %s", title, end.Sub(start))
	}
	if n := ta.count(t, `SELECT COUNT(*) FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND p.email = 'cy@example.com' AND a.removed = FALSE`, occ); n != 0 {
		t.Errorf("cy is still invited after the edit removed her")
	}
	if n := ta.count(t, `SELECT COUNT(*) FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND p.email = 'dee@example.com'`, occ); n != 1 {
		t.Errorf("dee was not invited by the edit")
	}
	// Bad input on the edit form: refused beside the field, nothing changed.
	before := ta.formStore(t)
	f.Set("duration", "0")
	if code, body, _ := ta.submit(t, ana, path, f); code != 400 || !strings.Contains(body, `id="duration-error"`) {
		t.Errorf("edit with no duration: %d", code)
	}
	f.Set("duration", "60")
	f.Set("zone", "Nowhere/Atlantis")
	if code, body, _ := ta.submit(t, ana, path, f); code != 400 || !strings.Contains(body, `id="zone-error"`) {
		t.Errorf("edit with an unknown zone: %d", code)
	}
	if after := ta.formStore(t); after != before {
		t.Errorf("refused edits stored something:\nbefore %s\nafter  %s", before, after)
	}
}

// Only the organizer may edit or cancel: an attendee is refused (403),
// someone not invited is told the meeting does not exist (404), and
// neither changes anything.
func TestOnlyTheOrganizerEditsOrCancels(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ana@example.com")
	ana := ta.signIn(t, "ana@example.com")
	occ := ta.createMeeting(t, ana, weekly())
	ben := ta.signIn(t, "ben@example.com")
	ta.Person("zed@example.com")
	zed := ta.signIn(t, "zed@example.com")
	if _, body := ta.page(t, ben, fmt.Sprintf("/meetings/%d", occ)); strings.Contains(body, `id="edit-meeting"`) || strings.Contains(body, `id="cancel-series"`) {
		t.Errorf("an attendee's meeting page offers edit or cancel")
	}
	before := ta.formStore(t)
	for who, c := range map[string]struct {
		client *http.Client
		status int
	}{"attendee": {ben, 403}, "stranger": {zed, 404}} {
		cl := c.client
		if code, _ := ta.page(t, cl, fmt.Sprintf("/meetings/%d/edit", occ)); code != c.status {
			t.Errorf("%s opened the edit form: %d, want %d", who, code, c.status)
		}
		f := weekly()
		f.Set("title", "Hijacked")
		if code, _, _ := ta.submit(t, cl, fmt.Sprintf("/meetings/%d/edit", occ), f); code != c.status {
			t.Errorf("%s edited: %d, want %d", who, code, c.status)
		}
		for _, scope := range []string{"occurrence", "series"} {
			if code, _, _ := ta.submit(t, cl, fmt.Sprintf("/meetings/%d/cancel", occ), url.Values{"scope": {scope}}); code != c.status {
				t.Errorf("%s cancelled the %s: %d, want %d", who, scope, code, c.status)
			}
		}
	}
	if after := ta.formStore(t); after != before {
		t.Errorf("refused changes stored something:\nbefore %s\nafter  %s", before, after)
	}
}

func TestCancelOneOccurrenceOrTheSeries(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ana@example.com")
	ana := ta.signIn(t, "ana@example.com")
	first := ta.createMeeting(t, ana, weekly())
	var second int64
	ta.DB.Get(&second, ta.DB.Rebind(`SELECT id FROM occurrences WHERE id <> ? ORDER BY starts_at LIMIT 1`), first)
	total := ta.count(t, `SELECT COUNT(*) FROM occurrences`)
	code, _, loc := ta.submit(t, ana, fmt.Sprintf("/meetings/%d/cancel", second), url.Values{"scope": {"occurrence"}})
	if code != 303 || loc != fmt.Sprintf("/meetings/%d?done=cancelled", second) {
		t.Fatalf("cancel one: %d %q", code, loc)
	}
	if n := ta.count(t, `SELECT COUNT(*) FROM occurrences WHERE cancelled = TRUE`); n != 1 ||
		ta.count(t, `SELECT COUNT(*) FROM occurrences WHERE cancelled = TRUE AND id = ?`, second) != 1 {
		t.Fatalf("after cancelling one occurrence, %d are cancelled", n)
	}
	var data string
	ta.DB.Get(&data, `SELECT data FROM local_events`)
	if !strings.Contains(data, "EXDATE:20261117T083000Z") {
		t.Errorf("the event has no EXDATE for the cancelled occurrence: %s", data)
	}
	// A later change to the series keeps it cancelled.
	f := weekly()
	f.Set("title", "Planning v2")
	if code, _, _ := ta.submit(t, ana, fmt.Sprintf("/meetings/%d/edit", first), f); code != 303 {
		t.Fatalf("edit: %d", code)
	}
	if ta.count(t, `SELECT COUNT(*) FROM occurrences WHERE cancelled = TRUE AND id = ?`, second) != 1 {
		t.Errorf("editing the series brought the cancelled occurrence back")
	}
	// Twice is refused.
	if code, _, _ := ta.submit(t, ana, fmt.Sprintf("/meetings/%d/cancel", second), url.Values{"scope": {"occurrence"}}); code != 409 {
		t.Errorf("cancelling a cancelled occurrence: %d", code)
	}
	if code, _, _ := ta.submit(t, ana, fmt.Sprintf("/meetings/%d/cancel", first), url.Values{"scope": {"series"}}); code != 303 {
		t.Fatalf("cancel series: %d", code)
	}
	if n := ta.count(t, `SELECT COUNT(*) FROM occurrences WHERE cancelled = TRUE`); n != total {
		t.Errorf("after cancelling the series, %d of %d occurrences are cancelled", n, total)
	}
}

// Meetings from other calendars are changed where they come from.
func TestImportedMeetingsAreNotEditedHere(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ops := ta.Token("ops@example.com")
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261110T100000Z\r\nDTEND:20261110T110000Z\r\n" +
		"SUMMARY:Review\r\nORGANIZER:mailto:ana@example.com\r\nATTENDEE:mailto:ben@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if code := ta.Call("POST", "/api/v1/import?name=team", ops, "text/calendar", ics, nil); code != 202 {
		t.Fatalf("import: %d", code)
	}
	ta.RunDue()
	var occ int64
	ta.DB.Get(&occ, `SELECT id FROM occurrences`)
	ana := ta.signIn(t, "ana@example.com")
	if _, body := ta.page(t, ana, fmt.Sprintf("/meetings/%d", occ)); strings.Contains(body, `id="edit-meeting"`) {
		t.Errorf("an imported meeting's page offers the edit form")
	}
	if code, _ := ta.page(t, ana, fmt.Sprintf("/meetings/%d/edit", occ)); code != 409 {
		t.Errorf("edit form of an imported meeting: %d", code)
	}
}
