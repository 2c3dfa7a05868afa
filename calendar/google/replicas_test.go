package google_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"meetingd/internal/jobs"
)

// While one replica is making a series' Google Doc, another that gets to
// the same series leaves it to the first (its job runs again later)
// instead of making a second doc.
func TestGoogleOneDocPerSeriesWithTwoReplicas(t *testing.T) {
	h := newGoogleHarness(t, nil)
	other := h.replica()
	seedAna(h)
	// The events are stored; their docs are not made yet.
	if err := h.g.SyncCalendar(h.ctx, h.calendarID("ana@example.com")); err != nil {
		t.Fatal(err)
	}
	var series int64
	if err := h.DB.Get(&series, `SELECT id FROM series WHERE uid = 'weekly'`); err != nil {
		t.Fatal(err)
	}
	// The first replica's copy of the template is held at Google until
	// the second replica has had its go.
	arrived, release := make(chan struct{}), make(chan struct{})
	var held atomic.Bool
	gate := func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/copy") && held.CompareAndSwap(false, true) {
			close(arrived)
			<-release
		}
	}
	h.gate.Store(&gate)
	first := make(chan error)
	go func() { first <- h.g.EnsureDoc(h.ctx, series) }()
	<-arrived
	second := other.Google.EnsureDoc(h.ctx, series)
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the first replica: %v", err)
	}
	if !errors.Is(second, jobs.ErrLater) {
		t.Fatalf("the second replica, while the first made the doc: %v; want it to run again later", second)
	}
	if err := other.Google.EnsureDoc(h.ctx, series); err != nil { // its job, run again
		t.Fatal(err)
	}
	var docs int
	h.DB.Get(&docs, `SELECT COUNT(*) FROM google_docs WHERE series_id = ?`, series)
	if files := len(h.fake.Files()) - 1; files != 1 || docs != 1 { // but the template
		t.Fatalf("%d docs in Google, %d recorded for the series; want one", files, docs)
	}
}
