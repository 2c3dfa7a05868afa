package google_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"meetingd/calendar/google"
	"meetingd/calendar/google/googlefake"
	"meetingd/decisions"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// Item 1: the doc follows meetingd. Each change meetingd makes to an
// occurrence (its time and cancellation from Google, a pre-read published
// through the API, an action item, attendance) reaches that occurrence's
// section in one batchUpdate, in place: the other section and the
// template's header are left as they were, and the heading keeps its id.
func TestGoogleDocFollowsMeetingd(t *testing.T) {
	h := synced(t, nil)
	nov3 := h.occurrenceAt("weekly", berlin(11, 3, 10, 0))
	nov11 := h.occurrenceAt("weekly", berlin(11, 10, 10, 0))
	docID := h.doc("weekly").DocID
	heading := h.sectionHead(docID, nov3.ID).HeadingID
	other := h.sectionParagraphs(docID, nov11.ID)
	header := h.fake.DocParagraphs(docID)[:4]
	organizer := h.Person(ana).Actor()

	step := func(what string, change func()) {
		t.Helper()
		h.fake.ResetCalls()
		change()
		h.settle()
		h.clean()
		if n := h.fake.Calls()["docs.documents.batchUpdate"]; n != 1 {
			t.Errorf("%s: %d batchUpdates, want 1", what, n)
		}
		if got := h.sectionParagraphs(docID, nov11.ID); !slices.Equal(got, other) {
			t.Errorf("%s: the other section changed:\n%q\nwas\n%q", what, got, other)
		}
		if got := h.fake.DocParagraphs(docID)[:4]; !slices.Equal(got, header) {
			t.Errorf("%s: the template's header changed: %+v", what, got)
		}
		if p := h.sectionHead(docID, nov3.ID); p.HeadingID != heading || p.Style != "HEADING_2" {
			t.Errorf("%s: heading %+v, want id %s kept", what, p, heading)
		}
	}

	step("moved at Google", func() {
		x := h.fake.Instance(ana, "weekly", berlin(11, 3, 10, 0))
		x.Start, x.End = when(berlin(11, 3, 16, 0)), when(berlin(11, 3, 17, 30))
		h.fake.PutEvent(ana, x)
		h.push()
	})
	if p := h.sectionHead(docID, nov3.ID); p.Text != "Tue 3 Nov 2026, 16:00 – 17:30 CET\n" {
		t.Errorf("heading after the move %q", p.Text)
	}

	step("pre-read published", func() {
		text := "Read the Q4 plan: https://example.com/q4"
		if _, err := h.svc.Publish(h.ctx, organizer, nov3.ID, &text); err != nil {
			t.Fatal(err)
		}
	})
	if got := h.sectionText(docID, nov3.ID, "Pre-read"); got != "Read the Q4 plan: https://example.com/q4" {
		t.Errorf("Pre-read section %q", got)
	}

	step("action item added", func() {
		_, err := h.svc.AddActionItem(h.ctx, organizer, nov3.ID, meetings.ActionItemInput{Owner: "ben@example.com",
			Text: "Draft the budget", Due: berlin(11, 20, 17, 0)})
		if err != nil {
			t.Fatal(err)
		}
	})
	if got := h.sectionText(docID, nov3.ID, "Action items"); got != "Draft the budget — ben@example.com — due Fri 20 Nov 2026" {
		t.Errorf("Action items section %q", got)
	}

	step("attendance recorded", func() {
		present := meetings.Present
		if _, err := h.svc.RecordAttendance(h.ctx, organizer, nov3.ID, meetings.AttendancePatch{Email: "ben@example.com", Attendance: &present}); err != nil {
			t.Fatal(err)
		}
	})
	if got := h.sectionParagraphs(docID, nov3.ID)[1]; !strings.Contains(got, "ben@example.com (optional, present)") {
		t.Errorf("attendees line %q", got)
	}

	step("cancelled at Google", func() {
		h.fake.CancelInstance(ana, "weekly", berlin(11, 3, 10, 0))
		h.push()
	})
	if p := h.sectionHead(docID, nov3.ID); p.Text != "Tue 3 Nov 2026, 16:00 – 17:30 CET — cancelled\n" {
		t.Errorf("heading of the cancelled occurrence %q", p.Text)
	}
	if got := h.sectionText(docID, nov3.ID, "Pre-read"); !strings.HasPrefix(got, "Read the Q4 plan") {
		t.Errorf("the cancelled occurrence's section lost its text: %q", got)
	}

	// meetingd's own writes come back as Drive changes: reading them
	// changes nothing in meetingd.
	var preRead, items string
	h.DB.QueryRow(h.DB.Rebind(`SELECT pre_read, action_items FROM notes_sections WHERE occurrence_id = ?`), nov3.ID).Scan(&preRead, &items)
	if preRead != "Read the Q4 plan: https://example.com/q4" || strings.Contains(items, "Draft the budget") {
		t.Errorf("meetingd's section after its own writes came back: pre-read %q, action items %q", preRead, items)
	}
}

// Item 1, the other way: an edit in the doc reaches meetingd within a
// minute, through Drive's changes (pushed, or polled without push), and
// the pre-read rule sees it then, not at the next checkpoint.
func TestGoogleMeetingdFollowsDoc(t *testing.T) {
	for _, push := range []bool{true, false} {
		name := "push"
		if !push {
			name = "poll"
		}
		t.Run(name, func(t *testing.T) {
			h := synced(t, func(c *google.Config) {
				if !push {
					c.WebhookURL = ""
				}
			})
			nov3 := h.occurrenceAt("weekly", berlin(11, 3, 10, 0))
			docID := h.doc("weekly").DocID
			h.fake.ResetCalls()
			for heading, text := range map[string]string{"Pre-read": "Read the Q4 plan.", "Agenda": "1. Budget (ana)"} {
				sectionField(t, h, docID, nov3.ID, heading, func(p googlefake.Paragraph) {
					if err := h.fake.EditDoc(docID, p.Start, p.End-1, text); err != nil {
						t.Fatal(err)
					}
				})
			}
			edited := h.Clock.Now()
			if push {
				h.push()
			} else {
				h.at(edited.Add(h.cfg.DocPoll))
			}
			h.clean()
			if !h.Clock.Now().Before(edited.Add(time.Minute + time.Second)) {
				t.Fatalf("took until %s", h.Clock.Now())
			}
			if o := h.occurrenceAt("weekly", berlin(11, 3, 10, 0)); o.PreRead != meetings.PreReadReady {
				t.Fatalf("pre-read %s a minute after it was written in the doc, want ready", o.PreRead)
			}
			var preRead, agenda string
			h.DB.QueryRow(h.DB.Rebind(`SELECT pre_read, agenda FROM notes_sections WHERE occurrence_id = ?`), nov3.ID).Scan(&preRead, &agenda)
			if preRead != "Read the Q4 plan." || agenda != "1. Budget (ana)" {
				t.Errorf("section in meetingd: pre-read %q, agenda %q", preRead, agenda)
			}
			published := 0
			for _, m := range h.mails() {
				if strings.HasPrefix(m, meetings.MailPublished) {
					published++
				}
			}
			if published != 3 {
				t.Errorf("%d pre-read emails, want one per attendee", published)
			}
			if n := h.fake.Calls()["docs.documents.batchUpdate"]; push && n != 0 {
				t.Errorf("reading the edit back wrote to the doc %d times", n)
			}
		})
	}
}

// Item 6: the doc's title follows the event's; cancelled and opted-out
// meetings keep their section, marked; notes_url links to the section's
// heading; a stopped calendar shows as not connected.
func TestGoogleSmallFixes(t *testing.T) {
	h := synced(t, nil)
	weekly, review := h.doc("weekly"), h.doc("review")

	ev := h.fake.Event(ana, "weekly")
	ev.Summary = "Planning v2"
	h.fake.PutEvent(ana, ev)
	rev := h.fake.Event(ana, "review")
	rev.Description = "Review. " + meetings.OptOutMarker
	h.fake.PutEvent(ana, rev)
	h.push()
	h.settle()
	h.clean()
	if name := h.fake.FileName(weekly.DocID); name != "Planning v2 — notes" {
		t.Errorf("doc title %q after the event was renamed", name)
	}
	if atts := h.fake.Event(ana, "weekly").Attachments; atts[len(atts)-1].Title != "Planning v2 — notes" {
		t.Errorf("attachment title %q", atts[len(atts)-1].Title)
	}
	reviewOcc := h.occurrenceAt("review", time.Time{})
	if p := h.sectionHead(review.DocID, reviewOcc.ID); !strings.HasSuffix(p.Text, "— not managed by meetingd (#no-meetingd)\n") {
		t.Errorf("opted-out meeting's heading %q", p.Text)
	}
	if n := len(h.sectionParagraphs(review.DocID, reviewOcc.ID)); n != 12 {
		t.Errorf("opted-out meeting's section has %d paragraphs, want all 12 kept", n)
	}

	nov3 := h.occurrenceAt("weekly", berlin(11, 3, 10, 0))
	v, err := h.svc.View(h.ctx, people.Actor{Operator: true}, nov3.ID)
	if err != nil {
		t.Fatal(err)
	}
	head := h.sectionHead(weekly.DocID, nov3.ID)
	if want := weekly.URL + "#heading=" + head.HeadingID; head.HeadingID == "" || v.NotesURL != want {
		t.Errorf("notes_url %s, want %s", v.NotesURL, want)
	}

	h.fake.Revoke(ana)
	h.fake.PutEvent(ana, meeting("late", "Late", berlin(11, 9, 10, 0), time.Hour))
	h.push()
	st, err := h.g.Calendars(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].StoppedAt == nil || st[0].Connected {
		t.Errorf("stopped calendar: %+v, want connected false", st)
	}
}

// Item 1: a decision about a meeting, once closed, is written into that
// occurrence's Decisions section, once: its echo through Drive's changes
// neither writes it again nor changes meetingd.
func TestGoogleClosedDecisionReachesTheDoc(t *testing.T) {
	h := synced(t, nil)
	nov3 := h.occurrenceAt("weekly", berlin(11, 3, 10, 0))
	docID := h.doc("weekly").DocID
	heading := h.sectionHead(docID, nov3.ID).HeadingID
	d, err := h.svc.OpenDecision(h.ctx, h.Person(ana).Actor(), nov3.ID, decisions.Input{Title: "Ship on Fridays", Proposal: "Ship weekly."})
	if err != nil {
		t.Fatal(err)
	}
	h.at(d.ClosesAt.Add(-time.Minute))
	if got := h.sectionText(docID, nov3.ID, "Decisions"); strings.Contains(got, "Ship on Fridays") {
		t.Fatalf("Decisions section %q before the decision closed", got)
	}
	h.at(d.ClosesAt.Add(time.Minute)) // written when it closes, not at some later doc run
	h.clean()
	got := h.sectionText(docID, nov3.ID, "Decisions")
	if !strings.HasPrefix(got, "Ship on Fridays — ACCEPTED on ") || strings.Count(got, "Ship on Fridays") != 1 {
		t.Errorf("Decisions section %q, want the outcome once", got)
	}
	if p := h.sectionHead(docID, nov3.ID); p.HeadingID != heading {
		t.Errorf("heading id %s, want %s kept", p.HeadingID, heading)
	}
	h.fake.ResetCalls()
	h.at(h.Clock.Now().Add(time.Hour))
	if n := h.fake.Calls()["docs.documents.batchUpdate"]; n != 0 {
		t.Errorf("%d more batchUpdates after the decision was written", n)
	}
}
