package meetings_test

import (
	"strings"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/apptest"
	"meetingd/internal/mailtest"
	"meetingd/meetings"
)

// Proposed decisions and action items written in the notes doc become real
// ones when the notes are shared, once, and the notes email lists them.
func TestNotesDocProposalsBecomeDecisionsAndActionItems(t *testing.T) {
	smtp := mailtest.Start(t)
	h := newHarness(t, apptest.SMTP(smtp.URL()))
	start := t0.Add(3 * 24 * time.Hour)
	ev := meetings.Event{SeriesUID: "m", Title: "Planning", Start: start, End: start.Add(time.Hour), TimeZone: "UTC",
		Organizer: meetings.EventPerson{Email: "ana@example.com"},
		Attendees: []meetings.EventAttendee{{EventPerson: meetings.EventPerson{Email: "ben@example.com"}}, {EventPerson: meetings.EventPerson{Email: "cy@example.com"}}}}
	h.sync(ev)
	// Everyone works around the clock, so no mail is held.
	h.DB.MustExec(`UPDATE people SET work_start = 0, work_end = 1440, work_days = 127`)
	var occ int64
	h.DB.Get(&occ, `SELECT id FROM occurrences`)
	decs := "Some discussion.\n- DECISION: Ship the beta on 1 December\nnot a decision: just text\nDecision: Freeze the API"
	items := "- Draft the migration plan — ben@example.com — 2026-11-20\n- Ask legal about terms\n"
	if _, err := h.svc.UpdateSection(ctx, operator, occ, meetings.SectionPatch{Decisions: &decs, ActionItems: &items}); err != nil {
		t.Fatal(err)
	}
	h.at(start.Add(time.Hour))
	h.DB.MustExec(`UPDATE jobs SET state = 'pending', run_at = ? WHERE kind = 'notes.shared'`, start.Add(time.Hour))
	h.at(start.Add(2 * time.Hour)) // shared twice: nothing doubles

	list, err := h.Decisions.List(ctx, operator, decisions.Filter{OccurrenceID: occ}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, d := range list {
		titles = append(titles, d.Title)
		if d.OwnerEmail != "ana@example.com" || d.State != decisions.Open {
			t.Errorf("%q: owner %s, state %s", d.Title, d.OwnerEmail, d.State)
		}
	}
	if got := strings.Join(titles, " | "); got != "Ship the beta on 1 December | Freeze the API" {
		t.Fatalf("decisions from notes: %q", got)
	}
	v, _ := h.Decisions.Get(ctx, operator, list[0].ID)
	if strings.Join(v.Invitees, ",") != "ana@example.com,ben@example.com,cy@example.com" {
		t.Fatalf("invitees %v, want the attendees", v.Invitees)
	}
	var nItems int
	var due time.Time
	h.DB.Get(&nItems, `SELECT COUNT(*) FROM action_items`)
	h.DB.Get(&due, `SELECT due_at FROM action_items`)
	if nItems != 1 || !due.Equal(time.Date(2026, 11, 20, 24, 0, 0, 0, time.UTC)) {
		t.Fatalf("%d action items, due %v", nItems, due)
	}
	notes := smtp.Parts("cy@example.com")
	var body string
	for _, m := range notes {
		if strings.HasPrefix(m.Subject, "Notes: Planning") {
			body = m.Text
		}
	}
	for _, want := range []string{"Ship the beta on 1 December (open until", "Draft the migration plan", "Not tracked", "Ask legal about terms"} {
		if !strings.Contains(body, want) {
			t.Errorf("notes email lacks %q:\n%s", want, body)
		}
	}
	// The notes email carries the decisions it opened, with cy's own signed
	// links; they send no separate opened email.
	if !strings.Contains(body, "Support: http") || !strings.Contains(body, "/decide?t=") || !strings.Contains(body, "&kind=object") {
		t.Errorf("notes email lacks the decisions' links:\n%s", body)
	}
	opened := 0
	for _, m := range smtp.Parts("cy@example.com") {
		if strings.HasPrefix(m.Subject, "Decision open until") {
			opened++
		}
	}
	if n := opened; n != 0 {
		t.Errorf("cy got %d decision-opened emails beside the notes email that carries them", n)
	}
}

// A line written under Decisions or Action items after the notes were
// shared acts at once, and only once.
func TestLinesAddedAfterTheShareStillAct(t *testing.T) {
	h := newHarness(t)
	start := t0.Add(3 * 24 * time.Hour)
	h.sync(event("m", start))
	occ := h.occurrence("m").ID
	h.at(start.Add(2 * time.Hour)) // the notes are shared
	decs := "DECISION: Move the sync to Thursdays"
	items := "Book the room — ben@example.com — 2026-11-20"
	for i := 0; i < 2; i++ { // saved twice: still one of each
		if _, err := h.svc.UpdateSection(ctx, h.actor("ben@example.com"), occ, meetings.SectionPatch{Decisions: &decs, ActionItems: &items}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := h.Decisions.List(ctx, operator, decisions.Filter{OccurrenceID: occ}, nil, 10)
	if err != nil || len(list) != 1 || list[0].Title != "Move the sync to Thursdays" {
		t.Fatalf("decisions after the share: %v %+v", err, list)
	}
	var n int
	h.DB.Get(&n, `SELECT COUNT(*) FROM action_items`)
	if n != 1 {
		t.Fatalf("%d action items after the share, want 1", n)
	}
}

func TestActionTextLeavesOutOwnerAndDate(t *testing.T) {
	for in, want := range map[string]string{
		"- Draft the migration plan — ben@example.com — 2026-11-20": "Draft the migration plan",
		"* Book the room, ben@example.com, due 2026-11-20":          "Book the room",
		"Call legal (ana@example.com) 2026-12-01":                   "Call legal",
		"ben@example.com 2026-12-01":                                "ben@example.com 2026-12-01",
	} {
		if got := meetings.ActionText(in); got != want {
			t.Errorf("ActionText(%q) = %q, want %q", in, got, want)
		}
	}
}
