package db

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Reading a TIMESTAMP column, go-sqlite3 parses its text with the general
// time.Parse, format after format: on busy lists, a tenth of the CPU. The
// stored text is always the driver's own first format, so a list can read
// it as text (TimeText) and parse it by position (Time.Scan), falling back
// to the driver's own parsing for anything else. PostgreSQL hands over
// times as they are, which Time.Scan takes too.

// TimeText is the SQL that reads the timestamp column col as q's driver
// should hand it to Time: on SQLite, its stored text (a unary plus is a
// no-op that hides the column's declared type from the driver); on
// PostgreSQL, the column. For select lists only: ORDER BY and WHERE name
// the column itself, so indexes still serve them.
func TimeText(q interface{ DriverName() string }, col string) string {
	if onPostgres(q) {
		return col
	}
	return "+" + col
}

// Time scans a timestamp, NULL or not, read through TimeText.
type Time struct {
	Time  time.Time
	Valid bool // not NULL
}

var _ sql.Scanner = (*Time)(nil)

// Scan takes a time.Time (PostgreSQL, or a column read without TimeText),
// or the text or integer SQLite stored, read as go-sqlite3 would read it.
func (t *Time) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*t = Time{}
	case time.Time:
		*t = Time{Time: v, Valid: true}
	case string:
		*t = Time{Time: parseSQLiteTime(v), Valid: true}
	case []byte:
		*t = Time{Time: parseSQLiteTime(string(v)), Valid: true}
	case int64:
		*t = Time{Time: sqliteUnixTime(v), Valid: true}
	default:
		return fmt.Errorf("timestamp: cannot scan %T", v)
	}
	return nil
}

// Ptr is the time, or nil for NULL.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// sqliteUnixTime is what go-sqlite3 makes of a TIMESTAMP column holding an
// integer: Unix milliseconds when it has 13 digits or more, else seconds.
func sqliteUnixTime(v int64) time.Time {
	if v > 1e12 || v < -1e12 {
		return time.Unix(0, v*int64(time.Millisecond)).UTC()
	}
	return time.Unix(v, 0).UTC()
}

// parseSQLiteTime parses s as go-sqlite3 parses a TIMESTAMP column's text
// (its connections set no _loc): by position when s is in the driver's
// storage format with a zero offset, "2006-01-02 15:04:05.999999999+00:00",
// and otherwise through the driver's formats in turn, the zero time if
// none fits.
func parseSQLiteTime(s string) time.Time {
	if t, ok := parseStoredUTC(s); ok {
		return t
	}
	s = strings.TrimSuffix(s, "Z")
	for _, format := range sqlite3.SQLiteTimestampFormats {
		if t, err := time.ParseInLocation(format, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// parseStoredUTC parses "2006-01-02 15:04:05[.f…]+00:00" with 1 to 9
// fraction digits; ok is false for anything else, or a date or time out
// of range, which the caller leaves to time.Parse.
func parseStoredUTC(s string) (time.Time, bool) {
	const zone = "+00:00"
	if len(s) < len("2006-01-02 15:04:05")+len(zone) || !strings.HasSuffix(s, zone) {
		return time.Time{}, false
	}
	s = s[:len(s)-len(zone)]
	ok := true
	num := func(part string) int {
		n := 0
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				ok = false
				return 0
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	if s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	y, mo, d := num(s[0:4]), num(s[5:7]), num(s[8:10])
	h, mi, sec := num(s[11:13]), num(s[14:16]), num(s[17:19])
	ns := 0
	if frac := s[19:]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		ns = num(frac[1:])
		for i := len(frac) - 1; i < 9; i++ {
			ns *= 10
		}
	}
	if !ok {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	// time.Date normalizes what time.Parse refuses (a 31st of April, an
	// hour 24): those take the slow path and its verdict.
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d || t.Hour() != h || t.Minute() != mi || t.Second() != sec {
		return time.Time{}, false
	}
	return t, true
}
