package caldav_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	gocaldav "github.com/emersion/go-webdav/caldav"

	"meetingd/internal/apptest"
)

// BenchmarkCalDAVChangeSet1000 applies a 1,000-event change set from a
// real server: ana's Radicale calendar holds 1,000 meetings, and her
// calendar app moves every one an hour (not timed). One op is one sync:
// the sync-collection REPORT, ten calendar-multigets of 100 objects, and
// 1,000 occurrences updated with their steps moved. Beside it, in the same
// run, two floors: fetching the same 1,000 objects from the same server
// with go-webdav alone, ten multigets, nothing applied (Radicale's own
// time, which is most of a sync); and the one-off import re-importing the
// same change (the same events moved an hour, no server). It also reports
// the requests a sync of the unchanged calendar makes.
func BenchmarkCalDAVChangeSet1000(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	da := newDavApp(b)
	rad := da.Rad
	ics := func(i int, shift time.Duration) string {
		return event{UID: fmt.Sprintf("bench-%d@example.com", i), Title: fmt.Sprintf("Meeting %d", i),
			Start:     t0.Add(48*time.Hour + time.Duration(i%3000)*time.Hour + shift),
			Attendees: []string{fmt.Sprintf("p%d@example.com", i%400), fmt.Sprintf("p%d@example.com", (i+7)%400)}}.ics()
	}
	etags := make([]string, n)
	for i := range n {
		etags[i] = rad.put(b, fmt.Sprintf("/ana/work/bench-%d.ics", i), "", ics(i, 0))
	}
	cal := da.add(b)
	if out, err := da.Src.Sync(ctx, cal.ID); err != nil || out.Result.Created != n {
		b.Fatalf("first sync: %+v %v", out, err)
	}
	for it := 0; b.Loop(); it++ {
		b.StopTimer()
		shift := time.Duration((it+1)%2) * time.Hour
		for i := range n {
			etags[i] = rad.put(b, fmt.Sprintf("/ana/work/bench-%d.ics", i), etags[i], ics(i, shift))
		}
		rad.front.take()
		b.StartTimer()
		out, err := da.Src.Sync(ctx, cal.ID)
		if err != nil || out.Result.Updated != n || out.Fetched != n {
			b.Fatalf("sync: %+v %v", out, err)
		}
	}
	perSync := b.Elapsed().Seconds() / float64(b.N)
	b.StopTimer()
	fetch := fetchSeconds(b, rad.front.URL, n, 5)
	var files [2]string
	for k := range files {
		evs := make([]string, n)
		for i := range n {
			evs[i] = ics(i, time.Duration(k)*time.Hour)
		}
		files[k] = joinCalendars(evs)
	}
	reimport := reimportSeconds(b, files, n, 5)
	b.ReportMetric(perSync*1000, "ms/change-set")
	b.ReportMetric(fetch*1000, "fetch-floor-ms")
	b.ReportMetric(perSync/fetch, "x-fetch-floor")
	b.ReportMetric(reimport*1000, "reimport-ms")
	b.ReportMetric(perSync/reimport, "x-reimport")
	// The two together: the server's time plus storing the change.
	b.ReportMetric(perSync/(fetch+reimport), "x-fetch+reimport")

	rad.front.take()
	out, err := da.Src.Sync(ctx, cal.ID)
	reqs := rad.front.take()
	if err != nil || !out.Unchanged || !slices.Equal(reqs, []string{"REPORT sync-collection 207"}) {
		b.Fatalf("unchanged sync: %+v %v %s", out, err, strings.Join(reqs, ", "))
	}
	b.ReportMetric(float64(len(reqs)), "requests/unchanged-poll")
}

// fetchSeconds is the mean time of runs fetches of ana's n bench objects
// through server, a hundred to a calendar-multiget as meetingd asks.
func fetchSeconds(b *testing.B, server string, n, runs int) float64 {
	cl, err := gocaldav.NewClient(webdav.HTTPClientWithBasicAuth(http.DefaultClient, anaUser, anaPass), server+"/")
	if err != nil {
		b.Fatal(err)
	}
	paths := make([]string, n)
	for i := range paths {
		paths[i] = fmt.Sprintf("/ana/work/bench-%d.ics", i)
	}
	start := time.Now()
	for range runs {
		got := 0
		for at := 0; at < n; at += 100 {
			objs, err := cl.MultiGetCalendar(context.Background(), "/ana/work/", &gocaldav.CalendarMultiGet{
				Paths:       paths[at:min(at+100, n)],
				CompRequest: gocaldav.CalendarCompRequest{Name: ical.CompCalendar, AllProps: true, AllComps: true}})
			if err != nil {
				b.Fatal(err)
			}
			got += len(objs)
		}
		if got != n {
			b.Fatalf("fetched %d objects, want %d", got, n)
		}
	}
	return time.Since(start).Seconds() / float64(runs)
}

// joinCalendars makes one ICS file of the events of single-event files.
func joinCalendars(files []string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Calendar App//EN\r\n")
	for _, f := range files {
		at, end := strings.Index(f, "BEGIN:VEVENT"), strings.LastIndex(f, "END:VEVENT\r\n")
		b.WriteString(f[at : end+len("END:VEVENT\r\n")])
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// reimportSeconds is the mean time of runs one-off re-imports of the same
// change of n events: files[0] imported (not timed), then files[1] over it.
func reimportSeconds(b *testing.B, files [2]string, n, runs int) float64 {
	var total time.Duration
	for range runs {
		a := apptest.New(b, t0)
		if _, err := a.Calendar.Import(context.Background(), strings.NewReader(files[0]), "bench", nil); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := a.Calendar.Import(context.Background(), strings.NewReader(files[1]), "bench", nil)
		total += time.Since(start)
		if err != nil || res.Updated != n {
			b.Fatalf("re-import: %+v %v", res, err)
		}
	}
	return total.Seconds() / float64(runs)
}
