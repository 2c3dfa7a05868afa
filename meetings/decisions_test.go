package meetings_test

import (
	"strings"
	"testing"

	"meetingd/decisions"
)

// A decision about a meeting invites its attendees, and its outcome is
// written under the occurrence's Decisions heading once, however often the
// scheduler delivers the event.
func TestDecisionOfAMeetingAndItsOutcomeInTheNotes(t *testing.T) {
	h := newHarness(t)
	h.sync(event("m", start))
	occ := h.occurrence("m")
	if _, err := h.svc.OpenDecision(ctx, h.Person("zed@example.com").Actor(), occ.ID,
		decisions.Input{Title: "Sneak in", Proposal: "P"}); err == nil {
		t.Fatal("someone not invited opened a decision about the meeting")
	}
	d, err := h.svc.OpenDecision(ctx, h.actor("ben@example.com"), occ.ID, decisions.Input{Title: "Move it", Proposal: "To Friday."})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := h.Decisions.Get(ctx, operator, d.ID)
	if strings.Join(v.Invitees, ",") != "ana@example.com,ben@example.com,cy@example.com" {
		t.Fatalf("invitees %v, want the attendees", v.Invitees)
	}
	if _, err := h.Decisions.Withdraw(ctx, h.actor("ben@example.com"), d.ID, "Not needed."); err != nil {
		t.Fatal(err)
	}
	h.RunDue()
	h.DB.MustExec(`UPDATE jobs SET state = 'pending' WHERE kind = 'event:decision.finished'`)
	h.RunDue()
	var notes string
	h.DB.Get(&notes, `SELECT decisions FROM notes_sections WHERE occurrence_id = ?`, occ.ID)
	if notes != "Move it — WITHDRAWN on 2026-11-02: Not needed." {
		t.Fatalf("Decisions heading holds %q", notes)
	}
}
