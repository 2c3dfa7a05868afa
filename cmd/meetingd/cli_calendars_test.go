package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"meetingd/internal/clock"
)

// An operator subscribes to a calendar, lists it (its URL redacted),
// asks for a poll and removes it; mistakes are refused with what is wrong.
func TestCLICalendars(t *testing.T) {
	cliClock = clock.NewFake(octT0)
	defer func() { cliClock = clock.Real{} }()
	dbPath := tempDB(t)
	const secret = "c2VjcmV0LWtleQ"
	url := "webcal://outlook.example.com/owa/calendar/" + secret + "/reachcalendar.ics"
	do := func(args ...string) (string, error) {
		t.Helper()
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"calendar", args[0], "--db", dbPath}, args[1:]...), &out, &errb)
		return out.String() + errb.String(), err
	}
	out, err := do("subscribe", "--name", "team", "--every", "15m", url)
	if err != nil || !strings.Contains(out, "subscribed team") || strings.Contains(out, secret) {
		t.Fatalf("subscribe: %s %v", out, err)
	}
	out, err = do("list")
	if err != nil || !strings.Contains(out, "ics") || !strings.Contains(out, "webcal://outlook.example.com/…#") ||
		!strings.Contains(out, "15m0s") || strings.Contains(out, secret) {
		t.Fatalf("list:\n%s %v", out, err)
	}
	if out, err := do("sync", "team"); err != nil || !strings.Contains(out, "polled now") {
		t.Fatalf("sync: %s %v", out, err)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"subscribe", "--name", "x", "http://example.com/cal.ics"}, `scheme "http" is not https or webcal`},
		{[]string{"subscribe", url}, "name is required"},
		{[]string{"subscribe", "--name", "x"}, "takes one URL"},
		{[]string{"subscribe", "--name", "x", "--every", "5s", url}, "below the minimum"},
		{[]string{"caldav", "--name", "x", "--server", "https://caldav.example.com/", "--user", "ana"}, "--caldav-key"},
		{[]string{"caldav", "--name", "x", "--caldav-key", "abc", "--server", "https://caldav.example.com/", "--user", "ana"}, "64 hex digits"},
		{[]string{"sync", "nobody"}, `no ICS subscription or CalDAV calendar named "nobody"`},
		{[]string{"frob"}, "unknown calendar command"},
		{[]string{"list", "--calendar-poll", "10s"}, "--calendar-poll 10s is not between 1m0s and 24h0m0s"},
		{[]string{"list", "--ics-max-size", "10"}, "--ics-max-size 10 is below 1024 bytes"},
	} {
		t.Setenv("MEETINGD_CALDAV_PASSWORD", "pw")
		out, err := do(c.args...)
		if err == nil || !strings.Contains(errMessage(err)+out, c.says) {
			t.Errorf("%v: %v %s, want %q", c.args, err, out, c.says)
		}
	}
	if out, err := do("remove", "team"); err != nil || !strings.Contains(out, "no longer polled") {
		t.Fatalf("remove: %s %v", out, err)
	}
	if out, _ := do("list"); !strings.Contains(out, "(none)") {
		t.Fatalf("list after remove:\n%s", out)
	}
}
