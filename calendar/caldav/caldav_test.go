package caldav_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/calendar/caldav"
	"meetingd/calendar/feedtest"
	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/meetings"
)

// Monday 2 November 2026, 10:00 UTC.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

var testKey = bytes.Repeat([]byte{7}, 32)

// davApp is meetingd with its CalDAV source, and ana's calendar on a
// Radicale server.
type davApp struct {
	*apptest.App
	Src *caldav.Source
	Rad *radicale
	Log *apptest.Logs
}

func newDavApp(t testing.TB) *davApp {
	t.Helper()
	rad := startRadicale(t)
	rad.mkcalendar(t, "/ana/work/", "Work")
	log := &apptest.Logs{}
	// The app wires its CalDAV source as serve does: on its worker.
	a := apptest.New(t, t0, apptest.Log(log), apptest.Config(func(c *app.Config) { c.CalDAV.Key = testKey }))
	return &davApp{App: a, Src: a.CalDAV, Rad: rad, Log: log}
}

// add adds ana's Work calendar through the front.
func (da *davApp) add(t testing.TB) caldav.Calendar {
	t.Helper()
	c, err := da.Src.Add(context.Background(), caldav.Input{Name: "ana-work", ServerURL: da.Rad.front.URL + "/",
		Username: anaUser, Password: anaPass})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextPoll moves the clock to the calendar's next periodic poll and runs
// what is due.
func (da *davApp) nextPoll(t testing.TB, id int64) time.Time {
	t.Helper()
	c, err := da.Src.Get(context.Background(), id)
	if err != nil || c.Health.NextPollAt == nil {
		t.Fatalf("calendar %d: %+v %v", id, c, err)
	}
	at := c.Health.NextPollAt.UTC()
	da.At(at)
	return at
}

// event is an event as ana's calendar app writes it: one hour long.
type event struct {
	UID, Title string
	Start      time.Time
	Attendees  []string // addresses; ana organizes
	Extra      string   // more properties, as lines
}

func (e event) ics() string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Calendar App//EN\r\nBEGIN:VEVENT\r\n")
	fmt.Fprintf(&b, "UID:%s\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n", e.UID,
		e.Start.UTC().Format("20060102T150405Z"), e.Start.Add(time.Hour).UTC().Format("20060102T150405Z"), e.Title)
	b.WriteString("DESCRIPTION:Agenda: budget\\, hiring\r\nORGANIZER;CN=Ana:mailto:ana@example.com\r\n")
	b.WriteString("ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:ana@example.com\r\n")
	for _, a := range e.Attendees {
		fmt.Fprintf(&b, "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:%s\r\n", a)
	}
	b.WriteString(e.Extra)
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String()
}

// notesURL is the series' notes link.
func (da *davApp) notesURL(t testing.TB, calID int64, uid string) string {
	t.Helper()
	ref, err := meetings.SeriesByUID(context.Background(), da.DB, calID, uid)
	if err != nil {
		t.Fatal(err)
	}
	return ref.DocURL
}

// attendeeLine finds the ATTENDEE line of email in an object.
func attendeeLine(ics, email string) string {
	for _, l := range strings.Split(ics, "\n") {
		if strings.HasPrefix(l, "ATTENDEE") && strings.Contains(strings.ToLower(l), "mailto:"+email) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// An event in ana's CalDAV calendar is followed as it is created, moved,
// gains an attendee and is deleted: one occurrence all along, its
// pre-read deadline moving with it, then cancelled with its steps. The
// master event gets the notes link (ATTACH;VALUE=URI and a line in its
// description, the user's text kept) and its attendees
// ROLE=OPT-PARTICIPANT, by conditional PUTs. A poll of an unchanged
// calendar is one sync-collection REPORT.
func TestCalDAVFollowsAnEvent(t *testing.T) {
	ctx := context.Background()
	da := newDavApp(t)
	rad := da.Rad
	start := t0.Add(72 * time.Hour)
	plan := event{UID: "plan-1@example.com", Title: "Planning", Start: start, Attendees: []string{"ben@example.com"}}
	rad.put(t, "/ana/work/plan-1.ics", "", plan.ics())

	cal := da.add(t)
	if cal.Collection != rad.front.URL+"/ana/work/" || cal.SyncMode != "sync-token" {
		t.Fatalf("discovered %+v", cal)
	}
	rad.front.take() // discovery
	da.RunDue()
	reqs := rad.front.take()
	if !slices.Equal(reqs[:2], []string{"REPORT sync-collection 207", "REPORT calendar-multiget 207"}) ||
		!slices.Contains(reqs, "PUT 201") && !slices.Contains(reqs, "PUT 204") {
		t.Fatalf("first sync and write-back: %v", reqs)
	}
	occs := feedtest.Occurrences(t, da.App, cal.ID)
	if len(occs) != 1 || !occs[0].StartsAt.Equal(start) || occs[0].Title != "Planning" {
		t.Fatalf("occurrences %+v", occs)
	}
	occID := occs[0].ID
	if st := feedtest.Steps(t, da.App, occID)[meetings.JobDeadline]; !st.DueAt.Equal(start.Add(-24*time.Hour)) || st.State != "pending" {
		t.Fatalf("deadline %+v", st)
	}
	notes := da.notesURL(t, cal.ID, plan.UID)
	obj, etag := rad.get(t, "/ana/work/plan-1.ics")
	for _, want := range []string{"ATTACH;VALUE=URI:" + notes, `Agenda: budget\, hiring\n\nNotes (meetingd): ` + notes} {
		if !strings.Contains(obj, want) {
			t.Fatalf("the server's event lacks %q:\n%s", want, obj)
		}
	}
	if l := attendeeLine(obj, "ben@example.com"); !strings.Contains(l, "ROLE=OPT-PARTICIPANT") {
		t.Fatalf("ben: %s", l)
	}
	if l := attendeeLine(obj, "ana@example.com"); !strings.Contains(l, "ROLE=CHAIR") {
		t.Fatalf("the organizer's own line changed: %s", l)
	}

	// Unchanged: one REPORT. (The first after the write-back names meetingd's
	// own write, which is not fetched again; the next has nothing in it.)
	da.nextPoll(t, cal.ID)
	if reqs := rad.front.take(); !slices.Equal(reqs, []string{"REPORT sync-collection 207"}) {
		t.Fatalf("poll after the write-back: %v", reqs)
	}
	out, err := da.Src.Sync(ctx, cal.ID)
	if reqs := rad.front.take(); err != nil || !out.Unchanged || !slices.Equal(reqs, []string{"REPORT sync-collection 207"}) {
		t.Fatalf("unchanged calendar: %+v %v, requests %v", out, err, reqs)
	}

	// Moved two hours later by ana's calendar app.
	plan.Start = start.Add(2 * time.Hour)
	moved := strings.Replace(obj, "DTSTART:"+start.Format("20060102T150405Z"), "DTSTART:"+plan.Start.Format("20060102T150405Z"), 1)
	moved = strings.Replace(moved, "DTEND:"+start.Add(time.Hour).Format("20060102T150405Z"), "DTEND:"+plan.Start.Add(time.Hour).Format("20060102T150405Z"), 1)
	etag = rad.put(t, "/ana/work/plan-1.ics", etag, moved)
	da.nextPoll(t, cal.ID)
	if reqs := rad.front.take(); !slices.Equal(reqs, []string{"REPORT sync-collection 207", "REPORT calendar-multiget 207"}) {
		t.Fatalf("poll after a move: %v", reqs)
	}
	occs = feedtest.Occurrences(t, da.App, cal.ID)
	if len(occs) != 1 || occs[0].ID != occID || !occs[0].StartsAt.Equal(plan.Start) {
		t.Fatalf("moved: %+v", occs)
	}
	if st := feedtest.Steps(t, da.App, occID)[meetings.JobDeadline]; !st.DueAt.Equal(plan.Start.Add(-24 * time.Hour)) {
		t.Fatalf("deadline after the move: %+v", st)
	}

	// Gains an attendee: meetingd makes them optional on the server too.
	obj, _ = rad.get(t, "/ana/work/plan-1.ics")
	withCy := strings.Replace(obj, "END:VEVENT", "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:cy@example.com\r\nEND:VEVENT", 1)
	rad.put(t, "/ana/work/plan-1.ics", etag, withCy)
	da.nextPoll(t, cal.ID)
	if got := feedtest.Attendees(t, da.App, occID); !slices.Contains(got, "cy@example.com optional") || len(got) != 3 {
		t.Fatalf("attendees %v", got)
	}
	obj, _ = rad.get(t, "/ana/work/plan-1.ics")
	if l := attendeeLine(obj, "cy@example.com"); !strings.Contains(l, "ROLE=OPT-PARTICIPANT") {
		t.Fatalf("cy on the server: %s", l)
	}
	if n := strings.Count(obj, "ATTACH"); n != 1 {
		t.Fatalf("%d attachments after a second write-back, want 1:\n%s", n, obj)
	}

	// Deleted: cancelled, with its steps.
	rad.front.take()
	rad.delete(t, "/ana/work/plan-1.ics")
	da.nextPoll(t, cal.ID)
	if reqs := rad.front.take(); !slices.Equal(reqs, []string{"REPORT sync-collection 207"}) {
		t.Fatalf("poll after a deletion: %v", reqs)
	}
	occs = feedtest.Occurrences(t, da.App, cal.ID)
	if len(occs) != 1 || !occs[0].Cancelled {
		t.Fatalf("deleted: %+v", occs)
	}
	if st := feedtest.Steps(t, da.App, occID)[meetings.JobDeadline]; st.State != "cancelled" {
		t.Fatalf("deadline of a cancelled meeting: %+v", st)
	}
	if strings.Contains(da.Log.String(), anaPass) {
		t.Fatal("the log shows the app password")
	}
}

// A user's edit that lands between meetingd's read and its write is never
// overwritten: the PUT, conditional on the etag read, is refused with 412;
// meetingd reads the event again, applies the edit, and writes again.
func TestCalDAVConcurrentEditForcesARetry(t *testing.T) {
	ctx := context.Background()
	da := newDavApp(t)
	rad := da.Rad
	plan := event{UID: "plan-2@example.com", Title: "Planning", Start: t0.Add(72 * time.Hour), Attendees: []string{"ben@example.com"}}
	rad.put(t, "/ana/work/plan-2.ics", "", plan.ics())
	cal := da.add(t)
	da.RunDue()
	obj, etag := rad.get(t, "/ana/work/plan-2.ics")

	// Ana adds dee; meetingd reads it and owes a write (dee optional)...
	withDee := strings.Replace(obj, "END:VEVENT", "ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:dee@example.com\r\nEND:VEVENT", 1)
	etag = rad.put(t, "/ana/work/plan-2.ics", etag, withDee)
	if _, err := da.Src.Sync(ctx, cal.ID); err != nil {
		t.Fatal(err)
	}
	// ...but before it writes, ana renames the meeting.
	renamed := strings.Replace(withDee, "SUMMARY:Planning", "SUMMARY:Planning (room 4)", 1)
	rad.put(t, "/ana/work/plan-2.ics", etag, renamed)
	rad.front.take()
	da.RunDue()
	reqs := rad.front.take()
	if len(reqs) != 3 || reqs[0] != "PUT 412" || reqs[1] != "GET 200" || (reqs[2] != "PUT 201" && reqs[2] != "PUT 204") {
		t.Fatalf("write-back over a concurrent edit: %v, want PUT 412, GET, PUT", reqs)
	}
	obj, _ = rad.get(t, "/ana/work/plan-2.ics")
	if !strings.Contains(obj, "SUMMARY:Planning (room 4)") || !strings.Contains(attendeeLine(obj, "dee@example.com"), "ROLE=OPT-PARTICIPANT") {
		t.Fatalf("the server's event:\n%s", obj)
	}
	if occs := feedtest.Occurrences(t, da.App, cal.ID); len(occs) != 1 || occs[0].Title != "Planning (room 4)" {
		t.Fatalf("the edit read on the retry reached meetings: %+v", occs)
	}
	// meetingd's own write is not fetched back.
	da.nextPoll(t, cal.ID)
	if reqs := rad.front.take(); !slices.Equal(reqs, []string{"REPORT sync-collection 207"}) {
		t.Fatalf("poll after the write-back: %v", reqs)
	}
}

// A server that answers 5xx is polled less and less often (no sooner
// than its Retry-After) and reported to the operators once after a day;
// when it recovers, what changed meanwhile arrives.
func TestCalDAVServerFailsThenRecovers(t *testing.T) {
	da := newDavApp(t)
	rad := da.Rad
	plan := event{UID: "plan-3@example.com", Title: "Planning", Start: t0.Add(96 * time.Hour), Attendees: []string{"ben@example.com"}}
	etag := rad.put(t, "/ana/work/plan-3.ics", "", plan.ics())
	cal := da.add(t)
	da.RunDue()
	_, etag = rad.get(t, "/ana/work/plan-3.ics")

	rad.front.failWith(http.StatusBadGateway, "")
	failedAt := da.nextPoll(t, cal.ID)
	last, gaps := failedAt, []time.Duration{}
	for da.Clock.Now().Before(failedAt.Add(25 * time.Hour)) {
		at := da.nextPoll(t, cal.ID)
		gaps, last = append(gaps, at.Sub(last)), at
	}
	if gaps[0] != 10*time.Minute || gaps[1] != 20*time.Minute || gaps[2] != 40*time.Minute || gaps[3] != time.Hour {
		t.Fatalf("waits between failed polls %v", gaps)
	}
	c, _ := da.Src.Get(context.Background(), cal.ID)
	if c.Health.FailingSince == nil || !strings.Contains(c.Health.LastError, "502") {
		t.Fatalf("health %+v", c.Health)
	}
	if mails := feedtest.Outbox(t, da.App, calendar.MailFeedFailing); len(mails) != 1 {
		t.Fatalf("failing-calendar emails %v, want one", mails)
	}
	rad.front.failWith(http.StatusServiceUnavailable, "Retry-After: 10800")
	at := da.nextPoll(t, cal.ID)
	if next := da.nextPoll(t, cal.ID); next.Sub(at) != 3*time.Hour {
		t.Fatalf("polled %s after a Retry-After of 3h", next.Sub(at))
	}

	// Moved while the server was unreachable for meetingd.
	obj, _ := rad.get(t, "/ana/work/plan-3.ics")
	movedStart := plan.Start.Add(24 * time.Hour)
	obj = strings.Replace(obj, "DTSTART:"+plan.Start.Format("20060102T150405Z"), "DTSTART:"+movedStart.Format("20060102T150405Z"), 1)
	obj = strings.Replace(obj, "DTEND:"+plan.Start.Add(time.Hour).Format("20060102T150405Z"), "DTEND:"+movedStart.Add(time.Hour).Format("20060102T150405Z"), 1)
	rad.put(t, "/ana/work/plan-3.ics", etag, obj)
	rad.front.failWith(0, "")
	da.nextPoll(t, cal.ID)
	occs := feedtest.Occurrences(t, da.App, cal.ID)
	if len(occs) != 1 || !occs[0].StartsAt.Equal(movedStart) {
		t.Fatalf("after recovery: %+v", occs)
	}
	c, _ = da.Src.Get(context.Background(), cal.ID)
	if c.Health.Failures != 0 || c.Health.NextPollAt.Sub(*c.Health.CheckedAt) != 10*time.Minute {
		t.Fatalf("health after recovery %+v", c.Health)
	}
	if mails := feedtest.Outbox(t, da.App, calendar.MailFeedFailing); len(mails) != 1 {
		t.Fatalf("failing-calendar emails %v, want still one", mails)
	}
}

// A server without sync-collection is synced by its getctag and the
// objects' etags: an unchanged calendar costs one PROPFIND.
func TestCalDAVWithoutSyncTokens(t *testing.T) {
	ctx := context.Background()
	da := newDavApp(t)
	rad := da.Rad
	rad.front.refuseSyncReport(true)
	a := event{UID: "a@example.com", Title: "Alpha", Start: t0.Add(50 * time.Hour), Attendees: []string{"ben@example.com"}}
	b := event{UID: "b@example.com", Title: "Beta", Start: t0.Add(74 * time.Hour), Attendees: []string{"ben@example.com"}}
	rad.put(t, "/ana/work/a.ics", "", a.ics())
	rad.put(t, "/ana/work/b.ics", "", b.ics())
	cal := da.add(t)
	da.RunDue()
	if c, _ := da.Src.Get(ctx, cal.ID); c.SyncMode != "ctag" {
		t.Fatalf("sync mode %q", c.SyncMode)
	}
	if occs := feedtest.Occurrences(t, da.App, cal.ID); len(occs) != 2 {
		t.Fatalf("occurrences %+v", occs)
	}
	da.nextPoll(t, cal.ID) // sees meetingd's own writes: listed, not fetched
	rad.front.take()
	out, err := da.Src.Sync(ctx, cal.ID)
	if reqs := rad.front.take(); err != nil || !out.Unchanged || !slices.Equal(reqs, []string{"PROPFIND depth 0 207"}) {
		t.Fatalf("unchanged: %+v %v, requests %v", out, err, reqs)
	}
	rad.delete(t, "/ana/work/b.ics")
	objA, etagA := rad.get(t, "/ana/work/a.ics")
	rad.put(t, "/ana/work/a.ics", etagA, strings.Replace(objA, "SUMMARY:Alpha", "SUMMARY:Alpha two", 1))
	da.nextPoll(t, cal.ID)
	if reqs := rad.front.take(); !slices.Equal(reqs[:3], []string{"PROPFIND depth 0 207", "PROPFIND depth 1 207", "REPORT calendar-multiget 207"}) {
		t.Fatalf("changed: %v", reqs)
	}
	occs := feedtest.Occurrences(t, da.App, cal.ID)
	if a := feedtest.Of(occs, "a@example.com"); len(a) != 1 || a[0].Title != "Alpha two" || a[0].Cancelled {
		t.Fatalf("alpha %+v", a)
	}
	if b := feedtest.Of(occs, "b@example.com"); len(b) != 1 || !b[0].Cancelled {
		t.Fatalf("beta %+v", b)
	}
}

// A sync token the server no longer knows means a full listing: what was
// deleted meanwhile is cancelled, nothing is duplicated.
func TestCalDAVInvalidSyncToken(t *testing.T) {
	da := newDavApp(t)
	rad := da.Rad
	a := event{UID: "a@example.com", Title: "Alpha", Start: t0.Add(50 * time.Hour), Attendees: []string{"ben@example.com"}}
	b := event{UID: "b@example.com", Title: "Beta", Start: t0.Add(74 * time.Hour), Attendees: []string{"ben@example.com"}}
	rad.put(t, "/ana/work/a.ics", "", a.ics())
	rad.put(t, "/ana/work/b.ics", "", b.ics())
	cal := da.add(t)
	da.RunDue()
	rad.delete(t, "/ana/work/b.ics")
	da.DB.MustExec(da.DB.Rebind(`UPDATE calendars SET sync_token = ? WHERE id = ?`), "http://radicale.org/ns/sync/forgotten", cal.ID)
	rad.front.take()
	da.nextPoll(t, cal.ID)
	if reqs := rad.front.take(); !slices.Equal(reqs, []string{"REPORT sync-collection 403", "REPORT sync-collection 207"}) {
		t.Fatalf("requests %v", reqs)
	}
	occs := feedtest.Occurrences(t, da.App, cal.ID)
	if len(occs) != 2 || feedtest.Of(occs, "a@example.com")[0].Cancelled || !feedtest.Of(occs, "b@example.com")[0].Cancelled {
		t.Fatalf("occurrences %+v", occs)
	}
}

// What an operator gives is checked: the server refuses a wrong password,
// http is for loopback only, a user with two calendars chooses one, and
// the password is sealed at rest and shown nowhere.
func TestCalDAVAdd(t *testing.T) {
	ctx := context.Background()
	da := newDavApp(t)
	rad := da.Rad
	rad.mkcalendar(t, "/ana/home/", "Home")
	in := caldav.Input{Name: "ana", ServerURL: rad.front.URL + "/", Username: anaUser, Password: anaPass}
	for _, c := range []struct {
		edit func(*caldav.Input)
		want string
	}{
		{func(in *caldav.Input) { in.Password = "wrong" }, "refused the user name or app password (401)"},
		{func(in *caldav.Input) { in.ServerURL = "http://caldav.example.com/" }, "is not https"},
		{func(in *caldav.Input) { in.Password = "" }, "password is required"},
		{func(in *caldav.Input) {}, `choose one with calendar: "Home" (/ana/home/), "Work" (/ana/work/)`},
		{func(in *caldav.Input) { in.Calendar = "Play" }, `no calendar "Play"`},
	} {
		bad := in
		c.edit(&bad)
		if _, err := da.Src.Add(ctx, bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", bad, err, c.want)
		}
	}
	in.Calendar = "Work"
	cal, err := da.Src.Add(ctx, in)
	if err != nil || !strings.HasSuffix(cal.Collection, "/ana/work/") {
		t.Fatalf("%+v %v", cal, err)
	}
	var sealed string
	da.DB.Get(&sealed, da.DB.Rebind(`SELECT password FROM caldav_calendars WHERE calendar_id = ?`), cal.ID)
	if sealed == "" || strings.Contains(sealed, anaPass) {
		t.Fatalf("stored password %q", sealed)
	}
	if list, _ := da.Src.List(ctx); len(list) != 1 || strings.Contains(fmt.Sprintf("%+v", list), anaPass) {
		t.Fatalf("list %+v", list)
	}
	noKey, _ := caldav.New(da.DB, da.Clock, da.Meetings, da.Outbox, da.App.Log, caldav.Config{})
	if _, err := noKey.Add(ctx, in); err == nil || !strings.Contains(err.Error(), "--caldav-key") {
		t.Fatalf("without a key: %v", err)
	}
	other, _ := caldav.New(da.DB, da.Clock, da.Meetings, da.Outbox, da.App.Log, caldav.Config{Key: bytes.Repeat([]byte{8}, 32)})
	out, err := other.Sync(ctx, cal.ID)
	if err != nil || !strings.Contains(out.Failed, "does not open with --caldav-key") {
		t.Fatalf("another key: %+v %v", out, err)
	}
}

// A weekly meeting keeps having occurrences ahead as time passes: once a
// day the stored objects are expanded again, with no request for it.
func TestCalDAVExpandsRecurringSeriesDaily(t *testing.T) {
	da := newDavApp(t)
	rad := da.Rad
	weekly := event{UID: "weekly@example.com", Title: "Weekly", Start: t0.Add(26 * time.Hour), Attendees: []string{"ben@example.com"},
		Extra: "RRULE:FREQ=WEEKLY\r\n"}
	rad.put(t, "/ana/work/weekly.ics", "", weekly.ics())
	cal := da.add(t)
	da.RunDue()
	da.nextPoll(t, cal.ID)
	before := len(feedtest.Occurrences(t, da.App, cal.ID))
	rad.front.take()
	da.At(t0.Add(8 * 24 * time.Hour))
	if reqs := rad.front.take(); !slices.Equal(reqs, []string{"REPORT sync-collection 207"}) {
		t.Fatalf("a week later: %v", reqs)
	}
	if after := len(feedtest.Occurrences(t, da.App, cal.ID)); after != before+1 {
		t.Fatalf("%d occurrences a week later, want %d", after, before+1)
	}
}
