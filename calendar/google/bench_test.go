package google_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"meetingd/calendar/google/googlefake"
	"meetingd/internal/people"
)

// The cost of Google's quotas, in API calls against the fake:
//
//	go test ./calendar/google -run '^$' -bench GoogleCost -benchtime 1x
//
// The first sync lists 10,000 events: 1,000 weekly series of 26 instances
// with 8 of them moved (exceptions), and 1,000 single meetings. Most of
// its minute goes to meetings.Sync storing 27,000 occurrences, not to
// Google. The incremental and idle benchmarks use a tenth of that
// calendar: neither's calls depend on its size, and the setup is shorter.

// seedCalendar fills ana's calendar with masters weekly series (each with
// exceptions moved instances) and singles single meetings, the first
// starting firstDay days after g0.
func seedCalendar(h *googleHarness, masters, exceptions, singles, firstDay int) {
	for i := range masters {
		start := berlin(11, 2+firstDay+i%7, 9+i%8, 0)
		m := meeting(fmt.Sprintf("weekly%04d", i), fmt.Sprintf("Weekly %d", i), start, 30*time.Minute)
		m.Recurrence = []string{"RRULE:FREQ=WEEKLY;COUNT=26"}
		h.fake.PutEvent(ana, m)
		for k := 1; k <= exceptions; k++ {
			x := h.fake.Instance(ana, m.Id, start.AddDate(0, 0, 7*k))
			x.Start, x.End = when(start.AddDate(0, 0, 7*k).Add(time.Hour)), when(start.AddDate(0, 0, 7*k).Add(90*time.Minute))
			h.fake.PutEvent(ana, x)
		}
	}
	for i := range singles {
		start := berlin(11, 2+firstDay+i%150, 9+i%8, 30)
		h.fake.PutEvent(ana, meeting(fmt.Sprintf("single%04d", i), fmt.Sprintf("Single %d", i), start, time.Hour))
	}
}

// reportCalls reports the fake's counters per op.
func reportCalls(b *testing.B, calls map[string]int, n int) {
	total := 0
	names := make([]string, 0, len(calls))
	for m, c := range calls {
		if !strings.HasPrefix(m, "oauth2.") {
			total += c
			names = append(names, m)
		}
	}
	sort.Strings(names)
	for _, m := range names {
		b.ReportMetric(float64(calls[m])/float64(n), strings.TrimPrefix(strings.TrimPrefix(m, "calendar."), "docs.")+"/op")
	}
	b.ReportMetric(float64(total)/float64(n), "calls/op")
}

func benchHarness(b *testing.B, scale, firstDay int) *googleHarness {
	h := newGoogleHarness(b, nil)
	seedCalendar(h, 1000/scale, 8, 1000/scale, firstDay)
	h.fake.ResetCalls()
	return h
}

// BenchmarkGoogleCostFirstSync10k is a first sync and all its doc work;
// the echo of meetingd's own patches through push is reported apart.
func BenchmarkGoogleCostFirstSync10k(b *testing.B) {
	var calls, echo map[string]int
	for range b.N {
		b.StopTimer()
		h := benchHarness(b, 1, 1)
		b.StartTimer()
		h.run()
		b.StopTimer()
		calls = h.fake.Calls()
		h.fake.ResetCalls()
		h.push()
		echo = h.fake.Calls()
		if n := len(h.occurrences("weekly0000")); n != 26 {
			b.Fatalf("weekly0000 has %d occurrences", n)
		}
		h.clean()
	}
	reportCalls(b, calls, 1)
	b.ReportMetric(float64(echo["calendar.events.list"]), "echo-list/op")
	b.ReportMetric(float64(echo["calendar.events.list"]+echo["calendar.events.patch"]+echo["docs.documents.batchUpdate"]), "echo-calls/op")
}

// BenchmarkGoogleCostIncrementalNoChange is a sync with nothing changed.
func BenchmarkGoogleCostIncrementalNoChange(b *testing.B) {
	h := benchHarness(b, 10, 15)
	h.settle()
	cal := h.calendarID(ana)
	h.fake.ResetCalls()
	for b.Loop() {
		if err := h.g.SyncCalendar(h.ctx, cal); err != nil {
			b.Fatal(err)
		}
	}
	reportCalls(b, h.fake.Calls(), b.N)
}

// BenchmarkGoogleCostIdleHour is an hour of the service with push on and
// nothing changing (the meetings start in 15 days: no section or Pre-read
// read-back falls due). Each op is one more hour, run minute by minute:
// the first five are idle; a longer run also meets the 6-hourly safety
// poll (one list call).
func BenchmarkGoogleCostIdleHour(b *testing.B) {
	h := benchHarness(b, 10, 15)
	h.settle()
	h.fake.ResetCalls()
	at := h.Clock.Now()
	for b.Loop() {
		for range 60 {
			at = at.Add(time.Minute)
			h.at(at)
		}
	}
	reportCalls(b, h.fake.Calls(), b.N)
	h.clean()
}

// BenchmarkGoogleCostWeek50 is a week of a 50-series calendar, push on,
// run hour by hour after its first sync (reported apart, as first-*):
// 10 instances moved in Google Calendar and 20 pre-reads published through
// meetingd, spread over the week, each mirrored into its doc; sections
// falling due, Pre-read checks, safety polls and the channels' renewal as
// they come. Each change is made a quarter past an hour, when nothing else
// falls due, and what it costs is counted apart (move-*, preread-*). It
// fails unless each change is one batchUpdate and no batchUpdate rewrites
// a doc whole (deletes half of it or more).
//
//	go test ./calendar/google -run '^$' -bench GoogleCostWeek50 -benchtime 1x
func BenchmarkGoogleCostWeek50(b *testing.B) {
	var first, week map[string]int
	var changes map[string]map[string]int
	var writes []googlefake.DocWrite
	for range b.N {
		b.StopTimer()
		h := newGoogleHarness(b, nil)
		seedCalendar(h, 50, 0, 0, 1)
		h.settle()
		first = h.fake.Calls()
		h.fake.ResetCalls()
		b.StartTimer()
		changes = weekOfChanges(b, h)
		b.StopTimer()
		week, writes = h.fake.Calls(), h.fake.DocWrites()
		h.clean()
	}
	total := 0
	for m, c := range first {
		if !strings.HasPrefix(m, "oauth2.") {
			total += c
		}
	}
	b.ReportMetric(float64(total), "first-calls/op")
	reportCalls(b, week, 1)
	for _, kind := range []string{"move", "preread"} {
		c := changes[kind]
		b.ReportMetric(float64(c["docs.documents.batchUpdate"]), kind+"-batchUpdates/op")
		b.ReportMetric(float64(c["docs.documents.get"]), kind+"-gets/op")
		b.ReportMetric(float64(c["calls"]), kind+"-calls/op")
	}
	b.ReportMetric(float64(changes["sections"]["added"]), "sections-added/op")
	checkDocWrites(b, writes)
}

// weekOfChanges runs the week, hour by hour, and returns what the moves
// and the published pre-reads cost, by method ("calls": all of them).
func weekOfChanges(b *testing.B, h *googleHarness) map[string]map[string]int {
	cost := map[string]map[string]int{"move": {}, "preread": {}}
	start := h.Clock.Now()
	moved, published := 0, 0
	for hour := 1; hour <= 7*24; hour++ {
		now := start.Add(time.Duration(hour) * time.Hour)
		h.at(now)
		h.settle()
		var kind string
		var change func()
		switch {
		case hour%16 == 8 && moved < 10:
			uid := fmt.Sprintf("weekly%04d", moved*5)
			kind, change = "move", func() { moveNext(b, h, uid) }
			moved++
		case hour%8 == 4 && published < 20:
			uid, n := fmt.Sprintf("weekly%04d", published*2+1), published
			kind, change = "preread", func() { publishNext(b, h, uid, n) }
			published++
		default:
			continue
		}
		h.at(now.Add(15 * time.Minute))
		before := h.fake.Calls()
		change()
		h.settle()
		after := h.fake.Calls()
		for m, n := range after {
			if d := n - before[m]; d > 0 && !strings.HasPrefix(m, "oauth2.") {
				cost[kind][m] += d
				cost[kind]["calls"] += d
			}
		}
		if n := after["docs.documents.batchUpdate"] - before["docs.documents.batchUpdate"]; n != 1 {
			b.Errorf("%s at hour %d: %d batchUpdates, want 1", kind, hour, n)
		}
	}
	if moved != 10 || published != 20 {
		b.Fatalf("%d moves, %d pre-reads", moved, published)
	}
	// The other batchUpdates add the sections falling due, a doc's at a time.
	var added int
	if err := h.DB.Get(&added, h.DB.Rebind(`SELECT COUNT(*) FROM google_sections WHERE inserted_at > ?`), start); err != nil {
		b.Fatal(err)
	}
	cost["sections"] = map[string]int{"added": added}
	return cost
}

// nextOccurrence is uid's first occurrence a day or more ahead: its
// section is in the doc.
func nextOccurrence(b *testing.B, h *googleHarness, uid string) occ {
	for _, o := range h.occurrences(uid) {
		if !o.Cancelled && o.Start.After(h.Clock.Now().Add(26*time.Hour)) {
			return o
		}
	}
	b.Fatalf("nothing ahead in %s", uid)
	return occ{}
}

// moveNext moves uid's next instance two hours later, at Google.
func moveNext(b *testing.B, h *googleHarness, uid string) {
	o := nextOccurrence(b, h, uid)
	rid, _ := time.Parse(time.RFC3339, o.RID)
	x := h.fake.Instance(ana, uid, rid)
	x.Start, x.End = when(o.Start.Add(2*time.Hour)), when(o.Start.Add(150*time.Minute))
	h.fake.PutEvent(ana, x)
}

// publishNext publishes a pre-read for uid's next occurrence, through meetingd.
func publishNext(b *testing.B, h *googleHarness, uid string, n int) {
	text := fmt.Sprintf("Read the plan, part %d.", n)
	if _, err := h.svc.Publish(h.ctx, people.Actor{Operator: true}, nextOccurrence(b, h, uid).ID, &text); err != nil {
		b.Fatal(err)
	}
}

// checkDocWrites reports the batchUpdates' largest deletion and fails if
// one deleted half a doc or more: the doc is edited in place, never
// written whole.
func checkDocWrites(b *testing.B, writes []googlefake.DocWrite) {
	most := 0.0
	for _, w := range writes {
		if w.Before <= 2 {
			continue // a new doc's first fill: nothing to rewrite
		}
		share := float64(w.Deleted) / float64(w.Before)
		most = max(most, share)
		if 2*w.Deleted >= w.Before {
			b.Errorf("a batchUpdate of doc %s deleted %d of its %d code units: a rewrite", w.DocID, w.Deleted, w.Before)
		}
	}
	b.ReportMetric(float64(len(writes)), "docWrites/op")
	b.ReportMetric(100*most, "max-%deleted/op")
}
