package decisions_test

import (
	"sync"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/dbtest"
)

// Two late objections arriving together, as on two replicas, each extend
// the window once, within the cap: neither extension is lost to the
// other, and the audit trail counts what the row says.
func TestTwoLateObjectionsTogetherEachExtendOnce(t *testing.T) {
	dbtest.OnlyPostgres(t)
	h := newHarness(t)
	const n = 10
	ds := make([]decisions.Decision, n)
	for i := range ds {
		ds[i] = h.decision("")
	}
	at := ds[0].ClosesAt.Add(-2 * time.Hour)
	h.Clock.Set(at)
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, d := range ds {
		for _, who := range []string{"cy@example.com", "dee@example.com"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := h.contribute(who, d.ID, decisions.Object, "Late objection.")
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range ds {
		got := h.get(d.ID)
		v, err := h.svc.Get(ctx, operator, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		extended := 0
		for _, a := range v.Audit {
			if a.Action == "extended" {
				extended++
			}
		}
		if got.Extensions != 2 || extended != 2 || !got.ClosesAt.Equal(at.Add(24*time.Hour)) {
			t.Fatalf("decision %d: %d extensions, %d in the audit trail, closes %v; want 2, 2, %v",
				d.ID, got.Extensions, extended, got.ClosesAt, at.Add(24*time.Hour))
		}
	}
}
