package ics

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchCalendar is a Google-style export of n events: every fourth a
// weekly series, the rest single meetings, all in Europe/Berlin.
func benchCalendar(n int) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nPRODID:-//meetingd//bench//EN\r\nVERSION:2.0\r\nX-WR-CALNAME:Bench\r\nX-WR-TIMEZONE:Europe/Berlin\r\n")
	start := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	for i := range n {
		day := start.AddDate(0, 0, i%80)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:bench-%d@example.com\r\nDTSTAMP:20240101T000000Z\r\n", i)
		fmt.Fprintf(&b, "DTSTART;TZID=Europe/Berlin:%s\r\nDTEND;TZID=Europe/Berlin:%s\r\n",
			day.Add(time.Duration(i%8)*time.Hour).Format("20060102T150405"),
			day.Add(time.Duration(i%8)*time.Hour+45*time.Minute).Format("20060102T150405"))
		if i%4 == 0 {
			b.WriteString("RRULE:FREQ=WEEKLY;UNTIL=20241231T235959Z\r\n")
			fmt.Fprintf(&b, "EXDATE;TZID=Europe/Berlin:%s\r\n", day.AddDate(0, 0, 14).Add(time.Duration(i%8)*time.Hour).Format("20060102T150405"))
		}
		fmt.Fprintf(&b, "SUMMARY:Meeting %d\r\nDESCRIPTION:Agenda for meeting %d\\, see the doc.\\nhttps://docs.example.com/m/%d\r\n", i, i, i)
		fmt.Fprintf(&b, "ORGANIZER;CN=Organizer %d:mailto:org%d@example.com\r\n", i%50, i%50)
		for a := range 3 {
			fmt.Fprintf(&b, "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Person %d\r\n ;X-NUM-GUESTS=0:mailto:p%d@example.com\r\n", (i+a)%200, (i+a)%200)
		}
		b.WriteString("STATUS:CONFIRMED\r\nSEQUENCE:0\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

func BenchmarkParseICS10000(b *testing.B) {
	data := benchCalendar(10000)
	opt := Options{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		cal, err := Parse(bytes.NewReader(data), opt)
		if err != nil {
			b.Fatal(err)
		}
		if len(cal.Series) != 10000 {
			b.Fatalf("got %d series", len(cal.Series))
		}
	}
}

// meetingsICS writes n single meetings of four people each (an organizer
// and three attendees), spread over the 150 days from start: the shape of
// genICS in calendar/import_bench_test.go, some 430 bytes an event.
func meetingsICS(n int, start time.Time) []byte {
	var b bytes.Buffer
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//meetingd//bench//EN\r\n")
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i%3600) * time.Hour)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:bench-%d@example.com\r\nDTSTAMP:20261001T000000Z\r\n", i)
		fmt.Fprintf(&b, "DTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Meeting %d\r\n", at.Format("20060102T150405Z"), at.Add(time.Hour).Format("20060102T150405Z"), i)
		fmt.Fprintf(&b, "ORGANIZER;CN=Org %d:mailto:org%d@example.com\r\n", i%50, i%50)
		for j := 0; j < 3; j++ {
			fmt.Fprintf(&b, "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:p%d@example.com\r\n", (i+j*7)%400)
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return bytes.Clone(b.Bytes()) // no spare capacity: the file as a caller holds it
}

var bench100kStart = time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)

// bench100k is the 100,000-meeting file (43 MB) and a window holding all of it.
func bench100k(b *testing.B) ([]byte, Options) {
	data := meetingsICS(100_000, bench100kStart)
	b.SetBytes(int64(len(data)))
	return data, Options{From: bench100kStart.AddDate(0, 0, -1), To: bench100kStart.AddDate(0, 0, 200)}
}

// heapPeak samples HeapInuse until stopped, for a benchmark to report the
// peak. The file itself, which the caller holds, is part of it.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			h.peak = max(h.peak, ms.HeapInuse)
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// report stops sampling and reports the peak in MB.
func (h *heapPeak) report(b *testing.B) {
	close(h.stop)
	h.done.Wait()
	b.ReportMetric(float64(h.peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkScan100k scans the 100,000-meeting file, keeping nothing, as an
// import that stores each series as it comes. Its peak heap is the file
// and little more; compare BenchmarkParse100k.
func BenchmarkScan100k(b *testing.B) {
	data, opt := bench100k(b)
	b.ReportAllocs()
	h := startHeapPeak()
	b.ResetTimer()
	for range b.N {
		n := 0
		err := Scan(data, opt, func(s Series) error {
			n += len(s.Events)
			return nil
		})
		if err != nil || n != 100_000 {
			b.Fatalf("%d events, %v", n, err)
		}
	}
	b.StopTimer()
	h.report(b)
}

func BenchmarkParse100k(b *testing.B) {
	data, opt := bench100k(b)
	b.ReportAllocs()
	h := startHeapPeak()
	b.ResetTimer()
	for range b.N {
		cal, err := Parse(bytes.NewReader(data), opt)
		if err != nil || len(cal.Series) != 100_000 {
			b.Fatalf("%v", err)
		}
	}
	b.StopTimer()
	h.report(b)
}
