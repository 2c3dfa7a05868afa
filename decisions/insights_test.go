package decisions_test

import (
	"testing"
	"time"

	"meetingd/decisions"
)

// Insights count decisions by how their window closed, take the median
// time to close in SQL, and show people only the decisions they are
// invited to.
func TestInsightsCountClosedDecisionsAndTheirMedian(t *testing.T) {
	h := newHarness(t)
	zed := h.person("zed@example.com") // invited to nothing
	ana := h.person("ana@example.com")
	h.decision("48h") // accepted at its close
	contested := h.decision("72h")
	rejected := h.decision("96h")
	h.decision("720h") // still open at the end: not counted
	for _, id := range []int64{contested.ID, rejected.ID} {
		if _, err := h.contribute("ben@example.com", id, "object", "Not yet."); err != nil {
			t.Fatal(err)
		}
	}
	for _, hours := range []int{48, 72, 96, 120} { // each window closes when its time comes
		h.at(t0.Add(time.Duration(hours) * time.Hour))
	}
	if _, err := h.svc.RecordOutcome(ctx, ana, rejected.ID, "rejected", "Too soon."); err != nil {
		t.Fatal(err)
	}
	sc := decisions.InsightScope{From: t0.Add(-time.Hour), To: t0.Add(6 * 24 * time.Hour)}
	got, err := h.svc.Insights(ctx, operator, sc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Closed["accepted"] != 1 || got.Closed["contested"] != 1 || got.Closed["rejected"] != 1 || len(got.Closed) != 3 {
		t.Fatalf("closed %v, want one of each", got.Closed)
	}
	// 48h, 72h, 96h: the middle one.
	if got.MedianClose != 72*time.Hour {
		t.Fatalf("median %v, want 72h", got.MedianClose)
	}
	// Contributions count only for decisions from a meeting.
	if got.Contributions != 0 || got.FromAbsentees != 0 {
		t.Fatalf("contributions %d/%d to decisions from no meeting", got.Contributions, got.FromAbsentees)
	}
	// An even count averages the two middle ones: 48h and 72h without the 96h.
	sc.To = t0.Add(80 * time.Hour)
	if got, _ := h.svc.Insights(ctx, operator, sc); got.MedianClose != 60*time.Hour || got.Closed["rejected"] != 0 {
		t.Fatalf("first two: median %v, closed %v; want 60h", got.MedianClose, got.Closed)
	}
	sc.To = t0.Add(6 * 24 * time.Hour)
	if mine, _ := h.svc.Insights(ctx, ana, sc); mine.Closed["accepted"] != 1 || mine.MedianClose != 72*time.Hour {
		t.Fatalf("an invitee sees %v, median %v", mine.Closed, mine.MedianClose)
	}
	none, err := h.svc.Insights(ctx, zed, sc)
	if err != nil || len(none.Closed) != 0 || none.MedianClose != 0 {
		t.Fatalf("someone invited to nothing sees %v, median %v (%v)", none.Closed, none.MedianClose, err)
	}
}

// The scope's occurrence condition, from the package that owns
// occurrences, limits what is counted.
func TestInsightsTakeTheOccurrenceCondition(t *testing.T) {
	h := newHarness(t)
	h.decision("48h")
	h.at(t0.Add(3 * 24 * time.Hour))
	sc := decisions.InsightScope{From: t0, To: t0.Add(4 * 24 * time.Hour),
		Occurrences: func(occ string) (string, []any) { return occ + ` = ?`, []any{int64(42)} }}
	got, err := h.svc.Insights(ctx, operator, sc)
	if err != nil || len(got.Closed) != 0 {
		t.Fatalf("decisions of no meeting counted for occurrence 42: %v (%v)", got.Closed, err)
	}
}
