package decisions_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/errs"
)

const week = 7 * 24 * time.Hour

func TestWindowShorterThanMinimumIsRefused(t *testing.T) {
	h := newHarness(t)
	h.person("ben@example.com")
	_, err := h.svc.Create(ctx, h.person("ana@example.com"), decisions.Input{Title: "x", Proposal: "y", Window: "23h59m"}, nil)
	if errs.Code(err) != errs.Invalid || !strings.Contains(errs.Message(err), "minimum of 24h") {
		t.Fatalf("short window: %v", err)
	}
	d, err := h.svc.Create(ctx, h.person("ana@example.com"), decisions.Input{Title: "x", Proposal: "y", Window: "24h"}, nil)
	if err != nil || !d.ClosesAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("minimum window: %v %v", d.ClosesAt, err)
	}
	d, _ = h.svc.Create(ctx, h.person("ana@example.com"), decisions.Input{Title: "x", Proposal: "y"}, nil)
	if !d.ClosesAt.Equal(t0.Add(week)) {
		t.Fatalf("default window closes %v, want a week", d.ClosesAt)
	}
}

func TestClosesExactlyOnTimeAndEarlySupportDoesNotCloseIt(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	for _, who := range []string{"ana@example.com", "ben@example.com", "cy@example.com", "dee@example.com"} {
		if _, err := h.contribute(who, d.ID, decisions.Support, "Yes."); err != nil {
			t.Fatal(err)
		}
	}
	h.at(t0.Add(time.Hour))
	h.at(d.ClosesAt.Add(-time.Second))
	if s := h.get(d.ID).State; s != decisions.Open {
		t.Fatalf("unanimous early support: %s a second before close, want open", s)
	}
	h.at(d.ClosesAt)
	got := h.get(d.ID)
	if got.State != decisions.Accepted || got.ClosedAt == nil || !got.ClosedAt.Equal(d.ClosesAt) {
		t.Fatalf("at close: %s, closed %v", got.State, got.ClosedAt)
	}
	if h.received("ben@example.com", "Decision accepted: Adopt Postgres") != 1 {
		t.Fatalf("ben was not told the outcome: %v", h.smtp.To("ben@example.com"))
	}
}

func TestContributionAfterDeadlineIsRefusedBeforeTheCloseJobRuns(t *testing.T) {
	h := newHarness(t)
	d := h.decision("48h")
	h.Clock.Set(d.ClosesAt.Add(time.Second)) // the worker has not run
	_, err := h.contribute("ben@example.com", d.ID, decisions.Object, "Too late?")
	if errs.Code(err) != errs.Conflict || !strings.Contains(errs.Message(err), "closed at") {
		t.Fatalf("late contribution: %v", err)
	}
	h.at(d.ClosesAt.Add(time.Second))
	if s := h.get(d.ID).State; s != decisions.Accepted {
		t.Fatalf("the refused objection counted: %s", s)
	}
}

func TestLateObjectionExtendsAtMostTwice(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	close0 := d.ClosesAt
	// Early objections do not extend.
	h.Clock.Set(close0.Add(-25 * time.Hour))
	h.contribute("ben@example.com", d.ID, decisions.Object, "Early doubt.")
	if got := h.get(d.ID); !got.ClosesAt.Equal(close0) {
		t.Fatalf("an objection before the last 24h extended to %v", got.ClosesAt)
	}
	// Three objections in the last 24h: two extensions.
	at := close0.Add(-2 * time.Hour)
	wantClose := []time.Time{at.Add(24 * time.Hour), at.Add(30 * time.Hour), at.Add(30 * time.Hour)}
	for i, who := range []string{"cy@example.com", "dee@example.com", "ben@example.com"} {
		h.at(at.Add(time.Duration(i) * 6 * time.Hour))
		if _, err := h.contribute(who, d.ID, decisions.Object, "Late objection."); err != nil {
			t.Fatalf("objection %d: %v", i+1, err)
		}
		got := h.get(d.ID)
		if !got.ClosesAt.Equal(wantClose[i]) {
			t.Fatalf("after late objection %d: closes %v, want %v", i+1, got.ClosesAt, wantClose[i])
		}
	}
	if got := h.get(d.ID); got.Extensions != 2 {
		t.Fatalf("extensions = %d", got.Extensions)
	}
	v, _ := h.svc.Get(ctx, operator, d.ID)
	extended := 0
	for _, a := range v.Audit {
		if a.Action == "extended" {
			extended++
		}
	}
	if extended != 2 {
		t.Fatalf("%d extensions in the audit trail", extended)
	}
	h.at(wantClose[2])
	if h.received("ana@example.com", "Extended to") != 2 {
		t.Fatalf("invitees not told of each extension")
	}
	if s := h.get(d.ID).State; s != decisions.Contested {
		t.Fatalf("closed with open objections: %s, want contested", s)
	}
}

func TestWithdrawnObjectionBeforeCloseGivesAccepted(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	c, _ := h.contribute("ben@example.com", d.ID, decisions.Object, "Cost?")
	if _, err := h.svc.WithdrawObjection(ctx, h.person("cy@example.com"), d.ID, c.ID); errs.Code(err) != errs.Forbidden {
		t.Fatalf("someone else withdrew ben's objection: %v", err)
	}
	if _, err := h.svc.WithdrawObjection(ctx, h.person("ben@example.com"), d.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	h.at(d.ClosesAt)
	if s := h.get(d.ID).State; s != decisions.Accepted {
		t.Fatalf("%s, want accepted", s)
	}
}

func TestResolvedObjectionGivesAccepted(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	c, _ := h.contribute("ben@example.com", d.ID, decisions.Object, "Cost?")
	if _, err := h.svc.ResolveObjection(ctx, h.person("ben@example.com"), d.ID, c.ID, "fine"); errs.Code(err) != errs.Forbidden {
		t.Fatalf("a non-owner resolved: %v", err)
	}
	if _, err := h.svc.ResolveObjection(ctx, h.person("ana@example.com"), d.ID, c.ID, ""); errs.Code(err) != errs.Invalid {
		t.Fatalf("resolved without a reply: %v", err)
	}
	got, err := h.svc.ResolveObjection(ctx, h.person("ana@example.com"), d.ID, c.ID, "Costs are covered by the Q3 budget.")
	if err != nil || got.ObjectionState != decisions.ObjectionResolved {
		t.Fatalf("resolve: %v %+v", err, got)
	}
	h.at(d.ClosesAt)
	if s := h.get(d.ID).State; s != decisions.Accepted {
		t.Fatalf("%s, want accepted", s)
	}
}

func TestContestedNeedsTheOwnersOutcome(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	h.contribute("ben@example.com", d.ID, decisions.Object, "We lack Postgres skills.")
	h.at(d.ClosesAt)
	if s := h.get(d.ID).State; s != decisions.Contested {
		t.Fatalf("%s, want contested", s)
	}
	if h.received("ana@example.com", "Outcome needed: Adopt Postgres") != 1 {
		t.Fatalf("owner not asked for the outcome")
	}
	h.at(d.ClosesAt.Add(25 * time.Hour))
	if h.received("ana@example.com", "Outcome needed: Adopt Postgres") != 2 {
		t.Fatalf("owner not reminded a day later")
	}
	if _, err := h.svc.Contribute(ctx, h.person("cy@example.com"), d.ID, decisions.Support, ""); errs.Code(err) != errs.Conflict {
		t.Fatalf("contribution to a contested decision: %v", err)
	}
	if _, err := h.svc.RecordOutcome(ctx, h.person("ben@example.com"), d.ID, decisions.Rejected, "No."); errs.Code(err) != errs.Forbidden {
		t.Fatalf("non-owner recorded: %v", err)
	}
	if _, err := h.svc.RecordOutcome(ctx, h.person("ana@example.com"), d.ID, "maybe", "x"); errs.Code(err) != errs.Invalid {
		t.Fatalf("bad outcome: %v", err)
	}
	if _, err := h.svc.RecordOutcome(ctx, h.person("ana@example.com"), d.ID, decisions.Deferred, ""); errs.Code(err) != errs.Invalid {
		t.Fatalf("outcome without rationale: %v", err)
	}
	got, err := h.svc.RecordOutcome(ctx, h.person("ana@example.com"), d.ID, decisions.Deferred, "Revisit after training in Q1.")
	if err != nil || got.State != decisions.Deferred {
		t.Fatalf("record: %v %s", err, got.State)
	}
	h.at(d.ClosesAt.Add(72 * time.Hour))
	if n := h.received("ana@example.com", "Outcome needed"); n != 2 {
		t.Fatalf("owner still reminded after recording: %d", n)
	}
	if h.received("dee@example.com", "Decision deferred: Adopt Postgres") != 1 {
		t.Fatalf("invitees not told the outcome")
	}
	// Closed is final.
	if _, err := h.svc.RecordOutcome(ctx, h.person("ana@example.com"), d.ID, decisions.Accepted, "Changed my mind."); errs.Code(err) != errs.Conflict {
		t.Fatalf("closed decision changed: %v", err)
	}
}

func TestClosingSoonGoesOnlyToNonContributorsOnce(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	h.contribute("ben@example.com", d.ID, decisions.Support, "")
	h.at(d.ClosesAt.Add(-24 * time.Hour))
	for who, want := range map[string]int{"ana@example.com": 0, "ben@example.com": 0, "cy@example.com": 1, "dee@example.com": 1} {
		if got := h.received(who, "Closing "); got != want {
			t.Errorf("%s got %d closing-soon emails, want %d", who, got, want)
		}
	}
	// A late objection extends the window; nobody is reminded again.
	h.at(d.ClosesAt.Add(-time.Hour))
	h.contribute("cy@example.com", d.ID, decisions.Object, "Wait.")
	h.at(d.ClosesAt.Add(22 * time.Hour))
	if got := h.received("dee@example.com", "Closing "); got != 1 {
		t.Errorf("dee got %d closing-soon emails after the extension, want 1", got)
	}
}

// A decision with the minimum 24 h window is reminded at its midpoint, the
// later of that and 24 h before the close (which is the moment it opened).
func TestMinimumWindowStillGetsClosingSoon(t *testing.T) {
	h := newHarness(t)
	d := h.decision("24h")
	h.at(d.OpensAt.Add(12*time.Hour - time.Second))
	if got := h.received("cy@example.com", "Closing "); got != 0 {
		t.Fatalf("cy got %d closing-soon emails before the midpoint", got)
	}
	h.at(d.OpensAt.Add(12 * time.Hour))
	if got := h.received("cy@example.com", "Closing "); got != 1 {
		t.Fatalf("cy got %d closing-soon emails at the midpoint, want 1", got)
	}
}

func TestOnlyInviteesContributeAndSee(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	if _, err := h.contribute("zed@example.com", d.ID, decisions.Support, ""); errs.Code(err) != errs.NotFound {
		t.Fatalf("stranger contributed: %v", err)
	}
	if _, err := h.svc.Get(ctx, h.person("zed@example.com"), d.ID); errs.Code(err) != errs.NotFound {
		t.Fatalf("stranger saw it: %v", err)
	}
	if _, err := h.contribute("ben@example.com", d.ID, decisions.Object, "  "); errs.Code(err) != errs.Invalid {
		t.Fatalf("objection without text: %v", err)
	}
	if _, err := h.contribute("ben@example.com", d.ID, "veto", "x"); errs.Code(err) != errs.Invalid {
		t.Fatalf("unknown kind: %v", err)
	}
}

func TestEditsAndWithdrawalAreAudited(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	c, _ := h.contribute("ben@example.com", d.ID, decisions.Comment, "First thought.")
	if _, err := h.svc.EditContribution(ctx, h.person("ben@example.com"), d.ID, c.ID, "Second thought."); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.EditContribution(ctx, h.person("cy@example.com"), d.ID, c.ID, "Hijack."); errs.Code(err) != errs.Forbidden {
		t.Fatalf("edited someone else's: %v", err)
	}
	if _, err := h.svc.Withdraw(ctx, h.person("ben@example.com"), d.ID, ""); errs.Code(err) != errs.Forbidden {
		t.Fatalf("non-owner withdrew: %v", err)
	}
	got, err := h.svc.Withdraw(ctx, h.person("ana@example.com"), d.ID, "Superseded by #12.")
	if err != nil || got.State != decisions.Withdrawn {
		t.Fatalf("withdraw: %v %s", err, got.State)
	}
	v, _ := h.svc.Get(ctx, operator, d.ID)
	var trail []string
	for _, a := range v.Audit {
		trail = append(trail, a.Action+": "+a.Detail)
	}
	all := strings.Join(trail, "\n")
	for _, want := range []string{"opened", "comment: First thought.", "edited: contribution", "was: First thought.", "withdrawn: withdrawn by its owner: Superseded by #12."} {
		if !strings.Contains(all, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, all)
		}
	}
	if _, err := h.svc.EditContribution(ctx, h.person("ben@example.com"), d.ID, c.ID, "Third."); errs.Code(err) != errs.Conflict {
		t.Fatalf("edited after withdrawal: %v", err)
	}
	h.at(d.ClosesAt.Add(time.Hour))
	if s := h.get(d.ID).State; s != decisions.Withdrawn {
		t.Fatalf("the close job reopened a withdrawn decision: %s", s)
	}
}

// Contributions racing the close job: every contribution made before the
// close is kept and counted, none after it gets in, and it closes once.
func TestConcurrentContributionsAndCloseNeverLoseOrCloseTwice(t *testing.T) {
	for round := 0; round < 5; round++ {
		h := newHarness(t)
		d := h.decision("")
		people := []string{"ben@example.com", "cy@example.com", "dee@example.com"}
		for _, p := range people {
			h.person(p)
		}
		h.Clock.Set(d.ClosesAt.Add(-time.Millisecond))
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted := 0
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i == 15 {
					h.Clock.Set(d.ClosesAt) // the deadline passes mid-flight
				}
				if _, err := h.contribute(people[i%3], d.ID, decisions.Comment, "c"); err == nil {
					mu.Lock()
					accepted++
					mu.Unlock()
				} else if errs.Code(err) != errs.Conflict {
					t.Errorf("contribution failed: %v", err)
				}
			}(i)
		}
		wg.Add(2)
		for i := 0; i < 2; i++ {
			go func() { defer wg.Done(); h.Worker.RunDue(ctx) }()
		}
		wg.Wait()
		h.at(d.ClosesAt.Add(time.Minute))
		var stored, closes, closedMails int
		h.DB.Get(&stored, `SELECT COUNT(*) FROM contributions WHERE decision_id = ?`, d.ID)
		h.DB.Get(&closes, `SELECT COUNT(*) FROM decision_audit WHERE decision_id = ? AND action = 'accepted'`, d.ID)
		h.DB.Get(&closedMails, `SELECT COUNT(*) FROM outbox WHERE kind = 'decision_closed'`)
		if stored != accepted {
			t.Fatalf("round %d: %d contributions accepted, %d stored", round, accepted, stored)
		}
		var late int
		h.DB.Get(&late, `SELECT COUNT(*) FROM contributions WHERE decision_id = ? AND created_at >= ?`, d.ID, d.ClosesAt)
		if late != 0 || closes != 1 || closedMails != 4 {
			t.Fatalf("round %d: %d late contributions, closed %d times, %d closed emails", round, late, closes, closedMails)
		}
	}
}

// A close job that runs again (its worker died after the work, before
// marking it done) changes nothing and sends nothing twice.
func TestCloseJobRunTwiceClosesOnce(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	other := h.decision("")
	h.contribute("ben@example.com", other.ID, decisions.Object, "No.")
	h.at(d.ClosesAt)
	h.DB.MustExec(`UPDATE jobs SET state = 'pending', run_at = ? WHERE kind = 'decision.close'`, d.ClosesAt)
	h.at(d.ClosesAt.Add(time.Minute))
	var accepted, contested, closedMails, outcomeMails int
	h.DB.Get(&accepted, `SELECT COUNT(*) FROM decision_audit WHERE decision_id = ? AND action = 'accepted'`, d.ID)
	h.DB.Get(&contested, `SELECT COUNT(*) FROM decision_audit WHERE decision_id = ? AND action = 'closed'`, other.ID)
	h.DB.Get(&closedMails, `SELECT COUNT(*) FROM outbox WHERE kind = 'decision_closed'`)
	h.DB.Get(&outcomeMails, `SELECT COUNT(*) FROM outbox WHERE kind = 'decision_outcome_needed'`)
	if accepted != 1 || contested != 1 || closedMails != 4 || outcomeMails != 1 {
		t.Fatalf("after a second run: accepted %d, contested %d, closed emails %d, outcome emails %d", accepted, contested, closedMails, outcomeMails)
	}
}

// The close job ends done, not cancelled by the close it ran; the
// decision's other steps (the closing-soon reminder) are dropped.
func TestCloseJobEndsDone(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	h.at(d.ClosesAt)
	var states []string
	h.DB.Select(&states, `SELECT kind || ' ' || state FROM jobs WHERE subject = ? ORDER BY kind`, fmt.Sprintf("decision:%d", d.ID))
	if strings.Join(states, ", ") != "decision.close done, decision.closing_soon done" {
		t.Fatalf("steps of a closed decision: %v", states)
	}
}

// One person holds one position: supporting again changes nothing, and
// changing it to an objection changes that row, with the history audited.
func TestOnePositionPerPerson(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	for i := 0; i < 5; i++ {
		if _, err := h.contribute("ben@example.com", d.ID, decisions.Support, ""); err != nil {
			t.Fatal(err)
		}
	}
	h.contribute("ben@example.com", d.ID, decisions.Comment, "One question.")
	h.contribute("ben@example.com", d.ID, decisions.Comment, "Another.")
	v, _ := h.svc.Get(ctx, operator, d.ID)
	if len(v.Positions) != 1 || v.Positions[0].Kind != decisions.Support || len(v.Comments) != 2 {
		t.Fatalf("after five supports and two comments: %d positions, %d comments", len(v.Positions), len(v.Comments))
	}
	if _, err := h.contribute("ben@example.com", d.ID, decisions.Object, "Too costly."); err != nil {
		t.Fatal(err)
	}
	v, _ = h.svc.Get(ctx, operator, d.ID)
	if len(v.Positions) != 1 || v.Positions[0].Kind != decisions.Object || v.Positions[0].ObjectionState != decisions.ObjectionOpen {
		t.Fatalf("after changing to an objection: %+v", v.Positions)
	}
	changed := 0
	for _, e := range v.Audit {
		if e.Action == "changed position" && strings.Contains(e.Detail, "object: Too costly., was support") {
			changed++
		}
	}
	if changed != 1 {
		t.Fatalf("audit has %d position changes: %+v", changed, v.Audit)
	}
	// Back to support: the objection is gone, so the decision is accepted.
	h.contribute("ben@example.com", d.ID, decisions.Support, "")
	h.at(d.ClosesAt)
	if got := h.get(d.ID).State; got != decisions.Accepted {
		t.Fatalf("state %s, want accepted", got)
	}
}

// Comments are read a page at a time, after the last one read.
func TestCommentsArePaged(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	for i := 0; i < decisions.CommentPage+3; i++ {
		if _, err := h.contribute("cy@example.com", d.ID, decisions.Comment, fmt.Sprintf("Comment %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := h.svc.Get(ctx, operator, d.ID)
	if len(v.Comments) != decisions.CommentPage || !v.MoreComments {
		t.Fatalf("first page: %d comments, more %v", len(v.Comments), v.MoreComments)
	}
	rest, err := h.svc.Comments(ctx, h.person("ben@example.com"), d.ID, v.Comments[len(v.Comments)-1].ID, 100)
	if err != nil || len(rest) != 3 || rest[2].Text != fmt.Sprintf("Comment %d", decisions.CommentPage+2) {
		t.Fatalf("the rest: %v %+v", err, rest)
	}
	if _, err := h.svc.Comments(ctx, h.person("zed@example.com"), d.ID, 0, 10); errs.Code(err) != errs.NotFound {
		t.Fatalf("a stranger read the comments: %v", err)
	}
}

// "Needs my input" lists what needs this person, with the reason: invitees
// who have not said where they stand; the owner only when an objection
// awaits their reply or the outcome is theirs to record.
func TestNeedsInputListsWhatNeedsThePerson(t *testing.T) {
	h := newHarness(t)
	d := h.decision("")
	reasons := func(who string) string {
		t.Helper()
		ds, err := h.svc.NeedsInput(ctx, h.person(who).PersonID, nil, 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range ds {
			out = append(out, fmt.Sprintf("%d:%s", x.ID, x.Reason))
		}
		return strings.Join(out, ",")
	}
	id := func(r string) string { return fmt.Sprintf("%d:%s", d.ID, r) }
	if got := reasons("ana@example.com"); got != "" {
		t.Fatalf("the owner, with nothing to answer, is listed: %s", got)
	}
	if got := reasons("ben@example.com"); got != id(decisions.NeedsView) {
		t.Fatalf("ben: %q", got)
	}
	h.contribute("ben@example.com", d.ID, decisions.Object, "Not yet.")
	if got := reasons("ben@example.com"); got != "" {
		t.Fatalf("ben objected and is still listed: %s", got)
	}
	if got := reasons("ana@example.com"); got != id(decisions.NeedsReply) {
		t.Fatalf("the owner with an open objection: %q", got)
	}
	h.at(d.ClosesAt)
	if got := reasons("ana@example.com"); got != id(decisions.NeedsOutcome) {
		t.Fatalf("the owner of a contested decision: %q", got)
	}
	if got := reasons("cy@example.com"); got != "" {
		t.Fatalf("cy, after the close: %q", got)
	}
}
