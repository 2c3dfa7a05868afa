package decisions_test

import (
	"strings"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

func TestAddInviteesWhileOpen(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	ana := h.person("ana@example.com")
	h.person("eve@example.com")
	if _, err := h.svc.AddInvitees(ctx, ana, d.ID, []string{"Eve@example.com", "ben@example.com"}); err != nil {
		t.Fatal(err)
	}
	// Eve sees it, can contribute, and has it in her per-person lists.
	eve := h.person("eve@example.com")
	if _, err := h.svc.Get(ctx, eve, d.ID); err != nil {
		t.Fatalf("eve cannot see it once invited: %v", err)
	}
	var state string
	var closes time.Time
	h.DB.QueryRow(h.DB.Rebind(`SELECT state, closes_at FROM decision_invitees WHERE decision_id = ? AND person_id = ?`), d.ID, eve.PersonID).
		Scan(&state, &closes)
	if state != decisions.Open || !closes.Equal(d.ClosesAt) {
		t.Errorf("eve's invitee row: %q closing %s, want open closing %s", state, closes, d.ClosesAt)
	}
	if needs, err := h.svc.NeedsInput(ctx, eve.PersonID, nil, 10); err != nil || len(needs) != 1 {
		t.Errorf("eve's needs-input list: %v %v", needs, err)
	}
	// Only the new invitee is emailed; the audit trail says who was added.
	h.RunDue()
	if n := h.received("eve@example.com", ""); n != 1 {
		t.Errorf("eve got %d emails, want the opened one", n)
	}
	v, _ := h.svc.Get(ctx, operator, d.ID)
	if last := v.Audit[len(v.Audit)-1]; last.Action != "invited" || last.Detail != "eve@example.com" {
		t.Errorf("audit: %+v", last)
	}
}

func TestRemoveInvitee(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	ana := h.person("ana@example.com")
	if _, err := h.svc.RemoveInvitee(ctx, ana, d.ID, "dee@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Get(ctx, h.person("dee@example.com"), d.ID); errs.Code(err) != errs.NotFound {
		t.Errorf("dee still sees it once removed: %v", err)
	}
	v, _ := h.svc.Get(ctx, operator, d.ID)
	if last := v.Audit[len(v.Audit)-1]; last.Action != "uninvited" || last.Detail != "dee@example.com" {
		t.Errorf("audit: %+v", last)
	}
	// The owner, someone not invited, and an open objector stay as they are.
	if _, err := h.contribute("ben@example.com", d.ID, decisions.Object, "Too early."); err != nil {
		t.Fatal(err)
	}
	for email, code := range map[string]string{"ana@example.com": errs.Invalid, "zed@example.com": errs.Invalid,
		"dee@example.com": errs.Invalid, "ben@example.com": errs.Conflict} {
		if _, err := h.svc.RemoveInvitee(ctx, ana, d.ID, email); errs.Code(err) != code {
			t.Errorf("remove %s: %v, want %s", email, err, code)
		}
	}
}

func TestOnlyOwnerOrOperatorChangesInviteesWhileOpen(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	h.person("eve@example.com")
	ben := h.person("ben@example.com")
	if _, err := h.svc.AddInvitees(ctx, ben, d.ID, []string{"eve@example.com"}); errs.Code(err) != errs.Forbidden {
		t.Errorf("an invitee added someone: %v", err)
	}
	if _, err := h.svc.RemoveInvitee(ctx, ben, d.ID, "cy@example.com"); errs.Code(err) != errs.Forbidden {
		t.Errorf("an invitee removed someone: %v", err)
	}
	if _, err := h.svc.AddInvitees(ctx, h.person("zed@example.com"), d.ID, []string{"eve@example.com"}); errs.Code(err) != errs.NotFound {
		t.Errorf("a stranger added someone: %v", err)
	}
	ops := people.Actor{PersonID: h.Person("ops@example.com").ID, Operator: true}
	if _, err := h.svc.AddInvitees(ctx, ops, d.ID, []string{"eve@example.com"}); err != nil {
		t.Errorf("an operator could not add someone: %v", err)
	}
	h.at(d.ClosesAt.Add(time.Minute))
	if _, err := h.svc.AddInvitees(ctx, h.person("ana@example.com"), d.ID, []string{"zed@example.com"}); errs.Code(err) != errs.Conflict {
		t.Errorf("added after the close: %v", err)
	}
	if _, err := h.svc.RemoveInvitee(ctx, h.person("ana@example.com"), d.ID, "cy@example.com"); errs.Code(err) != errs.Conflict {
		t.Errorf("removed after the close: %v", err)
	}
}

// Like Create, AddInvitees keeps to MaxInvitees and the organisation, and
// a refused call stores nothing.
func TestAddInviteesRespectsLimits(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	ana := h.person("ana@example.com")
	count := func() int {
		var n int
		h.DB.Get(&n, h.DB.Rebind(`SELECT COUNT(*) FROM decision_invitees WHERE decision_id = ?`), d.ID)
		return n
	}
	before := count() // ana, ben, cy, dee
	h.svc.Cfg.MaxInvitees = before + 1
	_, err := h.svc.AddInvitees(ctx, ana, d.ID, []string{"eve@example.com", "fay@example.com"})
	if errs.Code(err) != errs.Invalid || !strings.Contains(errs.Message(err), "at most") || count() != before {
		t.Errorf("past MaxInvitees: %v, %d invitees", err, count())
	}
	h.svc.Cfg.Org = people.Org{Domains: []string{"example.com"}}
	_, err = h.svc.AddInvitees(ctx, ana, d.ID, []string{"mallory@elsewhere.org"})
	if errs.Code(err) != errs.Invalid || !strings.HasPrefix(errs.Message(err), "invitees:") || count() != before {
		t.Errorf("outside the organisation: %v, %d invitees", err, count())
	}
	for _, bad := range [][]string{nil, {"bob"}} {
		if _, err := h.svc.AddInvitees(ctx, ana, d.ID, bad); errs.Code(err) != errs.Invalid || count() != before {
			t.Errorf("add %v: %v", bad, err)
		}
	}
}
