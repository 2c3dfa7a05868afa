package db

import (
	"strings"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// driverParse is what go-sqlite3 does with a TIMESTAMP column's text.
func driverParse(s string) time.Time {
	s = strings.TrimSuffix(s, "Z")
	for _, format := range sqlite3.SQLiteTimestampFormats {
		if t, err := time.ParseInLocation(format, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// The positional parse gives exactly the driver's time, location included,
// for the stored format and everything near it.
func TestParseSQLiteTimeIsTheDriversParse(t *testing.T) {
	in := []string{
		"2026-11-02 10:00:00+00:00", "2026-11-02 10:00:00.5+00:00", "2026-11-02 10:00:00.123456789+00:00",
		"2026-11-02 10:00:00.000001+00:00", "2024-02-29 23:59:59.999+00:00", "0001-01-01 00:00:00+00:00",
		"2026-11-02 10:00:00+02:00", "2026-11-02 10:00:00-07:30", "2026-11-02T10:00:00+00:00", "2026-11-02 10:00:00Z",
		"2026-11-02 10:00:00", "2026-11-02 10:00", "2026-11-02", "2026-04-31 10:00:00+00:00", "2025-02-29 10:00:00+00:00",
		"2026-11-02 24:00:00+00:00", "2026-11-02 10:60:00+00:00", "2026-13-02 10:00:00+00:00", "2026-00-02 10:00:00+00:00",
		"2026-11-00 10:00:00+00:00", "2026-11-02 10:00:00.+00:00", "2026-11-02 10:00:00.1234567890+00:00",
		"2026-11-02 10:00:0a+00:00", "2026/11/02 10:00:00+00:00", "garbage", "", "+00:00", "2026-11-02 10:00:00.12x+00:00",
		"-026-11-02 10:00:00+00:00", "2026-11-02 10:00:00,5+00:00",
	}
	for _, s := range in {
		got, want := parseSQLiteTime(s), driverParse(s)
		gotZone, gotOff := got.Zone()
		wantZone, wantOff := want.Zone()
		// A parsed offset is a new *Location each time: compare what it says.
		same := got.Equal(want) && gotZone == wantZone && gotOff == wantOff && got.Location().String() == want.Location().String()
		if want.Location() == time.UTC {
			same = got == want
		}
		if !same {
			t.Errorf("%q: got %v (%v), want %v (%v)", s, got, got.Location(), want, want.Location())
		}
	}
	// And it takes the fast path for what the driver stores.
	stored := time.Date(2026, 11, 2, 10, 0, 0, 120_000, time.UTC).Format(sqlite3.SQLiteTimestampFormats[0])
	if _, ok := parseStoredUTC(stored); !ok {
		t.Errorf("%q: not parsed by position", stored)
	}
}

// Time takes what either driver hands over, as go-sqlite3 would.
func TestTimeScans(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 5, time.UTC)
	for _, v := range []any{at, at.Format(sqlite3.SQLiteTimestampFormats[0]), []byte(at.Format(sqlite3.SQLiteTimestampFormats[0]))} {
		var got Time
		if err := got.Scan(v); err != nil || !got.Valid || got.Time != at || *got.Ptr() != at {
			t.Errorf("%T: got %v %v, %v", v, got.Time, got.Valid, err)
		}
	}
	for _, v := range []int64{1_793_613_600, 1_793_613_600_123, -5} {
		var got Time
		want := time.Unix(v, 0).UTC()
		if v > 1e12 {
			want = time.UnixMilli(v).UTC()
		}
		if err := got.Scan(v); err != nil || got.Time != want {
			t.Errorf("%d: got %v, %v; want %v", v, got.Time, err, want)
		}
	}
	var null Time
	if err := null.Scan(nil); err != nil || null.Valid || null.Ptr() != nil {
		t.Errorf("NULL: got %+v, %v", null, err)
	}
	if err := null.Scan(4.2); err == nil {
		t.Error("a float scanned as a time")
	}
}

// On SQLite, TimeText hands Time the stored text, which is what makes the
// positional parse run; the column itself still comes as a time.Time.
func TestTimeTextReadsTheStoredText(t *testing.T) {
	d, err := OpenNoMigrate(t.TempDir() + "/t.db")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	at := time.Date(2026, 11, 2, 10, 0, 0, 120_000_000, time.UTC)
	d.MustExec(`CREATE TABLE t (at TIMESTAMP NOT NULL)`)
	d.MustExec(`INSERT INTO t (at) VALUES (?)`, at)
	var text, plain any
	if err := d.QueryRow(`SELECT `+TimeText(d, "at")+`, at FROM t`).Scan(&text, &plain); err != nil {
		t.Fatal(err)
	}
	if _, ok := text.(string); !ok {
		t.Errorf("TimeText read a %T, not the text", text)
	}
	if _, ok := plain.(time.Time); !ok {
		t.Errorf("the column read a %T, not a time", plain)
	}
	// Whatever a row holds, Time reads what the driver reads.
	for _, v := range []any{at, at.In(time.FixedZone("", 5*3600)), int64(1_793_613_600), int64(1_793_613_600_123),
		"2026-11-02 10:00:00", "2026-11-02T10:00:00.5Z", "nonsense"} {
		d.MustExec(`DELETE FROM t`)
		d.MustExec(`INSERT INTO t (at) VALUES (?)`, v)
		var got Time
		var want time.Time
		if err := d.QueryRow(`SELECT `+TimeText(d, "at")+`, at FROM t`).Scan(&got, &want); err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if !got.Time.Equal(want) || got.Time.Location().String() != want.Location().String() {
			t.Errorf("%v: got %v, the driver %v", v, got.Time, want)
		}
	}
}
