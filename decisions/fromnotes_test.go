package decisions_test

import (
	"strings"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/meetings"
)

// Proposed decisions and action items written in the notes doc become real
// ones when the notes are shared, once, and the notes email lists them.
func TestNotesDocProposalsBecomeDecisionsAndActionItems(t *testing.T) {
	h := newHarness(t)
	h.mtg.OnNotesShared = h.svc.FromNotes
	start := t0.Add(3 * 24 * time.Hour)
	ev := meetings.Event{SeriesUID: "m", Title: "Planning", Start: start, End: start.Add(time.Hour), TimeZone: "UTC",
		Organizer: meetings.EventPerson{Email: "ana@example.com"},
		Attendees: []meetings.EventAttendee{{EventPerson: meetings.EventPerson{Email: "ben@example.com"}}, {EventPerson: meetings.EventPerson{Email: "cy@example.com"}}}}
	var cal int64
	h.db.Get(&cal, `INSERT INTO calendars (kind, name, created_at) VALUES ('local', 't', ?) RETURNING id`, t0)
	if _, err := h.mtg.Sync(ctx, cal, []meetings.SeriesEvents{{UID: "m", Events: []meetings.Event{ev}}}); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"ana@example.com", "ben@example.com", "cy@example.com"} {
		h.person(e)
	}
	var occ int64
	h.db.Get(&occ, `SELECT id FROM occurrences`)
	decs := "Some discussion.\n- DECISION: Ship the beta on 1 December\nnot a decision: just text\nDecision: Freeze the API"
	items := "- Draft the migration plan — ben@example.com — 2026-11-20\n- Ask legal about terms\n"
	if _, err := h.mtg.UpdateSection(ctx, meetings.Actor{Operator: true}, occ, meetings.SectionPatch{Decisions: &decs, ActionItems: &items}); err != nil {
		t.Fatal(err)
	}
	h.at(start.Add(time.Hour))
	h.db.MustExec(`UPDATE jobs SET state = 'pending', run_at = ? WHERE kind = 'notes.shared'`, start.Add(time.Hour))
	h.at(start.Add(2 * time.Hour)) // shared twice: nothing doubles

	list, err := h.svc.List(ctx, decisions.Actor{Operator: true}, decisions.Filter{OccurrenceID: occ}, nil, 10)
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
	v, _ := h.svc.Get(ctx, decisions.Actor{Operator: true}, list[0].ID)
	if strings.Join(v.Invitees, ",") != "ana@example.com,ben@example.com,cy@example.com" {
		t.Fatalf("invitees %v, want the attendees", v.Invitees)
	}
	var nItems int
	var due time.Time
	h.db.Get(&nItems, `SELECT COUNT(*) FROM action_items`)
	h.db.Get(&due, `SELECT due_at FROM action_items`)
	if nItems != 1 || !due.Equal(time.Date(2026, 11, 20, 24, 0, 0, 0, time.UTC)) {
		t.Fatalf("%d action items, due %v", nItems, due)
	}
	notes := h.smtp.To("cy@example.com")
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
	if n := h.received("cy@example.com", "Decision open until"); n != 2 {
		t.Errorf("cy got %d decision-opened emails, want 2", n)
	}
}
