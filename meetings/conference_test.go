package meetings_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"meetingd/internal/errs"
	"meetingd/meetings"
)

// notesMail is the text and HTML body of occurrence occID's notes email to who.
func (h *harness) notesMail(occID int64, who string) (text, html string) {
	h.t.Helper()
	err := h.DB.QueryRow(h.DB.Rebind(`SELECT text_body, html_body FROM outbox WHERE kind = ? AND subject_key = ? AND to_addr = ?`),
		meetings.MailNotesShared, fmt.Sprintf("occurrence:%d", occID), who).Scan(&text, &html)
	if err != nil {
		h.t.Fatalf("notes email of occurrence %d to %s: %v", occID, who, err)
	}
	return text, html
}

// The notes email links a meeting's recordings and transcripts, one a
// line, and reads as before for a meeting with none.
func TestNotesMailWithAndWithoutRecordings(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start := t0.Add(2 * time.Hour)
	h.sync(event("with", start), event("without", start))
	with, without := h.occurrence("with"), h.occurrence("without")
	rec, tr := "https://drive.example.com/rec-1", "https://docs.example.com/tr-1"
	recs := []meetings.Recording{{Kind: meetings.KindRecording, URL: rec}, {Kind: meetings.KindTranscript, URL: tr}}
	for range 2 { // adding them again changes nothing
		if err := h.svc.AddRecordings(ctx, with.ID, recs); err != nil {
			t.Fatal(err)
		}
	}
	v, err := h.svc.View(ctx, operator, with.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Recording: " + rec + "\nTranscript: " + tr; !strings.Contains(v.Section.Notes, want) || strings.Count(v.Section.Notes, rec) != 1 {
		t.Errorf("notes %q, want the two lines once", v.Section.Notes)
	}
	h.at(start.Add(time.Hour + time.Minute))

	text, html := h.notesMail(with.ID, "ben@example.com")
	if !strings.Contains(text, "\nRecording: "+rec+"\nTranscript: "+tr+"\n\nACTION ITEMS") {
		t.Errorf("text with recordings:\n%s", text)
	}
	if !strings.Contains(html, `<li><a href="`+rec+`">Recording</a></li><li><a href="`+tr+`">Transcript</a></li>`) {
		t.Errorf("HTML with recordings:\n%s", html)
	}
	text, html = h.notesMail(without.ID, "ben@example.com")
	if strings.Contains(text, "Recording") || strings.Contains(text, "Transcript") || !strings.Contains(text, "\n\nACTION ITEMS") {
		t.Errorf("text without recordings:\n%s", text)
	}
	if strings.Contains(html, "Recording") || strings.Contains(html, "<ul><li><a") {
		t.Errorf("HTML without recordings:\n%s", html)
	}
}

// A 1:1 and a private meeting never have a recording linked: adding one is
// refused, and one added before the meeting became private is left out of
// the notes email.
func TestRecordingsNeverLinkedFor1on1sOrPrivateMeetings(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start := t0.Add(2 * time.Hour)
	pair := event("pair", start)
	pair.Attendees = pair.Attendees[:2]
	private := event("private", start)
	private.Private = true
	later := event("later", start)
	h.sync(pair, private, later)
	rec := []meetings.Recording{{Kind: meetings.KindRecording, URL: "https://drive.example.com/rec-1"}}
	for uid, want := range map[string]string{"pair": "it is a 1:1", "private": "it is private or sensitive", "later": ""} {
		o := h.occurrence(uid)
		if why, err := meetings.RecordingRefusal(ctx, h.DB, o.ID); err != nil || why != want {
			t.Errorf("%s: refusal %q (%v), want %q", uid, why, err, want)
		}
		err := h.svc.AddRecordings(ctx, o.ID, rec)
		if (want != "") != (errs.Code(err) == errs.Conflict) {
			t.Errorf("%s: adding a recording: %v", uid, err)
		}
	}
	later.Private = true // marked private after the recording was added
	h.sync(later)
	h.at(start.Add(time.Hour + time.Minute))
	for _, uid := range []string{"pair", "private", "later"} {
		text, html := h.notesMail(h.occurrence(uid).ID, "ben@example.com")
		if strings.Contains(text, "rec-1") || strings.Contains(html, "rec-1") {
			t.Errorf("%s: the notes email links the recording:\n%s", uid, text)
		}
	}
}
