package calendar_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/internal/apptest"
)

// seriesICS writes n events: every third a weekly series with an EXDATE
// and a moved instance, the rest single meetings, with overlapping people.
func seriesICS(n int, start time.Time) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
	for i := range n {
		at := start.Add(time.Duration(i%500) * time.Hour)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:s%d\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Meeting %d\r\n", i,
			at.Format("20060102T150405Z"), at.Add(time.Hour).Format("20060102T150405Z"), i)
		if i%3 == 0 {
			fmt.Fprintf(&b, "RRULE:FREQ=WEEKLY;COUNT=6\r\nEXDATE:%s\r\n", at.AddDate(0, 0, 14).Format("20060102T150405Z"))
		}
		fmt.Fprintf(&b, "ORGANIZER;CN=Org %d:mailto:org%d@example.com\r\nATTENDEE;CN=P %d:mailto:p%d@example.com\r\n"+
			"ATTENDEE:mailto:p%d@example.com\r\nEND:VEVENT\r\n", i%7, i%7, i%30, i%30, (i+11)%30)
		if i%3 == 0 {
			fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:s%d\r\nRECURRENCE-ID:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Moved %d\r\n"+
				"ORGANIZER:mailto:org%d@example.com\r\nATTENDEE:mailto:p%d@example.com\r\nEND:VEVENT\r\n", i,
				at.AddDate(0, 0, 7).Format("20060102T150405Z"), at.AddDate(0, 0, 8).Format("20060102T150405Z"),
				at.AddDate(0, 0, 8).Add(time.Hour).Format("20060102T150405Z"), i, i%7, (i+3)%30)
		}
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

// A file read again to be stored, as a large one is, stores the same rows
// as one kept decoded from its check, and reports the same progress.
func TestImportReadTwiceStoresTheSame(t *testing.T) {
	data := seriesICS(900, t0.Add(48*time.Hour))
	kept, keptProgress := importedRows(t, data)
	restore := calendar.ReadTwice()
	defer restore()
	again, againProgress := importedRows(t, data)
	if !reflect.DeepEqual(kept, again) {
		t.Error("a file read twice stored other rows than one kept decoded")
	}
	if !reflect.DeepEqual(keptProgress, againProgress) || len(keptProgress) < 5 {
		t.Errorf("progress %v read twice, %v kept", againProgress, keptProgress)
	}
}

// importedRows imports data into a new app and returns what it stored
// and the progress it reported.
func importedRows(t *testing.T, data []byte) (map[string][][]any, []string) {
	t.Helper()
	a := apptest.New(t, t0)
	var progress []string
	res, err := a.Calendar.Import(context.Background(), bytes.NewReader(data), "team", func(done, total int) {
		progress = append(progress, fmt.Sprintf("%d/%d", done, total))
	})
	if err != nil || res.Created == 0 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	rows := map[string][][]any{}
	for _, table := range []string{"people", "series", "notes_docs", "occurrences", "notes_sections", "attendees", "jobs", "imports"} {
		r, err := a.DB.Queryx(`SELECT * FROM ` + table + ` ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			row, err := r.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			rows[table] = append(rows[table], row)
		}
		r.Close()
	}
	return rows, progress
}

// An import read twice that fails while storing stops reading and says
// why.
func TestImportReadTwiceStopsOnFailure(t *testing.T) {
	restore := calendar.ReadTwice()
	defer restore()
	a := apptest.New(t, t0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := a.Calendar.Import(ctx, bytes.NewReader(seriesICS(900, t0.Add(48*time.Hour))), "team", func(done, total int) {
		cancel() // after the first transaction
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("import err %v, want it cancelled", err)
	}
}
