package google_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// The cost of Google's quotas, in API calls against the fake:
//
//	go test ./calendar -run '^$' -bench GoogleCost -benchtime 1x
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
