package calendar_test

import (
	"bytes"
	"context"
	"fmt"
	"meetingd/internal/apptest"
	"meetingd/internal/floor"
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
// every scheduled step. Beside it, the floor: raw SQLite inserting as many
// rows as the import stored, one statement each, 200 events' worth to a
// transaction as the import commits them (x-floor). And beside that, the
// same raw inserts of the very rows the import stored, into the same
// tables with their indexes and foreign keys (x-same-tables): what the
// schema costs, apart from what meetingd adds.
func BenchmarkImport10000(b *testing.B) {
	const n = 10000
	data := genICS(n, t0.Add(24*time.Hour))
	b.SetBytes(int64(len(data)))
	rows, path := 0, ""
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ta := newTestApp(b, "", t0)
		b.StartTimer()
		res, err := ta.Calendar.Import(context.Background(), bytes.NewReader(data), "bench", nil)
		if err != nil || res.Created != n {
			b.Fatalf("import: %+v %v", res, err)
		}
		b.StopTimer()
		rows, path = storedRows(b, ta), ta.DB.DSN()
		b.StartTimer()
	}
	events := float64(n*b.N) / b.Elapsed().Seconds()
	b.StopTimer()
	floorRows := floor.SQLiteRows(b, rows, rows*200/n, 6)
	floorEvents := floorRows * n / float64(rows)
	b.ReportMetric(events, "events/s")
	b.ReportMetric(floorEvents, "floor-events/s")
	b.ReportMetric(events/floorEvents, "x-floor")
	b.ReportMetric(float64(rows)/n, "rows/event")
	sameEvents := floor.SQLiteSameRows(b, path, importTables, rows*200/n) * n / float64(rows)
	b.ReportMetric(events/sameEvents, "x-same-tables")
}

// importTables are the tables an import writes, parents first.
var importTables = []string{"people", "series", "notes_docs", "occurrences", "notes_sections", "attendees", "jobs"}

// storedRows counts the rows an import wrote.
func storedRows(b *testing.B, ta *apptest.App) int {
	total := 0
	for _, t := range importTables {
		var c int
		if err := ta.DB.Get(&c, "SELECT count(*) FROM "+t); err != nil {
			b.Fatal(err)
		}
		total += c
	}
	return total
}
