package calendar_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// genICS writes n single meetings of four people each, spread over the
// next 150 days from start.
func genICS(n int, start time.Time) []byte {
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
	return b.Bytes()
}

// BenchmarkImport10000 imports a 10,000-event ICS file into a fresh
// database: parse, series, occurrences, attendees, notes sections and
// every scheduled step, in one transaction.
func BenchmarkImport10000(b *testing.B) {
	data := genICS(10000, t0.Add(24*time.Hour))
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ta := newTestApp(b, "", t0)
		b.StartTimer()
		res, err := ta.Calendar.Import(context.Background(), bytes.NewReader(data), "bench", nil)
		if err != nil || res.Created != 10000 {
			b.Fatalf("import: %+v %v", res, err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "events/s")
}
