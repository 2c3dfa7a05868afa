package google_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	gcalendar "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"meetingd/calendar/google"
	"meetingd/calendar/google/googlefake"
	"meetingd/internal/people"
	"meetingd/meetings"
)

const ana = "ana@example.com"

// seedAna fills ana's calendar: a weekly planning with one instance moved
// and one cancelled, a private single review, and events that are not
// meetings (focus time, out of office, working location, all-day, alone,
// opted out, long past).
func seedAna(h *googleHarness) {
	weekly := meeting("weekly", "Planning", berlin(11, 3, 10, 0), time.Hour)
	weekly.Recurrence = []string{"RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10"}
	weekly.Description = "Weekly planning."
	weekly.Attendees[0].Optional = true // someone made the organizer optional: the policy undoes it
	weekly.Attendees[2].ResponseStatus = "tentative"
	weekly.Attendees = append(weekly.Attendees, &gcalendar.EventAttendee{Email: "room-1@resource.example.com",
		Resource: true, ResponseStatus: "accepted"})
	weekly.Attachments = []*gcalendar.EventAttachment{{FileUrl: "https://example.com/agenda.pdf", Title: "agenda.pdf", MimeType: "application/pdf"}}
	h.fake.PutEvent(ana, weekly)
	moved := h.fake.Instance(ana, "weekly", berlin(11, 10, 10, 0))
	moved.Start, moved.End = when(berlin(11, 11, 14, 0)), when(berlin(11, 11, 15, 0))
	h.fake.PutEvent(ana, moved)
	h.fake.CancelInstance(ana, "weekly", berlin(11, 17, 10, 0))

	review := meeting("review", "Design review", berlin(11, 5, 15, 0), time.Hour)
	review.Attendees = review.Attendees[:2]
	review.Visibility = "private"
	h.fake.PutEvent(ana, review)

	for id, typ := range map[string]string{"focus": "focusTime", "ooo": "outOfOffice", "wl": "workingLocation"} {
		e := meeting(id, id, berlin(11, 4, 9, 0), time.Hour)
		e.EventType = typ
		h.fake.PutEvent(ana, e)
	}
	offsite := meeting("offsite", "Offsite", berlin(11, 6, 0, 0), 0)
	offsite.Start, offsite.End = &gcalendar.EventDateTime{Date: "2026-11-06"}, &gcalendar.EventDateTime{Date: "2026-11-07"}
	h.fake.PutEvent(ana, offsite)
	solo := meeting("solo", "Think", berlin(11, 4, 11, 0), time.Hour)
	solo.Attendees = solo.Attendees[:1]
	h.fake.PutEvent(ana, solo)
	optout := meeting("optout", "Coffee", berlin(11, 4, 16, 0), time.Hour)
	optout.Description = "Just chat. " + meetings.OptOutMarker
	h.fake.PutEvent(ana, optout)
	h.fake.PutEvent(ana, meeting("old", "Kickoff", time.Date(2025, 1, 7, 10, 0, 0, 0, berlinTZ), time.Hour))
}

// synced is a harness after ana's first sync, settled.
func synced(t *testing.T, change func(*google.Config)) *googleHarness {
	t.Helper()
	h := newGoogleHarness(t, change)
	seedAna(h)
	h.settle()
	h.clean()
	return h
}

func TestGoogleFirstSyncAttachesOneDocPerSeries(t *testing.T) {
	h := newGoogleHarness(t, nil)
	seedAna(h)
	h.fake.SetPageSizes(1, 0, 2) // short and empty pages, and an empty last one
	h.settle()
	h.clean()

	lists := h.fake.Requests("calendar.events.list")
	if len(lists) < 8 {
		t.Fatalf("%d list calls; short pages should have made many", len(lists))
	}
	for i, r := range lists {
		q := r.Query
		if q.Get("maxResults") != "2500" || q.Get("singleEvents") != "false" {
			t.Errorf("list %d: maxResults=%q singleEvents=%q", i, q.Get("maxResults"), q.Get("singleEvents"))
		}
		for _, p := range notWithSyncTokenParams {
			if q.Has(p) {
				t.Errorf("list %d sends %s", i, p)
			}
		}
	}

	// The weekly series: nine occurrences (one of ten cancelled), the moved
	// one on its new day under its original start.
	occs := h.occurrences("weekly")
	if len(occs) != 9 {
		t.Fatalf("weekly has %d occurrences, want 9: %+v", len(occs), occs)
	}
	moved := h.occurrenceAt("weekly", berlin(11, 10, 10, 0))
	if !moved.Start.Equal(berlin(11, 11, 14, 0)) {
		t.Errorf("moved instance starts %s, want Wed 11 Nov 14:00 CET", moved.Start)
	}
	for _, o := range occs {
		if o.RID == berlin(11, 17, 10, 0).UTC().Format(time.RFC3339) {
			t.Errorf("the cancelled instance has an occurrence: %+v", o)
		}
	}
	rev := h.occurrenceAt("review", time.Time{})
	var private bool
	h.DB.Get(&private, `SELECT private FROM series WHERE id = ?`, rev.SeriesID)
	if !private {
		t.Error("visibility private did not make the series private")
	}
	for _, uid := range []string{"focus", "ooo", "wl", "offsite", "solo", "optout", "old"} {
		if n := len(h.occurrences(uid)); n != 0 {
			t.Errorf("%s: %d occurrences of something that is not a meeting", uid, n)
		}
	}
	if roles := h.attendeeRoles(moved.ID); roles[ana] != "organizer" || roles["ben@example.com"] != "optional" || len(roles) != 3 {
		t.Errorf("roles = %v (the room is not a person)", roles)
	}
	var rsvps []string
	h.DB.Select(&rsvps, `SELECT p.email || ' ' || a.rsvp FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? ORDER BY p.email`, occs[0].ID)
	if strings.Join(rsvps, ", ") != "ana@example.com accepted, ben@example.com needs_action, cy@example.com tentative" {
		t.Errorf("RSVPs %v", rsvps)
	}

	// One doc per series: copied, filled and sectioned in one batchUpdate,
	// attached in one patch; the weekly's moved instance, an exception with
	// attendees of its own, gets the attendance policy in one more.
	calls := h.fake.Calls()
	for m, want := range map[string]int{"drive.files.copy": 2, "docs.documents.batchUpdate": 2, "calendar.events.patch": 3,
		"drive.permissions.create": 3, "calendar.events.watch": 1, "drive.changes.watch": 1} {
		if calls[m] != want {
			t.Errorf("%s called %d times, want %d", m, calls[m], want)
		}
	}
	for _, uid := range []string{"weekly", "review"} {
		d := h.doc(uid)
		var kind, url string
		h.DB.QueryRow(`SELECT kind, url FROM notes_docs WHERE series_id = ?`, d.SeriesID).Scan(&kind, &url)
		if kind != "google" || url != d.URL || !strings.HasPrefix(url, "https://docs.google.com/document/d/") {
			t.Errorf("%s: notes doc %s %s, want google %s", uid, kind, url, d.URL)
		}
		ev := h.fake.Event(ana, uid)
		last := ev.Attachments[len(ev.Attachments)-1]
		if last.FileUrl != d.URL || last.FileId != d.DocID {
			t.Errorf("%s: attachments %+v lack the doc", uid, ev.Attachments)
		}
		if strings.Count(ev.Description, d.URL) != 1 {
			t.Errorf("%s: description %q should link the doc once", uid, ev.Description)
		}
		for _, a := range ev.Attendees {
			if want := a.Email != ana && !a.Resource; a.Optional != want {
				t.Errorf("%s: %s optional=%v, want %v", uid, a.Email, a.Optional, want)
			}
		}
		for _, p := range h.fake.Permissions(d.DocID) {
			if p.Role != "writer" || p.Notified || p.Email == ana {
				t.Errorf("%s: permission %+v", uid, p)
			}
		}
	}
	if ev := h.fake.Event(ana, "weekly"); len(ev.Attachments) != 2 || ev.Attachments[0].FileUrl != "https://example.com/agenda.pdf" {
		t.Errorf("the organizer's attachment was not kept: %+v", ev.Attachments)
	}
	for _, r := range h.fake.Requests("calendar.events.patch") {
		if r.Query.Get("supportsAttachments") != "true" || r.Query.Get("sendUpdates") != "none" {
			t.Errorf("patch %s with %v", r.Path["eventId"], r.Query)
		}
		if r.Path["eventId"] == "weekly" && !strings.Contains(string(r.Body), `"optional":false`) {
			t.Errorf("the organizer's optional=false was not sent: %s", r.Body)
		}
	}

	// The weekly doc: the template filled, the two sections within two
	// weeks, the later one on top.
	d := h.doc("weekly")
	text := h.fake.DocText(d.DocID)
	if strings.Contains(text, "{{") || !strings.Contains(text, "Organizer: Ana") || !strings.Contains(text, "RRULE:FREQ=WEEKLY") {
		t.Errorf("template not filled:\n%s", text)
	}
	var headings []string
	for _, p := range h.fake.DocParagraphs(d.DocID) {
		if p.Link != "" {
			headings = append(headings, p.Text)
			if p.Style != "HEADING_2" || !strings.HasPrefix(p.Link, h.URL+"/meetings/") {
				t.Errorf("section heading %q: style %s link %s", p.Text, p.Style, p.Link)
			}
		}
		if p.Text == "Pre-read\n" && p.Style != "HEADING_3" {
			t.Errorf("Pre-read heading styled %s", p.Style)
		}
		if strings.HasPrefix(p.Text, "(Write the pre-read") && (p.Style != "NORMAL_TEXT" || p.Link != "") {
			t.Errorf("placeholder %q styled %s link %q", p.Text, p.Style, p.Link)
		}
	}
	want := []string{"Wed 11 Nov 2026, 14:00 – 15:00 CET\n", "Tue 3 Nov 2026, 10:00 – 11:00 CET\n"}
	if strings.Join(headings, "|") != strings.Join(want, "|") {
		t.Errorf("section headings %q, want %q", headings, want)
	}
	if !strings.Contains(h.fake.DocText(h.doc("review").DocID), "Attendees: Ana <ana@example.com> (organizer), ben@example.com (optional)") {
		t.Errorf("review doc lacks its attendees line:\n%s", h.fake.DocText(h.doc("review").DocID))
	}

	// Doing it all again costs nothing.
	h.fake.ResetCalls()
	for _, uid := range []string{"weekly", "review"} {
		if err := h.g.EnsureDoc(h.ctx, h.doc(uid).SeriesID); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.fake.APICalls(); n != 0 {
		t.Errorf("a second doc pass made %d calls: %v", n, h.fake.Calls())
	}
}

var notWithSyncTokenParams = []string{"timeMin", "timeMax", "q", "orderBy", "updatedMin", "iCalUID",
	"privateExtendedProperty", "sharedExtendedProperty"}

func TestGooglePushBringsChangesToTheRightOccurrences(t *testing.T) {
	h := synced(t, nil)
	nov24 := h.occurrenceAt("weekly", berlin(11, 24, 10, 0))
	dec1 := h.occurrenceAt("weekly", berlin(12, 1, 10, 0))
	rev := h.occurrenceAt("review", time.Time{})
	h.fake.ResetCalls()

	moved := h.fake.Instance(ana, "weekly", berlin(11, 24, 10, 0))
	moved.Start, moved.End = when(berlin(11, 25, 16, 0)), when(berlin(11, 25, 17, 0))
	h.fake.PutEvent(ana, moved)
	h.fake.CancelInstance(ana, "weekly", berlin(12, 1, 10, 0))
	review := h.fake.Event(ana, "review")
	review.Attendees = append(review.Attendees, person("dee@example.com"))
	h.fake.PutEvent(ana, review)

	ds := h.push()
	if len(ds) != 3 || ds[0].State != "exists" || ds[0].Status != http.StatusOK {
		t.Fatalf("deliveries %+v", ds)
	}
	lists := h.fake.Requests("calendar.events.list")
	if len(lists) != 1 {
		t.Fatalf("%d list calls for three notifications, want 1 (they coalesce)", len(lists))
	}
	q := lists[0].Query
	if q.Get("syncToken") == "" {
		t.Error("incremental sync without the sync token")
	}
	for k := range q {
		if k != "syncToken" && k != "maxResults" && k != "singleEvents" && k != "alt" && k != "prettyPrint" {
			t.Errorf("incremental sync sends %s", k)
		}
	}

	if o := h.occurrenceAt("weekly", berlin(11, 24, 10, 0)); o.ID != nov24.ID || !o.Start.Equal(berlin(11, 25, 16, 0)) || o.Cancelled {
		t.Errorf("moved instance: %+v, want occurrence %d at Wed 25 Nov 16:00", o, nov24.ID)
	}
	if o := h.occurrenceAt("weekly", berlin(12, 1, 10, 0)); o.ID != dec1.ID || !o.Cancelled {
		t.Errorf("cancelled instance: %+v, want occurrence %d cancelled", o, dec1.ID)
	}
	if roles := h.attendeeRoles(rev.ID); roles["dee@example.com"] != "optional" {
		t.Errorf("added attendee: roles %v", roles)
	}
	if n := len(h.occurrences("weekly")); n != 9 {
		t.Errorf("weekly has %d occurrences; edits must not duplicate", n)
	}

	// Dee is given the doc and made optional; our own patch echoes back
	// through push and costs one listing, nothing more.
	h.settle()
	h.clean()
	found := false
	for _, p := range h.fake.Permissions(h.doc("review").DocID) {
		found = found || p.Email == "dee@example.com"
	}
	if !found {
		t.Error("the added attendee was not given the doc")
	}
	for _, a := range h.fake.Event(ana, "review").Attendees {
		if a.Email == "dee@example.com" && !a.Optional {
			t.Error("the added attendee was not made optional")
		}
	}
	calls := h.fake.Calls()
	if calls["drive.files.copy"] != 0 || calls["calendar.events.patch"] != 1 || calls["drive.permissions.create"] != 1 || calls["calendar.events.list"] != 2 {
		t.Errorf("calls %v", calls)
	}

	// A notification that is not Google's is refused and arms nothing.
	ch := h.fake.Channels(ana)[0]
	for _, tc := range []struct {
		id, token string
		want      int
	}{{ch.ID, "forged", http.StatusForbidden}, {"unknown", "x", http.StatusNotFound}} {
		req, _ := http.NewRequest(http.MethodPost, h.cfg.WebhookURL, nil)
		req.Header.Set("X-Goog-Channel-ID", tc.id)
		req.Header.Set("X-Goog-Channel-Token", tc.token)
		req.Header.Set("X-Goog-Resource-ID", ch.ResourceID)
		req.Header.Set("X-Goog-Resource-State", "exists")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("notification on channel %s with token %q: %d, want %d", tc.id, tc.token, resp.StatusCode, tc.want)
		}
	}
	h.fake.ResetCalls()
	h.run()
	if n := h.fake.APICalls(); n != 0 {
		t.Errorf("refused notifications made %d calls", n)
	}
}

func TestGoogle410ResyncsInFullWithoutLosingData(t *testing.T) {
	h := synced(t, nil)
	nov3 := h.occurrenceAt("weekly", berlin(11, 3, 10, 0))
	// A published pre-read and recorded attendance: meetingd's own data.
	text := "Read the Q4 plan."
	if _, err := h.svc.Publish(h.ctx, people.Actor{Operator: true}, nov3.ID, &text); err != nil {
		t.Fatal(err)
	}
	present := meetings.Present
	if _, err := h.svc.RecordAttendance(h.ctx, people.Actor{Operator: true}, nov3.ID,
		meetings.AttendancePatch{Email: "ben@example.com", Attendance: &present}); err != nil {
		t.Fatal(err)
	}
	before := h.occurrences("weekly")
	weeklyDoc := h.doc("weekly")
	h.fake.ResetCalls()

	// The series is renamed and the review deleted; Google answers the
	// incremental listing's second page with 410.
	weekly := h.fake.Event(ana, "weekly")
	weekly.Summary = "Planning (new name)"
	h.fake.PutEvent(ana, weekly)
	h.fake.DeleteEvent(ana, "review")
	h.fake.SetPageSizes(1)
	h.fake.Fail("calendar.events.list", googlefake.Fault{}, googlefake.Fault{Code: http.StatusGone, Reason: "fullSyncRequired"})
	h.push()
	h.settle()
	h.clean()

	lists := h.fake.Requests("calendar.events.list")
	if len(lists) < 3 || lists[0].Query.Get("syncToken") == "" || lists[1].Query.Get("pageToken") == "" ||
		lists[2].Query.Get("syncToken") != "" || lists[2].Query.Get("pageToken") != "" {
		t.Fatalf("want a page, a 410 on the next, then a full listing; got %d listings", len(lists))
	}
	after := h.occurrences("weekly")
	if len(after) != len(before) {
		t.Fatalf("%d occurrences after the full resync, %d before", len(after), len(before))
	}
	for i := range after {
		// The moved instance is an exception with its own title.
		title := "Planning (new name)"
		if after[i].RID == berlin(11, 10, 10, 0).UTC().Format(time.RFC3339) {
			title = "Planning"
		}
		if after[i].ID != before[i].ID || after[i].Title != title {
			t.Errorf("occurrence %d: %+v, was %+v", i, after[i], before[i])
		}
	}
	if o := h.occurrenceAt("weekly", berlin(11, 3, 10, 0)); o.PreRead != meetings.PreReadReady {
		t.Errorf("pre-read state %s after the resync, want ready", o.PreRead)
	}
	var attendance string
	h.DB.Get(&attendance, `SELECT a.attendance FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND p.email = 'ben@example.com'`, nov3.ID)
	if attendance != meetings.Present {
		t.Errorf("attendance %q after the resync, want present", attendance)
	}
	if d := h.doc("weekly"); d != weeklyDoc {
		t.Errorf("doc changed: %+v, was %+v", d, weeklyDoc)
	}
	if o := h.occurrenceAt("review", time.Time{}); !o.Cancelled {
		t.Error("the review deleted while the token was expired is not cancelled")
	}
	// No doc is made again. The rename reaches the doc's title and the
	// attachment's; the published pre-read and the review's cancellation
	// reach the docs' sections.
	calls := h.fake.Calls()
	if calls["drive.files.copy"] != 0 || calls["docs.documents.create"] != 0 || calls["calendar.events.patch"] > 1 {
		t.Errorf("the resync redid doc work: %v", calls)
	}
	var token string
	h.DB.Get(&token, `SELECT sync_token FROM calendars WHERE id = ?`, h.calendarID(ana))
	if token == "" {
		t.Error("no sync token after the full resync")
	}
}

func TestGoogleRateLimitsAreRetried(t *testing.T) {
	h := newGoogleHarness(t, nil)
	seedAna(h)
	h.fake.Fail("calendar.events.list", googlefake.RateLimited,
		googlefake.Fault{Code: 429, Reason: "rateLimitExceeded", RetryAfter: "7"},
		googlefake.Fault{Code: 500, Reason: "backendError"})
	h.fake.Fail("drive.files.copy", googlefake.Fault{Code: 403, Reason: "userRateLimitExceeded"})
	h.fake.Fail("calendar.events.patch", googlefake.Fault{Code: 503, Reason: "backendError"})
	h.settle()
	h.clean()
	if n := len(h.occurrences("weekly")); n != 9 {
		t.Errorf("weekly has %d occurrences after the retries", n)
	}
	if ev := h.fake.Event(ana, "weekly"); len(ev.Attachments) != 2 {
		t.Error("the doc was not attached after the retries")
	}
	sleeps := h.recordedSleeps()
	if len(sleeps) != 5 {
		t.Fatalf("slept %v, want 5 waits", sleeps)
	}
	// Equal jitter at 0.5: 3/4 of the step; the 429 asked for 7s.
	for i, want := range []time.Duration{750 * time.Millisecond, 7 * time.Second, 3 * time.Second, 750 * time.Millisecond, 750 * time.Millisecond} {
		if sleeps[i] != want {
			t.Errorf("wait %d = %s, want %s", i, sleeps[i], want)
		}
	}

	// Errors that retrying cannot fix are not retried: the job fails and
	// the scheduler tries it later.
	h.fake.Fail("calendar.events.list", googlefake.Fault{Code: 404, Reason: "notFound"})
	cal := h.calendarID(ana)
	if err := h.g.SyncCalendar(h.ctx, cal); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404 gave %v", err)
	}
	// And retries are bounded.
	faults := make([]googlefake.Fault, h.cfg.Retry.Tries)
	for i := range faults {
		faults[i] = googlefake.Fault{Code: 500, Reason: "backendError"}
	}
	h.fake.Fail("calendar.events.list", faults...)
	n := len(h.recordedSleeps())
	if err := h.g.SyncCalendar(h.ctx, cal); err == nil {
		t.Error("six 500s in a row did not fail the sync")
	}
	if got := len(h.recordedSleeps()) - n; got != h.cfg.Retry.Tries-1 {
		t.Errorf("%d waits for %d tries", got, h.cfg.Retry.Tries)
	}
	if err := h.g.SyncCalendar(h.ctx, cal); err != nil {
		t.Errorf("the sync after the outage: %v", err)
	}
}

func TestRetryWait(t *testing.T) {
	r := google.Retry{Tries: 4, Base: time.Second, Max: 4 * time.Second, Jitter: func() float64 { return 0 }}
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		err   error
		n     int
		want  time.Duration
		again bool
	}{
		{apiError(429, "rateLimitExceeded", ""), 1, 500 * time.Millisecond, true},
		{apiError(500, "backendError", ""), 2, time.Second, true},
		{apiError(503, "", ""), 3, 2 * time.Second, true},
		{apiError(503, "", ""), 4, 0, false}, // the last try
		{apiError(403, "userRateLimitExceeded", ""), 1, 500 * time.Millisecond, true},
		{apiError(403, "forbidden", ""), 1, 0, false},
		{apiError(400, "invalid", ""), 1, 0, false},
		{apiError(429, "", "30"), 1, 30 * time.Second, true},
		{apiError(429, "", now.Add(90*time.Second).Format(http.TimeFormat)), 1, 90 * time.Second, true},
		{apiError(429, "", "86400"), 1, 5 * time.Minute, true},
		{context.DeadlineExceeded, 1, 0, false},
	} {
		got, again := r.Wait(tc.err, tc.n, now)
		if got != tc.want || again != tc.again {
			t.Errorf("wait(%v, %d) = %s, %v; want %s, %v", tc.err, tc.n, got, again, tc.want, tc.again)
		}
	}
	r.Tries = 20
	if d, _ := r.Wait(apiError(500, "", ""), 10, now); d != 2*time.Second {
		t.Errorf("wait is not capped: %s", d)
	}
}

func TestGoogleRevokedTokenStopsOnlyThatCalendar(t *testing.T) {
	ben := "ben@example.com"
	h := newGoogleHarness(t, nil, ana, ben)
	seedAna(h)
	h.fake.PutEvent(ben, &gcalendar.Event{Id: "sync-1", Summary: "1:1", Start: when(berlin(11, 4, 10, 0)), End: when(berlin(11, 4, 10, 30)),
		Organizer: &gcalendar.EventOrganizer{Email: ben}, Attendees: []*gcalendar.EventAttendee{person(ben), person("dee@example.com")}})
	h.settle()
	h.clean()

	h.fake.Revoke(ana)
	h.fake.PutEvent(ana, meeting("late", "Added after revoking", berlin(11, 9, 10, 0), time.Hour))
	h.fake.PutEvent(ben, &gcalendar.Event{Id: "sync-2", Summary: "Second 1:1", Start: when(berlin(11, 5, 10, 0)), End: when(berlin(11, 5, 10, 30)),
		Organizer: &gcalendar.EventOrganizer{Email: ben}, Attendees: []*gcalendar.EventAttendee{person(ben), person("dee@example.com")}})
	h.push()
	h.settle()
	h.clean()

	st, err := h.g.Calendars(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		stopped := s.StoppedAt != nil
		if stopped != (s.Calendar == ana) {
			t.Errorf("%s stopped=%v (%s)", s.Calendar, stopped, s.StopReason)
		}
		if s.Calendar == ana && !strings.Contains(s.StopReason, "invalid_grant") {
			t.Errorf("stop reason %q does not say invalid_grant", s.StopReason)
		}
	}
	if len(h.occurrences("late")) != 0 {
		t.Error("the stopped calendar synced")
	}
	if len(h.occurrences("sync-2")) != 1 {
		t.Error("the other calendar stopped syncing")
	}
	// Operators are told once, however often the calendar is tried.
	h.Clock.Advance(time.Hour)
	if err := h.g.SyncCalendar(h.ctx, h.calendarID(ana)); err != nil {
		t.Fatal(err)
	}
	h.at(h.Clock.Now().Add(h.cfg.Poll + h.cfg.SafetyPoll))
	var stopped []string
	for _, m := range h.mails() {
		if strings.HasPrefix(m, google.MailStopped) {
			stopped = append(stopped, m)
		}
	}
	if len(stopped) != 1 || stopped[0] != google.MailStopped+" ops@example.com" {
		t.Errorf("operator emails %v, want one to ops@example.com", stopped)
	}
	var body string
	h.DB.Get(&body, `SELECT text_body FROM outbox WHERE kind = ?`, google.MailStopped)
	if !strings.Contains(body, ana) || !strings.Contains(body, "invalid_grant") || strings.Contains(body, "ya29") {
		t.Errorf("email:\n%s", body)
	}
}

func TestGoogleChannelRenewedBeforeExpiry(t *testing.T) {
	h := synced(t, func(c *google.Config) {
		c.ChannelTTL = 24 * time.Hour
		c.SafetyPoll = 24 * time.Hour // out of the way: TestGooglePollsWithoutPublicURL covers polling
	})
	chans := h.fake.Channels(ana)
	if len(chans) != 1 || !chans[0].Expiration.Equal(g0.Add(24*time.Hour)) {
		t.Fatalf("channels %+v", chans)
	}
	old := chans[0]
	h.fake.ResetCalls()

	// Quiet hours until the renewal: no calls but the two Pre-read
	// checks that fall in them (before the weekly's deadline and the
	// review's 72h reminder), each a read of the Drive changes.
	for at := g0.Add(time.Hour); at.Before(old.Expiration.Add(-h.cfg.RenewBefore)); at = at.Add(time.Hour) {
		h.at(at)
	}
	if n, lists := h.fake.APICalls(), h.fake.Calls()["drive.changes.list"]; n != 2 || lists != 2 {
		t.Errorf("%d calls while idle: %v", n, h.fake.Calls())
	}
	h.fake.ResetCalls()
	h.at(old.Expiration.Add(-h.cfg.RenewBefore))
	h.clean()
	// The calendar's channel and its owner's Drive changes channel, both
	// opened at the first sync, are renewed together.
	calls := h.fake.Calls()
	if calls["calendar.events.watch"] != 1 || calls["calendar.channels.stop"] != 1 || calls["drive.changes.watch"] != 1 ||
		calls["drive.channels.stop"] != 1 || h.fake.APICalls() != 4 {
		t.Errorf("renewal made %v", calls)
	}
	stop := h.fake.Requests("calendar.channels.stop")[0]
	if b := requestBody(t, stop); b["id"] != old.ID || b["resourceId"] != old.ResourceID {
		t.Errorf("stopped %v, want channel %s", b, old.ID)
	}
	chans = h.fake.Channels(ana)
	var live []googlefake.ChannelInfo
	for _, c := range chans {
		if !c.Stopped {
			live = append(live, c)
		}
	}
	if len(chans) != 2 || len(live) != 1 || live[0].ID == old.ID || !live[0].Expiration.After(old.Expiration) {
		t.Fatalf("channels after renewal: %+v", chans)
	}

	// Changes arrive through the new channel.
	h.fake.PutEvent(ana, meeting("new", "New meeting", berlin(11, 12, 10, 0), time.Hour))
	ds := h.push()
	if len(ds) != 3 || ds[0].State != "sync" || ds[1].State != "sync" || ds[2].State != "exists" || ds[2].ChannelID != live[0].ID ||
		ds[2].Status != http.StatusOK {
		t.Errorf("deliveries %+v, want the new channels' sync messages and then the change", ds)
	}
	if len(h.occurrences("new")) != 1 {
		t.Error("a change after the renewal did not arrive")
	}
	// And the next renewal is scheduled before the new channel expires.
	var due time.Time
	h.DB.Get(&due, `SELECT due_at FROM jobs WHERE kind = ? AND subject = ?`, google.JobRenew, google.ChannelSubject(live[0].ID))
	if want := live[0].Expiration.Add(-h.cfg.RenewBefore); !due.Equal(want) {
		t.Errorf("next renewal due %s, want %s", due, want)
	}
}

func TestGooglePreReadFromDocAndDecisions(t *testing.T) {
	h := synced(t, nil)
	nov3 := h.occurrenceAt("weekly", berlin(11, 3, 10, 0))
	docID := h.doc("weekly").DocID

	// The organizer writes the pre-read in the doc, in place of the placeholder.
	sectionField(t, h, docID, nov3.ID, "Pre-read", func(p googlefake.Paragraph) {
		if err := h.fake.EditDoc(docID, p.Start, p.End-1, "Read the Q4 plan: https://example.com/q4"); err != nil {
			t.Fatal(err)
		}
	})
	// The read-back before the deadline (24h before Tue 10:00 CET) finds it.
	h.at(berlin(11, 2, 9, 55))
	h.clean()
	if o := h.occurrenceAt("weekly", berlin(11, 3, 10, 0)); o.PreRead != meetings.PreReadReady {
		t.Fatalf("pre-read %s, want ready", o.PreRead)
	}
	var section string
	h.DB.Get(&section, `SELECT pre_read FROM notes_sections WHERE occurrence_id = ?`, nov3.ID)
	if section != "Read the Q4 plan: https://example.com/q4" {
		t.Errorf("section pre-read %q", section)
	}
	published := 0
	for _, m := range h.mails() {
		if strings.HasPrefix(m, meetings.MailPublished) {
			published++
		}
	}
	if published != 3 {
		t.Errorf("%d pre-read emails, want one per attendee: %v", published, h.mails())
	}

	// Closed decisions land in the Decisions section: the first replaces
	// the placeholder, the next goes below it, a repeat is ignored.
	for _, d := range []string{"Ship v2 on Friday.", "Freeze the API.", "Ship v2 on Friday."} {
		if err := h.g.WriteDecision(h.ctx, nov3.ID, d); err != nil {
			t.Fatal(err)
		}
		h.run()
	}
	h.clean()
	var got []string
	sectionField(t, h, docID, nov3.ID, "Decisions", func(p googlefake.Paragraph) {
		got = append(got, p.Text)
		if p.Style != "NORMAL_TEXT" || p.Link != "" {
			t.Errorf("decision %q styled %s link %q", p.Text, p.Style, p.Link)
		}
	})
	if strings.Join(got, "") != "Ship v2 on Friday.\nFreeze the API.\n" {
		t.Errorf("Decisions section holds %q", got)
	}
	if n := h.fake.Calls()["docs.documents.batchUpdate"]; n != 4 {
		t.Errorf("%d batchUpdates: two for the docs, one per new decision", n)
	}
}

// sectionField calls fn with each paragraph under a heading of an
// occurrence's section in the fake doc.
func sectionField(t testing.TB, h *googleHarness, docID string, occID int64, heading string, fn func(googlefake.Paragraph)) {
	t.Helper()
	link := h.g.OccurrenceLink(occID)
	in, under := false, false
	for _, p := range h.fake.DocParagraphs(docID) {
		switch {
		case p.Link == link:
			in = true
		case in && p.Link != "":
			return
		case in && google.HeadingField(p.Text) != "":
			under = strings.TrimSpace(p.Text) == heading
		case in && under:
			fn(p)
		}
	}
	if !in {
		t.Fatalf("no section for occurrence %d", occID)
	}
}

func TestGoogleOptionalPolicyTurnedOff(t *testing.T) {
	h := synced(t, nil)
	if d := h.doc("weekly"); d.MadeOptional != "ben@example.com\ncy@example.com" {
		t.Fatalf("made optional %q", d.MadeOptional)
	}
	h.svc.Cfg.OptionalByDefault = false
	h.fake.ResetCalls()
	if err := h.g.EnsureDoc(h.ctx, h.doc("weekly").SeriesID); err != nil {
		t.Fatal(err)
	}
	for _, a := range h.fake.Event(ana, "weekly").Attendees {
		if a.Optional {
			t.Errorf("%s still optional with the policy off", a.Email)
		}
	}
	// The master and the moved instance, each with its own attendees.
	patches := h.fake.Requests("calendar.events.patch")
	if len(patches) != 2 {
		t.Fatalf("%d patches, want the master's and the exception's", len(patches))
	}
	for _, p := range patches {
		if strings.Count(string(p.Body), `"optional":false`) < 2 {
			t.Errorf("the body must send optional:false: %s", p.Body)
		}
	}
	if x := h.fake.Event(ana, googlefake.InstanceID("weekly", berlin(11, 10, 10, 0))); x.Attendees[1].Optional {
		t.Errorf("the exception's %s is still optional", x.Attendees[1].Email)
	}
	if d := h.doc("weekly"); d.MadeOptional != "" {
		t.Errorf("made optional %q after the policy went off", d.MadeOptional)
	}
	h.clean()
}

func TestGooglePollsWithoutPublicURL(t *testing.T) {
	h := synced(t, func(c *google.Config) { c.WebhookURL = "" })
	if n := h.fake.Calls()["calendar.events.watch"]; n != 0 {
		t.Errorf("%d watches without a webhook", n)
	}
	h.fake.PutEvent(ana, meeting("new", "New meeting", berlin(11, 12, 10, 0), time.Hour))
	h.fake.ResetCalls()
	h.at(g0.Add(h.cfg.Poll))
	if len(h.occurrences("new")) != 1 || h.fake.Calls()["calendar.events.list"] != 1 {
		t.Errorf("the poll did not bring the new meeting: calls %v", h.fake.Calls())
	}
	h.at(g0.Add(2 * h.cfg.Poll))
	if n := h.fake.Calls()["calendar.events.list"]; n != 2 {
		t.Errorf("%d listings after two polls", n)
	}
	h.clean()
}

func TestGoogleTokensSealedAndRefreshed(t *testing.T) {
	h := synced(t, nil)
	var sealed string
	h.DB.Get(&sealed, `SELECT sealed FROM google_tokens WHERE calendar_id = ?`, h.calendarID(ana))
	if strings.Contains(sealed, "ya29") || strings.Contains(sealed, "refresh") {
		t.Fatal("token stored in the clear")
	}
	tok, err := h.g.Unseal(h.calendarID(ana), sealed)
	if err != nil || !strings.HasPrefix(tok.AccessToken, "ya29") || tok.RefreshToken == "" {
		t.Fatalf("unseal: %v %v", tok, err)
	}
	if _, err := h.g.Unseal(h.calendarID(ana)+1, sealed); err == nil {
		t.Error("a token opened for another calendar")
	}
	// Google stops accepting the access token (as after a password
	// change): the client refreshes once, stores the new token, goes on.
	h.fake.DropAccessTokens(ana)
	h.fake.PutEvent(ana, meeting("new", "New meeting", berlin(11, 12, 10, 0), time.Hour))
	h.push()
	h.clean()
	if len(h.occurrences("new")) != 1 {
		t.Fatal("no sync after the access token was refused")
	}
	var resealed string
	h.DB.Get(&resealed, `SELECT sealed FROM google_tokens WHERE calendar_id = ?`, h.calendarID(ana))
	tok2, err := h.g.Unseal(h.calendarID(ana), resealed)
	if err != nil || tok2.AccessToken == tok.AccessToken || tok2.RefreshToken != tok.RefreshToken {
		t.Errorf("refreshed token not stored: %v", err)
	}
}

// apiError builds the error the generated clients return.
func apiError(code int, reason, retryAfter string) error {
	e := &googleapi.Error{Code: code, Header: http.Header{}}
	if reason != "" {
		e.Errors = []googleapi.ErrorItem{{Reason: reason}}
	}
	if retryAfter != "" {
		e.Header.Set("Retry-After", retryAfter)
	}
	return e
}

func TestGoogleMeetingInTwoWatchedCalendarsIsOneMeeting(t *testing.T) {
	ben := "ben@example.com"
	h := newGoogleHarness(t, nil, ana, ben)
	review := meeting("review", "Design review", berlin(11, 5, 15, 0), time.Hour)
	h.fake.PutEvent(ana, review)
	h.fake.PutEvent(ben, review) // Google's copy in an attendee's calendar
	h.settle()
	h.clean()
	var n int
	h.DB.Get(&n, `SELECT COUNT(*) FROM series WHERE uid = 'review'`)
	if n != 1 {
		t.Errorf("%d series for one meeting in two watched calendars", n)
	}
	if d := h.doc("review"); len(h.fake.Permissions(d.DocID)) != 2 {
		t.Errorf("the organizer's doc is shared with %v", h.fake.Permissions(d.DocID))
	}
}
