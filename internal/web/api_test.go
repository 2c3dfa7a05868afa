package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// A meeting of ana (organizer), ben and cy, two days after t0.
func seedMeeting(t *testing.T, ta *testApp) int64 {
	t.Helper()
	var out map[string]any
	tok := ta.Token("ana@example.com")
	body := map[string]any{"title": "Roadmap", "start": t0.Add(48 * time.Hour), "end": t0.Add(49 * time.Hour),
		"time_zone": "Europe/Berlin", "attendees": []map[string]string{{"email": "ben@example.com"}, {"email": "cy@example.com", "role": "speaker"}}}
	if code := ta.Call("POST", "/api/v1/events", tok, "", body, &out); code != 201 {
		t.Fatalf("create event: %d %v", code, out)
	}
	var id int64
	ta.DB.Get(&id, `SELECT id FROM occurrences`)
	// The answer names the occurrences it made, so the caller can act on them.
	if occs, _ := out["occurrences"].([]any); len(occs) != 1 || int64(occs[0].(float64)) != id {
		t.Fatalf("create event answered occurrences %v, want [%d]", out["occurrences"], id)
	}
	return id
}

// TestAPIRefusesBadInput sends every endpoint input it must refuse and
// checks the status, the one error shape, a message naming the problem,
// and that nothing stored changed.
func TestAPIRefusesBadInput(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ana, ben, ops := ta.Token("ana@example.com"), ta.Token("ben@example.com"), ta.Token("ops@example.com")
	stranger := ta.Token("zed@example.com")
	o := func(p string) string { return fmt.Sprintf("/api/v1/occurrences/%d%s", occ, p) }
	big := `{"pre_read":"` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		name, method, path, token, ctype string
		body                             any
		status                           int
		code, says                       string
	}{
		{"no token", "GET", "/api/v1/occurrences", "", "", nil, 401, "unauthorized", "sign-in required"},
		{"bad token", "GET", "/api/v1/occurrences", "mtd_nope", "", nil, 401, "unauthorized", "not valid"},
		{"no such endpoint", "GET", "/api/v1/nothing", ana, "", nil, 404, "not_found", "no API endpoint"},
		{"list bad limit", "GET", "/api/v1/occurrences?limit=0", ana, "", nil, 400, "invalid", "limit"},
		{"list bad from", "GET", "/api/v1/occurrences?from=tomorrow", ana, "", nil, 400, "invalid", "from"},
		{"list bad cursor", "GET", "/api/v1/occurrences?cursor=zz", ana, "", nil, 400, "invalid", "cursor"},
		{"get bad id", "GET", "/api/v1/occurrences/abc", ana, "", nil, 400, "invalid", "not a valid id"},
		{"get missing", "GET", "/api/v1/occurrences/999", ana, "", nil, 404, "not_found", "no occurrence 999"},
		{"get not invited", "GET", o(""), stranger, "", nil, 404, "not_found", "no occurrence"},
		{"publish not JSON", "POST", o("/publish"), ana, "application/json", "{pre_read:", 400, "invalid", "not valid JSON"},
		{"publish wrong type", "POST", o("/publish"), ana, "", map[string]any{"pre_read": 7}, 400, "invalid", "pre_read"},
		{"publish unknown field", "POST", o("/publish"), ana, "", map[string]any{"text": "x"}, 400, "invalid", "unknown field \"text\""},
		{"publish too large", "POST", o("/publish"), ana, "application/json", big, 413, "too_large", "over"},
		{"publish by optional attendee", "POST", o("/publish"), ben, "", map[string]any{"pre_read": "x"}, 403, "forbidden", "organizer"},
		{"publish not invited", "POST", o("/publish"), stranger, "", map[string]any{"pre_read": "x"}, 404, "not_found", "no occurrence"},
		{"notes wrong content type", "PATCH", o("/notes"), ana, "text/plain", "agenda", 400, "invalid", "Content-Type"},
		{"notes empty body", "PATCH", o("/notes"), ana, "application/json", "", 400, "invalid", "empty"},
		{"attendance bad value", "PUT", o("/attendance"), ana, "", map[string]any{"email": "ben@example.com", "attendance": "maybe"}, 400, "invalid", "present, absent, async"},
		{"attendance nothing", "PUT", o("/attendance"), ana, "", map[string]any{"email": "ben@example.com"}, 400, "invalid", "give attendance"},
		{"attendance of stranger", "PUT", o("/attendance"), ana, "", map[string]any{"email": "zed@example.com", "attendance": "present"}, 400, "invalid", "not invited"},
		{"attendance of others", "PUT", o("/attendance"), ben, "", map[string]any{"email": "cy@example.com", "attendance": "present"}, 403, "forbidden", "organizer"},
		{"recording bad url", "PUT", o("/recording"), ana, "", map[string]any{"url": "ftp://x"}, 400, "invalid", "http(s)"},
		{"action item no owner", "POST", o("/action-items"), ana, "", map[string]any{"text": "x", "due": t0.Add(time.Hour)}, 400, "invalid", "owner is required"},
		{"action item no due", "POST", o("/action-items"), ana, "", map[string]any{"text": "x", "owner": "ben@example.com"}, 400, "invalid", "due is required"},
		{"action item past due", "POST", o("/action-items"), ana, "", map[string]any{"text": "x", "owner": "ben@example.com", "due": t0.Add(-time.Hour)}, 400, "invalid", "in the past"},
		{"action item bad date", "POST", o("/action-items"), ana, "", map[string]any{"text": "x", "owner": "ben@example.com", "due": "friday"}, 400, "invalid", "request body"},
		{"me bad zone", "PATCH", "/api/v1/me", ana, "", map[string]any{"time_zone": "Mars/Olympus"}, 400, "invalid", "IANA"},
		{"me bad hours", "PATCH", "/api/v1/me", ana, "", map[string]any{"work_start": "18:00", "work_end": "09:00"}, 400, "invalid", "work_end must be after"},
		{"me bad day", "PATCH", "/api/v1/me", ana, "", map[string]any{"work_days": []string{"funday"}}, 400, "invalid", "funday"},
		{"event no title", "POST", "/api/v1/events", ana, "", map[string]any{"start": t0, "end": t0.Add(time.Hour)}, 400, "invalid", "title is required"},
		{"event ends first", "POST", "/api/v1/events", ana, "", map[string]any{"title": "x", "start": t0, "end": t0.Add(-time.Hour)}, 400, "invalid", "not after start"},
		{"event bad zone", "POST", "/api/v1/events", ana, "", map[string]any{"title": "x", "start": t0, "end": t0.Add(time.Hour), "time_zone": "CEST+2"}, 400, "invalid", "time_zone"},
		{"event bad attendee", "POST", "/api/v1/events", ana, "", map[string]any{"title": "x", "start": t0, "end": t0.Add(time.Hour), "attendees": []map[string]string{{"email": "bob"}}}, 400, "invalid", "attendees[0].email"},
		{"event bad role", "POST", "/api/v1/events", ana, "", map[string]any{"title": "x", "start": t0, "end": t0.Add(time.Hour), "attendees": []map[string]string{{"email": "b@example.com", "role": "boss"}}}, 400, "invalid", "attendees[0].role"},
		{"event bad rrule", "POST", "/api/v1/events", ana, "", map[string]any{"title": "x", "start": t0, "end": t0.Add(time.Hour), "recurrence": []string{"RRULE:FREQ=SOMETIMES"}}, 400, "invalid", "recurrence"},
		{"event for someone else", "POST", "/api/v1/events", ben, "", map[string]any{"title": "x", "start": t0, "end": t0.Add(time.Hour), "organizer": "ana@example.com"}, 403, "forbidden", "organize"},
		{"update missing event", "PUT", "/api/v1/events/nope", ana, "", map[string]any{"title": "x"}, 404, "not_found", "no event"},
		{"cancel others' event", "DELETE", "/api/v1/events/" + ta.eventUID(t), ben, "", nil, 404, "not_found", "no event"},
		{"import not operator", "POST", "/api/v1/import?name=x", ana, "text/calendar", "BEGIN:VCALENDAR", 403, "forbidden", "operators"},
		{"import no name", "POST", "/api/v1/import", ops, "text/calendar", "BEGIN:VCALENDAR", 400, "invalid", "name is required"},
		{"import wrong type", "POST", "/api/v1/import?name=x", ops, "application/json", "{}", 400, "invalid", "text/calendar"},
		{"import malformed", "POST", "/api/v1/import?name=x", ops, "text/calendar", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:2026-13-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 400, "invalid", "line 5"},
		{"schedule not operator", "GET", "/api/v1/schedule", ana, "", nil, 403, "forbidden", "operators"},
		{"outbox of others", "GET", "/api/v1/outbox?to=ben@example.com", ana, "", nil, 403, "forbidden", "operators"},
		{"outbox bad cursor", "GET", "/api/v1/outbox?cursor=-1", ops, "", nil, 400, "invalid", "cursor"},
	}
	before := snapshot(t, ta)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e apiError
			status := ta.Call(c.method, c.path, c.token, c.ctype, c.body, &e)
			if status != c.status || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.says) {
				t.Errorf("%s %s: %d %q %q; want %d %q and a message with %q", c.method, c.path, status, e.Error.Code, e.Error.Message, c.status, c.code, c.says)
			}
		})
	}
	if after := snapshot(t, ta); after != before {
		t.Errorf("refused requests changed what is stored:\nbefore %s\nafter  %s", before, after)
	}
}

func (ta *testApp) eventUID(t *testing.T) string {
	var uid string
	ta.DB.Get(&uid, `SELECT uid FROM local_events LIMIT 1`)
	return uid
}

// snapshot summarises what is stored, to show nothing changed.
func snapshot(t *testing.T, ta *testApp) string {
	t.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT COUNT(*) FROM occurrences`, `SELECT COUNT(*) FROM series`, `SELECT COUNT(*) FROM calendars`,
		`SELECT COUNT(*) FROM outbox`, `SELECT COUNT(*) FROM action_items`, `SELECT COUNT(*) FROM jobs WHERE state = 'pending'`,
		`SELECT pre_read_state || recording_url FROM occurrences LIMIT 1`, `SELECT string_agg(attendance || rsvp, ',' ORDER BY occurrence_id, person_id) FROM attendees`,
		`SELECT pre_read || agenda FROM notes_sections LIMIT 1`, `SELECT string_agg(time_zone || work_start || work_end || work_days, ',' ORDER BY id) FROM people`,
	} {
		var s string
		if err := ta.DB.Get(&s, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

// An ICS file posted to the API is imported in the background: 202 with
// where to follow it, then its progress and result.
func TestImportRunsInTheBackground(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ops := ta.Token("ops@example.com")
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261110T100000Z\r\nDTEND:20261110T110000Z\r\n" +
		"SUMMARY:Review\r\nORGANIZER:mailto:ana@example.com\r\nATTENDEE:mailto:ben@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	var st struct {
		ID          int64
		State       string
		Total, Done int
		Created     int
	}
	if code := ta.Call("POST", "/api/v1/import?name=team", ops, "text/calendar", ics, &st); code != 202 || st.State != "queued" {
		t.Fatalf("import: %d %+v", code, st)
	}
	path := fmt.Sprintf("/api/v1/imports/%d", st.ID)
	if code := ta.Call("GET", path, ta.Token("ben@example.com"), "", nil, nil); code != 403 {
		t.Fatalf("a non-operator read an import: %d", code)
	}
	ta.RunDue()
	if code := ta.Call("GET", path, ops, "", nil, &st); code != 200 || st.State != "done" || st.Total != 1 || st.Done != 1 || st.Created != 1 {
		t.Fatalf("after the import ran: %d %+v", code, st)
	}
}
