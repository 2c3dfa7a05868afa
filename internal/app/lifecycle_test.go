package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/mailtest"
	"meetingd/internal/web/webtest"
	"meetingd/meetings"
)

// Monday 12 October 2026, 06:00 UTC: ten days before the weekly sync starts.
var octT0 = time.Date(2026, 10, 12, 6, 0, 0, 0, time.UTC)

func importFile(t *testing.T, ta *testApp, path string) meetings.SyncResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ta.Calendar.Import(context.Background(), f, "team", nil)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return res
}

type occRow struct {
	ID       int64     `db:"id"`
	UID      string    `db:"uid"`
	Title    string    `db:"title"`
	StartsAt time.Time `db:"starts_at"`
	State    string    `db:"pre_read_state"`
	Due      time.Time `db:"pre_read_due_at"`
}

func occurrences(t *testing.T, ta *testApp) []occRow {
	t.Helper()
	var rows []occRow
	err := ta.DB.Select(&rows, `SELECT o.id, s.uid, o.title, o.starts_at, o.pre_read_state, o.pre_read_due_at
		FROM occurrences o JOIN series s ON s.id = o.series_id WHERE o.cancelled = FALSE ORDER BY o.starts_at`)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func subjects(ms []mailtest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// TestLifecycleEndToEnd runs the whole lifecycle of SPEC.md on the embedded
// default with mail going to a real SMTP server on loopback.
func TestLifecycleEndToEnd(t *testing.T) {
	smtp := mailtest.Start(t)
	// The team is in Berlin: its operator makes that the zone of people who
	// have not set their own.
	ta := webtest.New(t, octT0, apptest.SMTP(smtp.URL()), apptest.Config(func(c *app.Config) { c.TimeZone = "Europe/Berlin" }))

	// Discovered: a weekly series in Berlin time, across the end of summer
	// time, with one instance moved and one excluded; a single meeting; an
	// all-day event that is not a meeting.
	res := importFile(t, ta, "testdata/team.ics")
	if res.Created != 6 || res.Skipped != 1 {
		t.Fatalf("import: %+v, want 6 created (5 weekly + 1 review) and 1 skipped (all-day)", res)
	}
	occs := occurrences(t, ta)
	var starts []string
	for _, o := range occs {
		starts = append(starts, o.StartsAt.Format("Jan 02 15:04"))
	}
	want := "Oct 22 08:00,Oct 23 16:00,Oct 30 14:00,Nov 12 09:00,Nov 19 09:00,Nov 26 09:00"
	if got := strings.Join(starts, ","); got != want {
		t.Fatalf("occurrences start (UTC) at\n%s\nwant\n%s", got, want)
	}
	sync, review := occs[0], occs[1]

	// Re-importing the same file changes nothing and duplicates nothing.
	if res := importFile(t, ta, "testdata/team.ics"); res.Created != 0 {
		t.Fatalf("re-import created %d", res.Created)
	}

	// One notes doc for the series, with a section per occurrence.
	var docs int
	ta.DB.Get(&docs, `SELECT COUNT(*) FROM notes_docs d JOIN series s ON s.id = d.series_id WHERE s.uid = 'weekly-sync@example.com'`)
	if docs != 1 {
		t.Fatalf("%d notes docs for the weekly series, want 1", docs)
	}

	// Reminders to the organizer at 72h and 48h before the start.
	ta.At(sync.StartsAt.Add(-72 * time.Hour))
	ta.At(sync.StartsAt.Add(-48 * time.Hour))
	reminders := smtp.To("ana@example.com")
	if len(reminders) != 2 || !strings.HasPrefix(reminders[0].Subject, "Pre-read needed: Weekly team sync") {
		t.Fatalf("ana got %q, want two pre-read reminders", subjects(reminders))
	}
	if len(smtp.To("ben@example.com")) != 0 {
		t.Fatalf("reminders went to attendees too")
	}
	if reminders[0].HTML == "" || reminders[0].Text == "" {
		t.Fatalf("reminder is not multipart text and HTML")
	}
	// Times are shown in the reader's zone: 10:00 in Berlin.
	if !strings.Contains(reminders[0].Text, "Thu 22 Oct 2026, 10:00 CEST") {
		t.Fatalf("reminder does not show the start in Berlin time:\n%s", reminders[0].Text)
	}

	// The notes doc link in the reminder opens the doc, with its sections.
	var notesURL, publishURL string
	for _, l := range linkRE.FindAllString(reminders[1].Text, -1) {
		switch {
		case strings.Contains(l, "/notes/"):
			notesURL = l
		case strings.Contains(l, "/publish?"):
			publishURL = l
		}
	}
	if notesURL == "" || publishURL == "" {
		t.Fatalf("reminder lacks notes or publish link:\n%s", reminders[1].Text)
	}
	resp, err := http.Get(notesURL)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(resp)
	if resp.StatusCode != 200 {
		t.Fatalf("notes doc: %d %s", resp.StatusCode, page)
	}
	for _, h := range []string{"Attendees", "Pre-read", "Agenda", "Notes", "Decisions", "Action items", "Ana Lima (organizer)", "Chen Wei (optional)"} {
		if !strings.Contains(page, h) {
			t.Errorf("notes doc lacks %q", h)
		}
	}
	if strings.Index(page, "Thu 26 Nov") > strings.Index(page, "Thu 22 Oct") {
		t.Errorf("notes doc sections are not newest first")
	}

	// Publish through the signed link: the GET only asks, the POST acts.
	resp, _ = http.Get(publishURL)
	if body := readAll(resp); resp.StatusCode != 200 || !strings.Contains(body, "Publish to all attendees") {
		t.Fatalf("publish page: %d %s", resp.StatusCode, body)
	}
	if s := occurrences(t, ta)[0].State; s != meetings.PreReadPending {
		t.Fatalf("GET of the publish link acted: %s", s)
	}
	u, _ := url.Parse(publishURL)
	resp, _ = http.PostForm(ta.URL+"/publish", url.Values{"t": {u.Query().Get("t")},
		"pre_read": {"Read the Q4 roadmap draft: https://docs.example.com/roadmap"}})
	if resp.StatusCode != 200 {
		t.Fatalf("publish: %d %s", resp.StatusCode, readAll(resp))
	}
	ta.At(ta.Clock.Now().Add(time.Minute))
	if s := occurrences(t, ta)[0].State; s != meetings.PreReadReady {
		t.Fatalf("after publish: %s", s)
	}
	for _, who := range []string{"ana@example.com", "ben@example.com", "chen@example.com"} {
		var got int
		for _, m := range smtp.To(who) {
			if strings.HasPrefix(m.Subject, "Pre-read: Weekly team sync") && strings.Contains(m.Text, "Q4 roadmap") {
				got++
			}
		}
		if got != 1 {
			t.Errorf("%s received %d pre-read emails, want 1 (optional attendees too)", who, got)
		}
	}

	// The design review never gets a pre-read: flagged missing at its
	// deadline, and its organizer and attendees are told.
	ta.At(review.Due.Add(-time.Second))
	if s := occurrences(t, ta)[1].State; s != meetings.PreReadPending {
		t.Fatalf("review before deadline: %s", s)
	}
	ta.At(review.Due)
	if s := occurrences(t, ta)[1].State; s != meetings.PreReadMissing {
		t.Fatalf("review at deadline: %s, want missing", s)
	}
	// The review's organizer is ben. The clock jumped past both of its
	// reminders (as after downtime): only the later one is sent.
	var benReminders int
	for _, m := range smtp.To("ben@example.com") {
		if strings.HasPrefix(m.Subject, "Pre-read needed: Design review") {
			benReminders++
		}
	}
	if benReminders != 1 {
		t.Errorf("ben got %d reminders for the review; after the clock jumped past both, want only the latest", benReminders)
	}
	for _, who := range []string{"ana@example.com", "ben@example.com", "chen@example.com"} {
		found := false
		for _, m := range smtp.To(who) {
			found = found || strings.HasPrefix(m.Subject, "No pre-read: Design review")
		}
		if !found {
			t.Errorf("%s was not told the review has no pre-read", who)
		}
	}

	// Attendance is recorded through the API after the meeting.
	anaTok := ta.Token("ana@example.com")
	for who, what := range map[string]string{"ana@example.com": "present", "ben@example.com": "absent", "chen@example.com": "async"} {
		var out map[string]any
		if code := ta.Call("PUT", fmt.Sprintf("/api/v1/occurrences/%d/attendance", sync.ID), anaTok, "",
			map[string]string{"email": who, "attendance": what}, &out); code != 200 || out["attendance"] != what {
			t.Fatalf("record %s %s: %d %v", who, what, code, out)
		}
	}
	// Everyone, absentees included, gets the notes after the end, held to
	// working hours: the review's deadline came after 17:00 in Berlin.
	ta.At(time.Date(2026, 10, 23, 7, 0, 0, 0, time.UTC))
	for _, who := range []string{"ben@example.com", "chen@example.com"} {
		found := false
		for _, m := range smtp.To(who) {
			found = found || strings.HasPrefix(m.Subject, "Notes: Weekly team sync")
		}
		if !found {
			t.Errorf("%s did not get the notes", who)
		}
	}

	// A meeting moved by re-import moves its deadline, and stays one meeting.
	moved, err := os.ReadFile("testdata/team.ics")
	if err != nil {
		t.Fatal(err)
	}
	override := strings.Join([]string{"BEGIN:VEVENT", "DTSTART;TZID=Europe/Berlin:20261113T110000",
		"DTEND;TZID=Europe/Berlin:20261113T120000", "DTSTAMP:20261020T120000Z", "ORGANIZER;CN=Ana Lima:mailto:ana@example.com",
		"UID:weekly-sync@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20261112T100000",
		"ATTENDEE;CN=Ana Lima:mailto:ana@example.com", "ATTENDEE;CN=Ben Okafor:mailto:ben@example.com",
		"SUMMARY:Weekly team sync", "END:VEVENT", "END:VCALENDAR"}, "\r\n")
	path := t.TempDir() + "/moved.ics"
	os.WriteFile(path, []byte(strings.Replace(string(moved), "END:VCALENDAR", override, 1)), 0o600)
	before := occurrences(t, ta)
	importFile(t, ta, path)
	after := occurrences(t, ta)
	if len(after) != len(before) {
		t.Fatalf("re-import with a moved instance: %d occurrences, was %d", len(after), len(before))
	}
	nov := after[3]
	if nov.ID != before[3].ID || !nov.StartsAt.Equal(time.Date(2026, 11, 13, 10, 0, 0, 0, time.UTC)) ||
		!nov.Due.Equal(nov.StartsAt.Add(-24*time.Hour)) {
		t.Fatalf("moved instance: %+v (was %+v)", nov, before[3])
	}
	var jobDue time.Time
	if err := ta.DB.Get(&jobDue, `SELECT run_at FROM jobs WHERE kind = 'preread.deadline' AND subject = ? AND state = 'pending'`,
		fmt.Sprintf("occurrence:%d", nov.ID)); err != nil || !jobDue.Equal(nov.Due) {
		t.Fatalf("deadline job at %s (%v), want %s", jobDue, err, nov.Due)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
