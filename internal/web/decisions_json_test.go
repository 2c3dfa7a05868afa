package web

import (
	"bytes"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/db"
)

// pageDecisions writes the bytes page (encoding/json) writes, for every
// field empty and set, awkward strings and zones, with and without a next
// page, and falls back to encoding/json for a time it cannot encode.
func TestPageDecisionsMatchesEncodingJSON(t *testing.T) {
	occ := int64(7)
	at := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	zoned := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", -(3*3600+30*60)))
	odd := []string{"", "plain", `quote " back \ slash`, "<b>&amp;</b>", "tab\tnl\ncr\r\b\f\x00\x1f\x7f",
		"é ü 日本", "bad \xff utf8 \xe2\x82", "sep \u2028 \u2029", "emoji 🙂"}
	rng := rand.New(rand.NewPCG(1, 2))
	var ds []decisions.Decision
	for i := range 60 {
		pick := func() string { return odd[rng.IntN(len(odd))] }
		d := decisions.Decision{ID: int64(i + 1), OwnerID: int64(i % 5), OwnerEmail: pick(), OwnerName: pick(), Title: pick(),
			Proposal: pick(), State: pick(), OpensAt: at, ClosesAt: zoned.Add(time.Duration(i) * time.Millisecond), Extensions: i % 3,
			Rationale: pick(), CreatedAt: at.Add(time.Duration(i) * time.Microsecond), UpdatedAt: zoned, Reason: pick()}
		if i%2 == 0 {
			d.OccurrenceID, d.ClosedAt = &occ, &zoned
		}
		if i%3 == 0 {
			d.DecidedAt = &at
		}
		ds = append(ds, d)
	}
	bad := ds[0]
	bad.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	byID := func(d decisions.Decision) db.Cursor { return db.Cursor{At: d.ClosesAt, ID: d.ID} }
	for _, tc := range []struct {
		name  string
		rows  []decisions.Decision
		limit int
	}{{"none", nil, 50}, {"one page", ds, 100}, {"more follow", ds, 20}, {"one", ds[:1], 1}} {
		want := httptest.NewRecorder()
		page(want, "decisions", tc.rows, tc.limit, byID)
		got, err := encodeDecisions(tc.rows, tc.limit, byID)
		if err != nil || !bytes.Equal(got, want.Body.Bytes()) {
			t.Errorf("%s: got %v\n%s\nwant\n%s", tc.name, err, got, want.Body)
		}
	}
	// encoding/json refuses such a time; so does the hand encoder, rather
	// than answer with half a body.
	if got, err := encodeDecisions([]decisions.Decision{bad}, 50, byID); err == nil {
		t.Errorf("unencodable time: got %s, want an error", got)
	}
}
