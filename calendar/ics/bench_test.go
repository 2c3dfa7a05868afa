package ics

import (
	"bytes"
	"fmt"
	"strings"
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
