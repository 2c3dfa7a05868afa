package meetings_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

var ctx = context.Background()

// Thursday 5 November 2026, 14:00 UTC: 78 hours after t0.
var start = t0.Add(78 * time.Hour)

func TestOnlyMeetingsAreDiscovered(t *testing.T) {
	h := newHarness(t)
	allDay := event("allday", start)
	allDay.AllDay = true
	focus := event("focus", start)
	focus.EventType = "focusTime"
	optOut := event("optout", start)
	optOut.Description = "private prep #no-meetingd"
	alone := event("alone", start)
	alone.Attendees = alone.Attendees[:1]
	cancelled := event("cancelled", start)
	cancelled.Cancelled = true
	res := h.sync(allDay, focus, optOut, alone, cancelled, event("real", start))
	if res.Created != 1 || res.Skipped != 5 {
		t.Fatalf("sync = %+v, want 1 created and 5 skipped", res)
	}
}

func TestOptionalByDefaultRoles(t *testing.T) {
	for _, policy := range []bool{true, false} {
		h := newHarness(t)
		h.svc.Cfg.OptionalByDefault = policy
		h.sync(event("m", start))
		v, err := h.svc.View(ctx, operator, h.occurrence("m").ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, a := range v.Attendees {
			got[a.Email] = a.Role
		}
		want := map[string]string{"ana@example.com": "organizer", "cy@example.com": "speaker", "ben@example.com": "required"}
		if policy {
			want["ben@example.com"] = "optional"
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("policy %v: %s is %q, want %q", policy, k, got[k], w)
			}
		}
	}
}

func TestResyncUpdatesNeverDuplicates(t *testing.T) {
	h := newHarness(t)
	ev := event("m", start)
	h.sync(ev)
	ev.Title = "Renamed"
	ev.Attendees = ev.Attendees[:2] // cy dropped
	res := h.sync(ev)
	if res.Created != 0 || res.Updated != 1 {
		t.Fatalf("resync = %+v", res)
	}
	var n int
	h.DB.Get(&n, `SELECT COUNT(*) FROM occurrences`)
	if n != 1 {
		t.Fatalf("%d occurrences after resync", n)
	}
	v, _ := h.svc.View(ctx, operator, h.occurrence("m").ID)
	if v.Title != "Renamed" || len(v.Attendees) != 2 {
		t.Fatalf("title %q, %d attendees", v.Title, len(v.Attendees))
	}
}

func TestRemindersThenMissingAtDeadline(t *testing.T) {
	h := newHarness(t)
	h.sync(event("m", start))
	h.at(start.Add(-72 * time.Hour))
	h.at(start.Add(-48 * time.Hour))
	if got := h.mails(); !slices.Equal(got, []string{"preread_reminder ana@example.com", "preread_reminder ana@example.com"}) {
		t.Fatalf("before deadline: %v", got)
	}
	h.at(start.Add(-24*time.Hour - time.Second))
	if s := h.occurrence("m").PreReadState; s != meetings.PreReadPending {
		t.Fatalf("state %s before deadline", s)
	}
	h.at(start.Add(-24 * time.Hour))
	if s := h.occurrence("m").PreReadState; s != meetings.PreReadMissing {
		t.Fatalf("state %s at deadline, want missing", s)
	}
	missing := 0
	for _, m := range h.mails() {
		if strings.HasPrefix(m, "preread_missing ") {
			missing++
		}
	}
	if missing != 3 {
		t.Fatalf("%d missing notices, want one each for organizer and both attendees: %v", missing, h.mails())
	}
	h.at(start.Add(time.Hour))         // more runs change nothing
	if n := len(h.mails()); n != 5+3 { // 2 reminders, 3 missing, 3 notes shared
		t.Fatalf("%d emails: %v", n, h.mails())
	}
}

func TestPublishOnTimeLateAndTooLate(t *testing.T) {
	h := newHarness(t)
	h.sync(event("early", start), event("late", start.Add(time.Hour)), event("never", start.Add(2*time.Hour)))
	text := "Read the plan."
	h.at(start.Add(-30 * time.Hour))
	o, err := h.svc.Publish(ctx, h.actor("ana@example.com"), h.occurrence("early").ID, &text)
	if err != nil || o.PreReadState != meetings.PreReadReady {
		t.Fatalf("publish on time: %v, %s", err, o.PreReadState)
	}
	if _, err := h.svc.Publish(ctx, h.actor("ben@example.com"), h.occurrence("late").ID, &text); errs.Code(err) != errs.Forbidden {
		t.Fatalf("optional attendee published: %v", err)
	}
	h.at(start.Add(-2 * time.Hour))
	o, err = h.svc.Publish(ctx, h.actor("cy@example.com"), h.occurrence("late").ID, &text)
	if err != nil || o.PreReadState != meetings.PreReadLate {
		t.Fatalf("publish after deadline by a speaker: %v, %s", err, o.PreReadState)
	}
	h.at(start.Add(3 * time.Hour))
	if _, err := h.svc.Publish(ctx, h.actor("ana@example.com"), h.occurrence("never").ID, &text); errs.Code(err) != errs.Conflict {
		t.Fatalf("publish after start: %v", err)
	}
	published := map[string]int{}
	for _, m := range h.mails() {
		if k, to, _ := strings.Cut(m, " "); k == "preread_published" {
			published[to]++
		}
	}
	for _, who := range []string{"ana@example.com", "ben@example.com", "cy@example.com"} {
		if published[who] != 2 {
			t.Errorf("%s got %d pre-reads, want 2 (optional attendees included)", who, published[who])
		}
	}
}

func TestPreReadSectionContentMakesItReady(t *testing.T) {
	h := newHarness(t)
	h.sync(event("m", start))
	id := h.occurrence("m").ID
	v, _ := h.svc.View(ctx, operator, id)
	same := v.Section.PreRead
	if _, err := h.svc.UpdateSection(ctx, h.actor("ben@example.com"), id, meetings.SectionPatch{PreRead: &same}); err != nil {
		t.Fatal(err)
	}
	if s := h.occurrence("m").PreReadState; s != meetings.PreReadPending {
		t.Fatalf("placeholder alone made it %s", s)
	}
	text := same + "\nhttps://docs.example.com/plan"
	if _, err := h.svc.UpdateSection(ctx, h.actor("ben@example.com"), id, meetings.SectionPatch{PreRead: &text}); err != nil {
		t.Fatal(err)
	}
	if s := h.occurrence("m").PreReadState; s != meetings.PreReadReady {
		t.Fatalf("content beyond the placeholder left it %s", s)
	}
}

func TestMovedMeetingMovesItsSteps(t *testing.T) {
	h := newHarness(t)
	ev := event("m", start)
	h.sync(ev)
	h.at(start.Add(-24 * time.Hour))
	if s := h.occurrence("m").PreReadState; s != meetings.PreReadMissing {
		t.Fatalf("state %s", s)
	}
	ev.Start, ev.End = start.Add(7*24*time.Hour), start.Add(7*24*time.Hour+time.Hour)
	h.sync(ev)
	o := h.occurrence("m")
	if o.PreReadState != meetings.PreReadPending || !o.PreReadDueAt.Equal(ev.Start.Add(-24*time.Hour)) {
		t.Fatalf("moved a week later: state %s, due %s", o.PreReadState, o.PreReadDueAt)
	}
	var due time.Time
	h.DB.Get(&due, `SELECT run_at FROM jobs WHERE kind = 'preread.deadline' AND state = 'pending'`)
	if !due.Equal(o.PreReadDueAt) {
		t.Fatalf("deadline job at %s, want %s", due, o.PreReadDueAt)
	}
}

func TestCancelledMeetingDropsItsSteps(t *testing.T) {
	h := newHarness(t)
	ev := event("m", start)
	h.sync(ev)
	ev.Cancelled = true
	if res := h.sync(ev); res.Cancelled != 1 {
		t.Fatalf("cancel: %+v", res)
	}
	h.at(start.Add(48 * time.Hour))
	if m := h.mails(); len(m) != 0 {
		t.Fatalf("cancelled meeting sent %v", m)
	}
}

func TestRecordingRefusedFor1on1AndPrivate(t *testing.T) {
	h := newHarness(t)
	one := event("one", start)
	one.Attendees = one.Attendees[:2]
	priv := event("priv", start)
	priv.Private = true
	h.sync(one, priv, event("team", start))
	ana := h.actor("ana@example.com")
	if _, err := h.svc.SetRecording(ctx, ana, h.occurrence("one").ID, "https://rec.example.com/1"); errs.Code(err) != errs.Conflict || !strings.Contains(errs.Message(err), "1:1") {
		t.Errorf("1:1 recording: %v", err)
	}
	if _, err := h.svc.SetRecording(ctx, ana, h.occurrence("priv").ID, "https://rec.example.com/2"); errs.Code(err) != errs.Conflict || !strings.Contains(errs.Message(err), "private") {
		t.Errorf("private recording: %v", err)
	}
	if _, err := h.svc.SetRecording(ctx, ana, h.occurrence("team").ID, "javascript:alert(1)"); errs.Code(err) != errs.Invalid {
		t.Errorf("bad url: %v", err)
	}
	if o, err := h.svc.SetRecording(ctx, ana, h.occurrence("team").ID, "https://rec.example.com/3"); err != nil || o.RecordingURL == "" {
		t.Errorf("team recording: %v", err)
	}
}

func TestAttendanceRecording(t *testing.T) {
	h := newHarness(t)
	h.sync(event("m", start))
	id := h.occurrence("m").ID
	present, async, bogus := meetings.Present, meetings.Async, "maybe"
	if _, err := h.svc.RecordAttendance(ctx, h.actor("ben@example.com"), id, meetings.AttendancePatch{Email: "ben@example.com", Attendance: &async}); err != nil {
		t.Fatalf("own attendance: %v", err)
	}
	if _, err := h.svc.RecordAttendance(ctx, h.actor("ben@example.com"), id, meetings.AttendancePatch{Email: "cy@example.com", Attendance: &present}); errs.Code(err) != errs.Forbidden {
		t.Fatalf("someone else's attendance: %v", err)
	}
	if _, err := h.svc.RecordAttendance(ctx, h.actor("ana@example.com"), id, meetings.AttendancePatch{Email: "cy@example.com", Attendance: &bogus}); errs.Code(err) != errs.Invalid {
		t.Fatalf("bogus attendance: %v", err)
	}
	a, err := h.svc.RecordAttendance(ctx, h.actor("ana@example.com"), id, meetings.AttendancePatch{Email: "cy@example.com", Attendance: &present})
	if err != nil || a.Attendance != meetings.Present {
		t.Fatalf("organizer records: %v %+v", err, a)
	}
	if _, err := h.svc.RecordAttendance(ctx, h.actor("ana@example.com"), id, meetings.AttendancePatch{Email: "zed@example.com", Attendance: &present}); errs.Code(err) != errs.Invalid {
		t.Fatalf("attendance of a stranger: %v", err)
	}
}

func TestOnlyInviteesSeeAMeeting(t *testing.T) {
	h := newHarness(t)
	h.sync(event("m", start))
	stranger, err := people.Ensure(ctx, h.DB, "zed@example.com", "", "UTC", t0)
	if err != nil {
		t.Fatal(err)
	}
	id := h.occurrence("m").ID
	if _, err := h.svc.View(ctx, people.Actor{PersonID: stranger.ID}, id); errs.Code(err) != errs.NotFound {
		t.Fatalf("stranger viewed: %v", err)
	}
	list, _ := h.svc.Upcoming(ctx, people.Actor{PersonID: stranger.ID}, t0, nil, 10)
	if len(list) != 0 {
		t.Fatalf("stranger lists %d", len(list))
	}
	if _, err := h.svc.View(ctx, h.actor("ben@example.com"), id); err != nil {
		t.Fatalf("invitee: %v", err)
	}
}

func TestNonUrgentMailWaitsForWorkingHours(t *testing.T) {
	h := newHarness(t)
	h.sync(event("m", start))
	tokyo := "Asia/Tokyo"
	if _, err := people.Update(ctx, h.DB, h.person("ben@example.com").ID, people.Patch{TimeZone: &tokyo}); err != nil {
		t.Fatal(err)
	}
	// Published Monday 2 Nov at 20:00 UTC: 05:00 Tuesday in Tokyo.
	h.Clock.Set(t0.Add(12 * time.Hour))
	text := "Plan"
	if _, err := h.svc.Publish(ctx, h.actor("ana@example.com"), h.occurrence("m").ID, &text); err != nil {
		t.Fatal(err)
	}
	var nb time.Time
	h.DB.Get(&nb, `SELECT not_before FROM outbox WHERE to_addr = 'ben@example.com' AND kind = 'preread_published'`)
	want := time.Date(2026, 11, 3, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))
	if !nb.Equal(want) {
		t.Fatalf("held until %s, want %s", nb, want.UTC())
	}
	// Composed when sent; the outbox shows it as it would go now.
	items, err := h.Outbox.List(ctx, h.DB, "ben@example.com", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for _, it := range items {
		if it.Kind == meetings.MailPublished {
			body = it.Text
		}
	}
	if !strings.Contains(body, "Fri 6 Nov 2026, 01:00 JST") && !strings.Contains(body, "Thu 5 Nov 2026, 23:00 JST") {
		t.Fatalf("start not shown in Tokyo time:\n%s", body)
	}
}

// A heading's guidance is a hint, never content: the view and the pre-read
// email leave an untouched Agenda out instead of quoting its guidance.
func TestGuidanceIsNeverContent(t *testing.T) {
	h := newHarness(t)
	h.sync(event("m", start))
	id := h.occurrence("m").ID
	v, _ := h.svc.View(ctx, operator, id)
	if v.Section.Agenda != "" || v.Section.Decisions != "" {
		t.Fatalf("an untouched section reads as content: %+v", v.Section)
	}
	text := "Read the plan."
	h.at(start.Add(-30 * time.Hour))
	if _, err := h.svc.Publish(ctx, h.actor("ana@example.com"), id, &text); err != nil {
		t.Fatal(err)
	}
	h.at(start.Add(-29 * time.Hour))
	var bodies []string
	h.DB.Select(&bodies, h.DB.Rebind(`SELECT text_body || html_body FROM outbox WHERE kind = 'preread_published'`))
	if len(bodies) == 0 {
		t.Fatal("no pre-read email")
	}
	for _, b := range bodies {
		if strings.Contains(b, "Agenda:") || strings.Contains(b, "one line per topic") || !strings.Contains(b, "Read the plan.") {
			t.Fatalf("pre-read email:\n%s", b)
		}
	}
}

// A pre-read published before the deadline reaches every attendee before
// the deadline, even one whose working day starts after it; one published
// after the deadline goes at once.
func TestPreReadReachesEveryoneByTheDeadline(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 11, 4, 14, 0, 0, 0, time.UTC) // Wednesday, 09:00 in New York
	h.sync(event("m", start), event("n", start.Add(2*time.Hour)))
	// Ben works 09:00-17:00 in Tokyo: the deadline, Tuesday 14:00 UTC, is 23:00 his time.
	h.DB.MustExec(`UPDATE people SET time_zone = 'Asia/Tokyo', work_start = 540, work_end = 1020, work_days = 62 WHERE email = 'ben@example.com'`)
	deadline := start.Add(-24 * time.Hour)
	text := "Read the plan."
	h.at(deadline.Add(-5 * time.Hour)) // 18:00 in Tokyo: after Ben's day
	if _, err := h.svc.Publish(ctx, h.actor("ana@example.com"), h.occurrence("m").ID, &text); err != nil {
		t.Fatal(err)
	}
	h.at(deadline.Add(time.Hour)) // the second meeting's pre-read is late
	if _, err := h.svc.Publish(ctx, h.actor("ana@example.com"), h.occurrence("n").ID, &text); err != nil {
		t.Fatal(err)
	}
	var due []struct {
		Key       string    `db:"subject_key"`
		NotBefore time.Time `db:"not_before"`
	}
	h.DB.Select(&due, h.DB.Rebind(`SELECT subject_key, not_before FROM outbox WHERE kind = 'preread_published' AND to_addr = ? ORDER BY id`), "ben@example.com")
	if len(due) != 2 {
		t.Fatalf("ben owed %d pre-reads, want 2", len(due))
	}
	if due[0].NotBefore.After(deadline) {
		t.Errorf("on-time pre-read held for Ben until %s, past the deadline %s", due[0].NotBefore, deadline)
	}
	if !due[1].NotBefore.Equal(deadline.Add(time.Hour)) {
		t.Errorf("late pre-read held until %s; it should go at once (%s)", due[1].NotBefore, deadline.Add(time.Hour))
	}
}
