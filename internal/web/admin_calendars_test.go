package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// An uploaded ICS file is imported in the background; its page reloads
// itself (no JavaScript) until the import is done, then shows what it did,
// and the meetings appear. A bad file is refused with a clear message and
// nothing is stored.
func TestAdminUploadShowsProgress(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ops := ta.signIn(t, "ops@example.com")
	csrf := ta.csrfOf(t, ops)
	code, body := ta.page(t, ops, "/admin/calendars")
	if code != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, "Google Calendar is not configured") {
		t.Fatalf("calendars page: %d\n%s", code, body)
	}
	before := ta.counts(t)
	for _, c := range []struct {
		name, ics string
		status    int
		says      string
	}{
		{"team", "", 400, "choose an ICS file"},
		{"", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", 400, "name is required"},
		{"team", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:2026-13-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 400, "line 5"},
	} {
		resp := ta.upload(t, ops, csrf, c.name, c.ics)
		if body := readAll(resp); resp.StatusCode != c.status || !strings.Contains(body, c.says) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("upload %q: %d, want %d saying %q\n%s", c.name, resp.StatusCode, c.status, c.says, body)
		}
	}
	huge := ta.upload(t, ops, csrf, "team", "BEGIN:VCALENDAR\r\n"+strings.Repeat("X-PAD:xxxxxxxxxxxxxxxxxxxxxxxx\r\n", 34<<15))
	if body := readAll(huge); huge.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "may be up to 32 MB") {
		t.Errorf("a file over the limit: %d %s", huge.StatusCode, body)
	}
	if got := ta.counts(t); got != before {
		t.Fatalf("a refused upload stored something: %s, was %s", got, before)
	}

	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261110T100000Z\r\nDTEND:20261110T110000Z\r\n" +
		"SUMMARY:Quarterly review\r\nORGANIZER:mailto:ana@example.com\r\nATTENDEE:mailto:ben@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	resp := ta.upload(t, ops, csrf, "team", ics)
	where := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/admin/calendars/imports/\d+$`).MatchString(where) {
		t.Fatalf("upload: %d %q %s", resp.StatusCode, where, readAll(resp))
	}
	refresh := `<meta http-equiv="refresh" content="2">`
	if code, body := ta.page(t, ops, where); code != 200 || !strings.Contains(body, refresh) || !strings.Contains(body, "queued") {
		t.Fatalf("progress before the import ran: %d\n%s", code, body)
	}
	ta.RunDue()
	code, body = ta.page(t, ops, where)
	if code != 200 || strings.Contains(body, refresh) || !strings.Contains(body, "1 of 1 events stored") ||
		!strings.Contains(body, `data-label="Created">1<`) {
		t.Fatalf("progress after the import ran: %d\n%s", code, body)
	}
	if _, body := ta.page(t, ops, "/meetings"); !strings.Contains(body, "Quarterly review") {
		t.Errorf("the imported meeting is not on the meetings page:\n%s", body)
	}
	if code, _ := ta.page(t, ops, "/admin/calendars/imports/999"); code != http.StatusNotFound {
		t.Errorf("no such import: %d", code)
	}
}
