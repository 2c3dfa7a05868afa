package calendar_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/internal/apptest"
	"meetingd/internal/floor"
)

// BenchmarkSubscriptionChangeSet1000 applies a 1,000-event change set: a
// subscribed calendar of 1,000 meetings (four people each) in which every
// meeting moved an hour. One op is one poll: the GET over TLS on loopback,
// the calendar checked and read, each series' digest compared, and 1,000
// occurrences updated with their steps moved. Beside it, in the same run,
// two floors: the one-off import re-importing the same change (the same
// 1,000 events moved an hour, no HTTP), and raw SQLite writing as many
// rows as the change rewrites (each occurrence and its pending steps),
// one statement each, in one transaction. It also reports the requests a
// poll of the unchanged calendar makes.
func BenchmarkSubscriptionChangeSet1000(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	sa := newSubsApp(b, calendar.DefaultSubscriptionConfig())
	bodies := [2][]byte{genICS(n, t0.Add(48*time.Hour)), genICS(n, t0.Add(49*time.Hour))}
	sa.Feed.publish(string(bodies[0]))
	sub := sa.subscribe(b, "bench")
	sa.RunDue()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		sa.Feed.publish(string(bodies[(i+1)%2]))
		b.StartTimer()
		out, err := sa.Subs.Poll(ctx, sub.ID)
		if err != nil || out.Result.Updated != n {
			b.Fatalf("poll: %+v %v", out, err)
		}
	}
	perPoll := b.Elapsed().Seconds() / float64(b.N)
	b.StopTimer()
	rows := rewrittenRows(b, sa.App)
	reimport := reimportSeconds(b, bodies, n, 5)
	raw := float64(rows) / floor.SQLiteRows(b, rows, rows, 6)
	b.ReportMetric(perPoll*1000, "ms/change-set")
	b.ReportMetric(reimport*1000, "reimport-ms")
	b.ReportMetric(perPoll/reimport, "x-reimport")
	b.ReportMetric(raw*1000, "floor-ms")
	b.ReportMetric(perPoll/raw, "x-floor")
	b.ReportMetric(float64(rows)/n, "rows/event")

	sa.Feed.take()
	out, err := sa.Subs.Poll(ctx, sub.ID)
	reqs := sa.Feed.take()
	if err != nil || !out.NotModified || len(reqs) != 1 || reqs[0].Status != http.StatusNotModified {
		b.Fatalf("unchanged poll: %+v %v %+v", out, err, reqs)
	}
	b.ReportMetric(float64(len(reqs)), "requests/unchanged-poll")
}

// rewrittenRows counts the rows a change set that moves every meeting
// rewrites: each occurrence, and each of its steps still pending.
func rewrittenRows(b *testing.B, a *apptest.App) int {
	var occs, steps int
	if err := a.DB.Get(&occs, `SELECT COUNT(*) FROM occurrences`); err != nil {
		b.Fatal(err)
	}
	if err := a.DB.Get(&steps, `SELECT COUNT(*) FROM jobs WHERE subject LIKE 'occurrence:%' AND state = 'pending'`); err != nil {
		b.Fatal(err)
	}
	return occs + steps
}

// reimportSeconds is the mean time of runs one-off re-imports of the same
// change of n events: bodies[0] imported (not timed), then bodies[1] over
// it.
func reimportSeconds(b *testing.B, bodies [2][]byte, n, runs int) float64 {
	var total time.Duration
	for range runs {
		ta := newTestApp(b, "", t0)
		if _, err := ta.Calendar.Import(context.Background(), bytes.NewReader(bodies[0]), "bench", nil); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := ta.Calendar.Import(context.Background(), bytes.NewReader(bodies[1]), "bench", nil)
		total += time.Since(start)
		if err != nil || res.Updated != n {
			b.Fatalf("re-import: %+v %v", res, err)
		}
	}
	return total.Seconds() / float64(runs)
}
