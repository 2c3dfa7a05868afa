package decisions_test

import (
	"reflect"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/db"
)

// Lists read their rows their own way (times as text, owners by subquery,
// scanned by hand): every list gives each decision exactly as Get reads
// it, on both databases — open, contested, decided with a rationale,
// owners with and without a name.
func TestListsReadDecisionsAsGetDoes(t *testing.T) {
	h := newHarness(t)
	h.DB.MustExec(`UPDATE people SET name = 'Ana Owner' WHERE email = ?`, h.Person("ana@example.com").Email)
	decided := h.decision("")
	if _, err := h.contribute("ben@example.com", decided.ID, decisions.Object, "Not yet."); err != nil {
		t.Fatal(err)
	}
	contested := h.decision("")
	if _, err := h.contribute("cy@example.com", contested.ID, decisions.Object, "No."); err != nil {
		t.Fatal(err)
	}
	h.at(decided.ClosesAt.Add(time.Minute))
	if _, err := h.svc.RecordOutcome(ctx, h.person("ana@example.com"), decided.ID, decisions.Deferred, "Revisit <in> Q1 & \"later\"."); err != nil {
		t.Fatal(err)
	}
	h.at(h.Clock.Now().Add(time.Second + 123456789*time.Nanosecond))
	open := h.decision("")
	ben, _ := h.svc.Create(ctx, h.person("ben@example.com"), decisions.Input{Title: "Ben's", Proposal: "P.",
		Invitees: []string{"ana@example.com"}, Window: "48h"}, nil)
	ana, benA := h.person("ana@example.com"), h.person("ben@example.com")
	lists := map[string]func() ([]decisions.Decision, error){
		"all":          func() ([]decisions.Decision, error) { return h.svc.List(ctx, operator, decisions.Filter{}, nil, 50) },
		"ben's":        func() ([]decisions.Decision, error) { return h.svc.List(ctx, benA, decisions.Filter{}, nil, 50) },
		"closed":       func() ([]decisions.Decision, error) { return h.svc.RecentlyClosed(ctx, operator, nil, 50) },
		"ben's closed": func() ([]decisions.Decision, error) { return h.svc.RecentlyClosed(ctx, benA, nil, 50) },
		"ana's needs":  func() ([]decisions.Decision, error) { return h.svc.NeedsInput(ctx, ana.PersonID, nil, 50) },
		"ben's needs":  func() ([]decisions.Decision, error) { return h.svc.NeedsInput(ctx, benA.PersonID, nil, 50) },
		"after a page": func() ([]decisions.Decision, error) {
			return h.svc.List(ctx, operator, decisions.Filter{}, &db.Cursor{At: time.Time{}, ID: 0}, 50)
		},
		"no occurrence": func() ([]decisions.Decision, error) { return h.svc.OpenOf(ctx, h.DB, 0) },
	}
	seen := map[int64]bool{}
	for name, list := range lists {
		ds, err := list()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, d := range ds {
			seen[d.ID] = true
			d.Reason = ""
			if want := h.get(d.ID); !reflect.DeepEqual(d, want) {
				t.Errorf("%s: decision %d\n got %+v\nwant %+v", name, d.ID, d, want)
			}
		}
	}
	for _, id := range []int64{decided.ID, contested.ID, open.ID, ben.ID} {
		if !seen[id] {
			t.Errorf("decision %d is on no list", id)
		}
	}
	if d := h.get(decided.ID); d.DecidedAt == nil || d.ClosedAt == nil || d.Rationale == "" || d.OwnerName != "Ana Owner" {
		t.Errorf("the decided decision lacks what the test compares: %+v", d)
	}
}
