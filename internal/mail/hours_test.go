package mail

import (
	"testing"
	"time"
)

func TestNextWorkingTime(t *testing.T) {
	berlin := Recipient{TimeZone: "Europe/Berlin", WorkStart: 9 * 60, WorkEnd: 17 * 60, WorkDays: 62}
	cases := []struct {
		name     string
		r        Recipient
		now, due string
	}{
		{"inside hours", berlin, "2026-11-03T10:00:00Z", "2026-11-03T10:00:00Z"},
		{"before hours", berlin, "2026-11-03T06:00:00Z", "2026-11-03T08:00:00Z"},
		{"after hours", berlin, "2026-11-03T17:00:00Z", "2026-11-04T08:00:00Z"},
		{"friday evening to monday", berlin, "2026-11-06T18:00:00Z", "2026-11-09T08:00:00Z"},
		{"across the end of summer time", berlin, "2026-10-24T12:00:00Z", "2026-10-26T08:00:00Z"},
		{"summer time", berlin, "2026-10-23T05:00:00Z", "2026-10-23T07:00:00Z"},
		{"no working days means now", Recipient{TimeZone: "UTC"}, "2026-11-07T03:00:00Z", "2026-11-07T03:00:00Z"},
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.now)
		want, _ := time.Parse(time.RFC3339, c.due)
		if got := NextWorkingTime(c.r, now); !got.Equal(want) {
			t.Errorf("%s: %s, want %s", c.name, got.UTC(), want)
		}
	}
	now, _ := time.Parse(time.RFC3339, "2026-11-03T10:00:00Z")
	if got := NextWorkdayStart(berlin, now); !got.Equal(time.Date(2026, 11, 4, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("next workday start: %s", got)
	}
}
