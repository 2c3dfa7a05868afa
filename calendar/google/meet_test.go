package google_test

import (
	"strings"
	"testing"
	"time"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/calendar/google"
	"meetingd/decisions"
	"meetingd/meetings"
)

const meetCode = "abc-defg-hij"

// withMeet gives an event a Google Meet link.
func withMeet(e *gcalendar.Event, code string) *gcalendar.Event {
	e.HangoutLink = "https://meet.google.com/" + code
	e.ConferenceData = &gcalendar.ConferenceData{ConferenceId: code,
		ConferenceSolution: &gcalendar.ConferenceSolution{Key: &gcalendar.ConferenceSolutionKey{Type: "hangoutsMeet"}, Name: "Google Meet"},
		EntryPoints:        []*gcalendar.EntryPoint{{EntryPointType: "video", Uri: e.HangoutLink}}}
	return e
}

func meetOn(c *google.Config) { c.Meet = true }

// Item 5: once a meeting with a Meet link has ended, attendance comes from
// its conference's participants (present with their minutes, across
// sessions; absent, or async for who contributed), and its recording and
// transcript, once Meet has written them, are linked in the occurrence's
// Notes (so in its doc) and in the notes email, which waits for them.
func TestGoogleMeetAttendanceAndRecordings(t *testing.T) {
	h := newGoogleHarness(t, meetOn)
	retro := withMeet(meeting("retro", "Retro", berlin(11, 3, 14, 0), time.Hour), meetCode)
	retro.Attendees = append(retro.Attendees, person("dee@example.com"))
	h.fake.PutEvent(ana, retro)
	h.settle()
	h.clean()
	occ := h.occurrenceAt("retro", time.Time{})
	docID := h.doc("retro").DocID

	// Dee will not come, but supports a proposal about the meeting.
	d, err := h.svc.OpenDecision(h.ctx, h.Person(ana).Actor(), occ.ID, decisions.Input{Title: "Ship on Fridays", Proposal: "Ship weekly."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Decisions.Contribute(h.ctx, h.Person("dee@example.com").Actor(), d.ID, decisions.Support, ""); err != nil {
		t.Fatal(err)
	}

	conf := h.fake.AddConference(ana, meetCode, berlin(11, 3, 13, 58), berlin(11, 3, 15, 2))
	h.fake.AddParticipant(conf, ana, [2]time.Time{berlin(11, 3, 13, 58), berlin(11, 3, 15, 2)})
	h.fake.AddParticipant(conf, "ben@example.com", [2]time.Time{berlin(11, 3, 14, 0), berlin(11, 3, 14, 20)},
		[2]time.Time{berlin(11, 3, 14, 40), berlin(11, 3, 15, 0)})
	h.fake.AddParticipant(conf, "A guest on the phone")
	recording := h.fake.AddRecording(conf, "ENDED") // Meet is still writing it
	transcript := h.fake.AddTranscript(conf, "FILE_GENERATED")

	h.at(berlin(11, 3, 15, 5))
	h.clean()
	if body := h.mailBody(meetings.MailNotesShared, "ben@example.com"); body != "" {
		t.Fatal("the notes email went before the recording was written")
	}
	h.fake.FinishArtifacts(conf)
	h.at(berlin(11, 3, 15, 20))
	h.clean()

	roles := map[string]string{}
	var rows []struct {
		Email      string `db:"email"`
		Attendance string `db:"attendance"`
		Minutes    *int   `db:"minutes_joined"`
	}
	h.DB.Select(&rows, h.DB.Rebind(`SELECT p.email, a.attendance, a.minutes_joined FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ?`), occ.ID)
	for _, r := range rows {
		roles[r.Email] = r.Attendance
		if r.Minutes != nil {
			roles[r.Email] += " " + time.Duration(*r.Minutes*int(time.Minute)).String()
		}
	}
	want := map[string]string{ana: "present 1h4m0s", "ben@example.com": "present 40m0s", "cy@example.com": "absent", "dee@example.com": "async"}
	for who, w := range want {
		if roles[who] != w {
			t.Errorf("%s: %q, want %q", who, roles[who], w)
		}
	}

	recURL := "https://drive.google.com/file/d/" + recording + "/view"
	trURL := "https://docs.google.com/document/d/" + transcript + "/view"
	notes := h.sectionText(docID, occ.ID, "Notes")
	if !strings.Contains(notes, "Recording: "+recURL) || !strings.Contains(notes, "Transcript: "+trURL) {
		t.Errorf("the doc's Notes hold %q", notes)
	}
	if line := h.sectionParagraphs(docID, occ.ID)[1]; !strings.Contains(line, "ben@example.com (optional, present 40 min)") ||
		!strings.Contains(line, "dee@example.com (optional, async)") {
		t.Errorf("the doc's attendees line %q", line)
	}
	body := h.mailBody(meetings.MailNotesShared, "ben@example.com")
	if !strings.Contains(body, recURL) || !strings.Contains(body, trURL) {
		t.Errorf("notes email:\n%s", body)
	}
	// Read once: the conference is not read again.
	h.fake.ResetCalls()
	h.at(berlin(11, 4, 15, 0))
	if n := h.fake.Calls()["meet.conferenceRecords.list"]; n != 0 {
		t.Errorf("the conference was read %d more times", n)
	}
}

// Item 5: a 1:1, or a meeting marked private or confidential (Google's
// sensitive visibility), never has its recording linked: not in its notes,
// not in the notes email. Its organizer is told that one exists.
func TestGoogleMeetRecordingWithheld(t *testing.T) {
	for _, c := range []struct {
		name, visibility string
		attendees        int
		reason           string
	}{
		{"1:1", "", 2, "it is a 1:1"},
		{"private", "private", 3, "it is private or sensitive"},
		{"confidential", "confidential", 3, "it is private or sensitive"},
	} {
		t.Run(c.name, func(t *testing.T) { testRecordingWithheld(t, c.visibility, c.attendees, c.reason) })
	}
}

func testRecordingWithheld(t *testing.T, visibility string, attendees int, reason string) {
	h := newGoogleHarness(t, meetOn)
	ev := withMeet(meeting("held", "Ana / Ben", berlin(11, 3, 14, 0), 30*time.Minute), meetCode)
	ev.Attendees, ev.Visibility = ev.Attendees[:attendees], visibility
	h.fake.PutEvent(ana, ev)
	h.settle()
	occ := h.occurrenceAt("held", time.Time{})
	conf := h.fake.AddConference(ana, meetCode, berlin(11, 3, 14, 0), berlin(11, 3, 14, 30))
	h.fake.AddParticipant(conf, ana, [2]time.Time{berlin(11, 3, 14, 0), berlin(11, 3, 14, 30)})
	h.fake.AddParticipant(conf, "ben@example.com", [2]time.Time{berlin(11, 3, 14, 0), berlin(11, 3, 14, 30)})
	recording := h.fake.AddRecording(conf, "FILE_GENERATED")
	h.at(berlin(11, 3, 14, 40))
	h.clean()

	recURL := "https://drive.google.com/file/d/" + recording + "/view"
	if notes := h.sectionText(h.doc("held").DocID, occ.ID, "Notes"); strings.Contains(notes, recording) {
		t.Errorf("the notes link the recording: %q", notes)
	}
	var n int
	h.DB.Get(&n, h.DB.Rebind(`SELECT COUNT(*) FROM recordings WHERE occurrence_id = ?`), occ.ID)
	if n != 0 {
		t.Errorf("%d recordings kept", n)
	}
	if body := h.mailBody(meetings.MailNotesShared, "ben@example.com"); body == "" || strings.Contains(body, recording) {
		t.Errorf("notes email to ben:\n%s", body)
	}
	// Attendance is still taken from the conference.
	if a := h.attendance(occ.ID, "ben@example.com"); a != meetings.Present {
		t.Errorf("ben's attendance %q, want present", a)
	}
	var told []string
	for _, m := range h.mails() {
		if strings.HasPrefix(m, google.MailRecordingWithheld) {
			told = append(told, m)
		}
	}
	if len(told) != 1 || told[0] != google.MailRecordingWithheld+" "+ana {
		t.Fatalf("emails %v, want one to the organizer", told)
	}
	if body := h.mailBody(google.MailRecordingWithheld, ana); !strings.Contains(body, recURL) || !strings.Contains(body, reason) {
		t.Errorf("email to the organizer:\n%s", body)
	}
}
