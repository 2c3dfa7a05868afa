package calendar_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/calendar/feedtest"
	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/meetings"
)

// secret is the part of a subscription URL that opens the calendar.
const secret = "k3y-7f3a9b0c5d"

// subsApp is meetingd with its ICS subscriptions, polling a feed server.
type subsApp struct {
	*apptest.App
	Subs *calendar.Subscriptions
	Feed *feedServer
	Log  *apptest.Logs
}

func newSubsApp(t testing.TB, cfg calendar.SubscriptionConfig) *subsApp {
	t.Helper()
	log := &apptest.Logs{}
	f := newFeedServer(t)
	cfg.HTTPClient = f.Client()
	// The app wires its subscriptions as serve does: on its worker.
	a := apptest.New(t, t0, apptest.Log(log), apptest.Config(func(c *app.Config) { c.Subscriptions = cfg }))
	return &subsApp{App: a, Subs: a.Subscriptions, Feed: f, Log: log}
}

// url is the feed's secret address, as webcal.
func (sa *subsApp) url() string {
	return strings.Replace(sa.Feed.URL, "https://", "webcal://", 1) + "/owa/calendar/" + secret + "/calendar.ics"
}

func (sa *subsApp) subscribe(t testing.TB, name string) calendar.Subscription {
	t.Helper()
	sub, err := sa.Subs.Add(context.Background(), calendar.SubscriptionInput{Name: name, URL: sa.url()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// nextPoll moves the clock to the subscription's next periodic poll and
// runs what is due.
func (sa *subsApp) nextPoll(t testing.TB, id int64) time.Time {
	t.Helper()
	sub, err := sa.Subs.Get(context.Background(), id)
	if err != nil || sub.Health.NextPollAt == nil {
		t.Fatalf("subscription %d: %+v %v", id, sub, err)
	}
	at := sub.Health.NextPollAt.UTC()
	sa.At(at)
	return at
}

// An event published in a subscribed calendar is followed as it is
// created, moved, gains an attendee and is removed: one occurrence all
// along, its pre-read deadline moving with it, then cancelled with its
// steps. A poll of an unchanged calendar is one conditional request
// answered 304, and writes nothing.
func TestSubscriptionFollowsAnEvent(t *testing.T) {
	sa := newSubsApp(t, calendar.DefaultSubscriptionConfig())
	start := t0.Add(72 * time.Hour)
	plan := vevent{UID: "plan@example.com", Title: "Planning", Start: start, Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com"}}
	weekly := vevent{UID: "weekly@example.com", Title: "Weekly", Start: t0.Add(26 * time.Hour), Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com", "cy@example.com;ROLE=CHAIR"}, RRule: "FREQ=WEEKLY;COUNT=4"}
	sa.Feed.publish(calendarBody(plan, weekly))

	sub := sa.subscribe(t, "team")
	if sub.URL == sa.url() || strings.Contains(sub.URL, secret) {
		t.Fatalf("the subscription shows its URL: %q", sub.URL)
	}
	sa.RunDue()
	reqs := sa.Feed.take()
	if len(reqs) != 1 || reqs[0].IfNoneMatch != "" || reqs[0].IfModifiedSince != "" || reqs[0].Status != 200 {
		t.Fatalf("first poll: %+v, want one unconditional GET", reqs)
	}
	if !strings.HasSuffix(reqs[0].Path, secret+"/calendar.ics") {
		t.Fatalf("fetched %s", reqs[0].Path)
	}
	occs := feedtest.Occurrences(t, sa.App, sub.ID)
	if p := feedtest.Of(occs, plan.UID); len(p) != 1 || !p[0].StartsAt.Equal(start) || !p[0].PreReadDueAt.Equal(start.Add(-24*time.Hour)) {
		t.Fatalf("planning: %+v", p)
	}
	if w := feedtest.Of(occs, weekly.UID); len(w) != 4 {
		t.Fatalf("weekly: %d occurrences, want 4", len(w))
	}
	occID := feedtest.Of(occs, plan.UID)[0].ID
	if st := feedtest.Steps(t, sa.App, occID)[meetings.JobDeadline]; !st.DueAt.Equal(start.Add(-24*time.Hour)) || st.State != "pending" {
		t.Fatalf("deadline %+v", st)
	}

	// Unchanged: one conditional GET, answered 304, and nothing written.
	var before time.Time
	sa.DB.Get(&before, `SELECT MAX(updated_at) FROM occurrences`)
	sa.nextPoll(t, sub.ID)
	reqs = sa.Feed.take()
	etag := sa.Feed.etag()
	if len(reqs) != 1 || reqs[0].IfNoneMatch != etag || reqs[0].IfModifiedSince == "" || reqs[0].Status != http.StatusNotModified {
		t.Fatalf("unchanged poll: %+v, want one GET with If-None-Match %s and If-Modified-Since, answered 304", reqs, etag)
	}
	var after time.Time
	sa.DB.Get(&after, `SELECT MAX(updated_at) FROM occurrences`)
	if !after.Equal(before) {
		t.Fatalf("an unchanged calendar wrote occurrences: %s then %s", before, after)
	}

	// Moved two hours later: the same occurrence, its deadline moved.
	plan.Start = start.Add(2 * time.Hour)
	sa.Feed.publish(calendarBody(plan, weekly))
	sa.nextPoll(t, sub.ID)
	if reqs := sa.Feed.take(); len(reqs) != 1 || reqs[0].Status != 200 || reqs[0].IfNoneMatch != etag {
		t.Fatalf("poll after a change: %+v", reqs)
	}
	p := feedtest.Of(feedtest.Occurrences(t, sa.App, sub.ID), plan.UID)
	if len(p) != 1 || p[0].ID != occID || !p[0].StartsAt.Equal(plan.Start) {
		t.Fatalf("moved planning: %+v (occurrence %d)", p, occID)
	}
	if st := feedtest.Steps(t, sa.App, occID)[meetings.JobDeadline]; !st.DueAt.Equal(plan.Start.Add(-24 * time.Hour)) {
		t.Fatalf("deadline after the move: %+v", st)
	}

	// Gains an attendee.
	plan.Attendees = append(plan.Attendees, "dee@example.com")
	sa.Feed.publish(calendarBody(plan, weekly))
	sa.nextPoll(t, sub.ID)
	if got := feedtest.Attendees(t, sa.App, occID); !slices.Contains(got, "dee@example.com optional") || len(got) != 3 {
		t.Fatalf("attendees %v, want dee among three", got)
	}

	// Removed from the calendar: cancelled, with its steps; the weekly
	// series untouched.
	sa.Feed.publish(calendarBody(weekly))
	sa.nextPoll(t, sub.ID)
	occs = feedtest.Occurrences(t, sa.App, sub.ID)
	if p := feedtest.Of(occs, plan.UID); len(p) != 1 || !p[0].Cancelled {
		t.Fatalf("removed planning: %+v", p)
	}
	if st := feedtest.Steps(t, sa.App, occID)[meetings.JobDeadline]; st.State != "cancelled" {
		t.Fatalf("deadline of a cancelled meeting: %+v", st)
	}
	for _, o := range feedtest.Of(occs, weekly.UID) {
		if o.Cancelled {
			t.Fatalf("weekly occurrence cancelled: %+v", o)
		}
	}
	if len(occs) != 5 {
		t.Fatalf("%d occurrences, want 5: nothing duplicated", len(occs))
	}

	// One occurrence of the weekly series cancelled in the calendar.
	weekly.Status = "CANCELLED"
	sa.Feed.publish(calendarBody(weekly))
	sa.nextPoll(t, sub.ID)
	for _, o := range feedtest.Of(feedtest.Occurrences(t, sa.App, sub.ID), weekly.UID) {
		if !o.Cancelled {
			t.Fatalf("a cancelled series keeps %+v", o)
		}
	}
	if strings.Contains(sa.Log.String(), secret) {
		t.Fatal("the log shows the subscription's secret")
	}
}

// A server that sends Last-Modified and no ETag is asked with
// If-Modified-Since alone.
func TestSubscriptionLastModifiedOnly(t *testing.T) {
	sa := newSubsApp(t, calendar.DefaultSubscriptionConfig())
	sa.Feed.noETag = true
	sa.Feed.publish(calendarBody(vevent{UID: "a", Title: "A", Start: t0.Add(48 * time.Hour), Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com"}}))
	sub := sa.subscribe(t, "team")
	sa.RunDue()
	sa.Feed.take()
	sa.nextPoll(t, sub.ID)
	reqs := sa.Feed.take()
	if len(reqs) != 1 || reqs[0].IfNoneMatch != "" || reqs[0].IfModifiedSince == "" || reqs[0].Status != http.StatusNotModified {
		t.Fatalf("%+v, want one GET with If-Modified-Since answered 304", reqs)
	}
}

// A response that is not a calendar, one larger than the limit, and one
// the parser refuses are each refused without touching what is stored;
// the next poll still names the last body applied.
func TestSubscriptionRefusesWhatIsNotACalendar(t *testing.T) {
	cfg := calendar.DefaultSubscriptionConfig()
	cfg.MaxBytes = 4 << 10
	sa := newSubsApp(t, cfg)
	ev := vevent{UID: "a", Title: "Planning", Start: t0.Add(48 * time.Hour), Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com"}}
	good := calendarBody(ev)
	sa.Feed.publish(good)
	sub := sa.subscribe(t, "team")
	sa.RunDue()
	applied := sa.Feed.etag()
	sa.Feed.take()
	want := feedtest.Occurrences(t, sa.App, sub.ID)

	big := calendarBody(ev)
	big = strings.Replace(big, "SUMMARY:Planning", "SUMMARY:"+strings.Repeat("x", 70)+strings.Repeat("\r\n "+strings.Repeat("x", 70), 80), 1)
	for _, c := range []struct{ name, body, ctype, why string }{
		{"login page", "<!DOCTYPE html><html><body>Sign in to Outlook</body></html>", "text/html", "not a calendar"},
		{"too large", big, "", "larger than the limit"},
		{"malformed", strings.Replace(good, "DTSTART:", "DTSTART:2026130", 1), "", "cannot be read"},
	} {
		sa.Feed.publish(c.body)
		sa.Feed.ctype = c.ctype
		sa.nextPoll(t, sub.ID)
		reqs := sa.Feed.take()
		if len(reqs) != 1 || reqs[0].IfNoneMatch != applied {
			t.Fatalf("%s: %+v, want a GET naming the last body applied", c.name, reqs)
		}
		got, err := sa.Subs.Get(context.Background(), sub.ID)
		if err != nil || got.Health.Failures == 0 || !strings.Contains(got.Health.LastError, c.why) {
			t.Fatalf("%s: health %+v %v, want %q", c.name, got.Health, err, c.why)
		}
		if occs := feedtest.Occurrences(t, sa.App, sub.ID); !slices.Equal(occs, want) {
			t.Fatalf("%s changed the occurrences: %+v", c.name, occs)
		}
	}
	sa.Feed.ctype = ""
	moved := ev
	moved.Start = ev.Start.Add(time.Hour)
	sa.Feed.publish(calendarBody(moved))
	sa.nextPoll(t, sub.ID)
	if occs := feedtest.Occurrences(t, sa.App, sub.ID); len(occs) != 1 || !occs[0].StartsAt.Equal(moved.Start) {
		t.Fatalf("after recovery: %+v", occs)
	}
	if got, _ := sa.Subs.Get(context.Background(), sub.ID); got.Health.Failures != 0 || got.Health.LastError != "" {
		t.Fatalf("health after recovery: %+v", got.Health)
	}
}

// A failing calendar is polled less and less often (and no sooner than
// the server's Retry-After), is reported to the operators once after a
// day of failures, and, once it works, is polled every interval again.
// Neither the log, the email nor the status shows the URL's secret.
func TestSubscriptionBacksOffAndReportsOnce(t *testing.T) {
	sa := newSubsApp(t, calendar.DefaultSubscriptionConfig())
	ev := vevent{UID: "a", Title: "Planning", Start: t0.Add(96 * time.Hour), Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com"}}
	sa.Feed.publish(calendarBody(ev))
	sub := sa.subscribe(t, "team")
	sa.RunDue()
	sa.Feed.take()

	sa.Feed.failWith(http.StatusServiceUnavailable, "")
	failedAt := sa.nextPoll(t, sub.ID)
	sa.Feed.take()
	var gaps []time.Duration
	last := failedAt
	for sa.Clock.Now().Before(failedAt.Add(26 * time.Hour)) {
		at := sa.nextPoll(t, sub.ID)
		if n := len(sa.Feed.take()); n != 1 {
			t.Fatalf("a poll at %s made %d requests", at, n)
		}
		gaps = append(gaps, at.Sub(last))
		last = at
	}
	if gaps[0] != 10*time.Minute || gaps[1] != 20*time.Minute || gaps[2] != 40*time.Minute || gaps[3] != time.Hour ||
		gaps[len(gaps)-1] != time.Hour {
		t.Fatalf("waits between failed polls %v, want 10m, 20m, 40m, then an hour", gaps)
	}
	mails := feedtest.Outbox(t, sa.App, calendar.MailFeedFailing)
	if len(mails) != 1 || mails[0] != "ops@example.com" {
		t.Fatalf("failing-calendar emails %v, want one to the operator", mails)
	}
	var text string
	sa.DB.Get(&text, sa.DB.Rebind(`SELECT text_body FROM outbox WHERE kind = ?`), calendar.MailFeedFailing)
	if !strings.Contains(text, "team") || !strings.Contains(text, "503") || strings.Contains(text, secret) {
		t.Fatalf("the email reads:\n%s", text)
	}

	// A server that asks for two hours is left alone for two hours.
	sa.Feed.failWith(http.StatusServiceUnavailable, "Retry-After: 7200")
	at := sa.nextPoll(t, sub.ID)
	sa.Feed.take()
	if next := sa.nextPoll(t, sub.ID); next.Sub(at) != 2*time.Hour {
		t.Fatalf("polled %s after a Retry-After of 2h", next.Sub(at))
	}

	sa.Feed.failWith(0, "")
	sa.nextPoll(t, sub.ID)
	got, _ := sa.Subs.Get(context.Background(), sub.ID)
	if got.Health.Failures != 0 || got.Health.FailingSince != nil || got.Health.NextPollAt.Sub(*got.Health.CheckedAt) != 10*time.Minute {
		t.Fatalf("after recovery: %+v", got.Health)
	}
	if mails := feedtest.Outbox(t, sa.App, calendar.MailFeedFailing); len(mails) != 1 {
		t.Fatalf("%d emails, want still one", len(mails))
	}
	if strings.Contains(sa.Log.String(), secret) || strings.Contains(got.URL, secret) {
		t.Fatal("the log or the status shows the URL's secret")
	}
}

// An operator's mistakes are refused with what is wrong; webcal is
// fetched over https, and a name subscribed again takes the new URL.
func TestSubscriptionInput(t *testing.T) {
	ctx := context.Background()
	sa := newSubsApp(t, calendar.DefaultSubscriptionConfig())
	for _, c := range []struct {
		in   calendar.SubscriptionInput
		want string
	}{
		{calendar.SubscriptionInput{URL: sa.url()}, "name is required"},
		{calendar.SubscriptionInput{Name: "team"}, "url is required"},
		{calendar.SubscriptionInput{Name: "team", URL: "http://example.com/" + secret}, `scheme "http" is not https or webcal`},
		{calendar.SubscriptionInput{Name: "team", URL: "example.com/cal.ics"}, "no scheme"},
		{calendar.SubscriptionInput{Name: "team", URL: sa.url(), Every: 10 * time.Second}, "below the minimum of 1m"},
		{calendar.SubscriptionInput{Name: "team", URL: sa.url(), Every: 48 * time.Hour}, "above the maximum of 24h"},
	} {
		_, err := sa.Subs.Add(ctx, c.in, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.in, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	sa.Feed.publish(calendarBody(vevent{UID: "a", Title: "A", Start: t0.Add(48 * time.Hour), Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com"}}))
	sub := sa.subscribe(t, "team")
	sa.RunDue()
	if reqs := sa.Feed.take(); len(reqs) != 1 || reqs[0].Status != 200 {
		t.Fatalf("webcal subscription fetched: %+v", reqs)
	}
	again, err := sa.Subs.Add(ctx, calendar.SubscriptionInput{Name: "team", URL: sa.url() + "?v=2", Every: time.Hour}, 0)
	if err != nil || again.ID != sub.ID || again.PollInterval != "1h0m0s" || again.URL == sub.URL {
		t.Fatalf("subscribed again: %+v %v", again, err)
	}
	sa.RunDue()
	if reqs := sa.Feed.take(); len(reqs) != 1 || reqs[0].IfNoneMatch != "" {
		t.Fatalf("a new URL is read whole: %+v", reqs)
	}

	if err := sa.Subs.Remove(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	sa.At(t0.Add(3 * time.Hour))
	if reqs := sa.Feed.take(); len(reqs) != 0 {
		t.Fatalf("a removed subscription was polled: %+v", reqs)
	}
	if list, _ := sa.Subs.List(ctx); len(list) != 0 {
		t.Fatalf("removed, yet listed: %+v", list)
	}
	if occs := feedtest.Occurrences(t, sa.App, sub.ID); len(occs) != 1 || occs[0].Cancelled {
		t.Fatalf("a removed subscription's meetings: %+v", occs)
	}
}

// A weekly meeting keeps having occurrences ahead as time passes: once a
// day the calendar is read whole, even if the server says it is unchanged,
// and the new instance in the horizon becomes a meeting.
func TestSubscriptionExpandsRecurringSeriesDaily(t *testing.T) {
	sa := newSubsApp(t, calendar.DefaultSubscriptionConfig())
	weekly := vevent{UID: "weekly", Title: "Weekly", Start: t0.Add(26 * time.Hour), Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com"}, RRule: "FREQ=WEEKLY"}
	sa.Feed.publish(calendarBody(weekly))
	sub := sa.subscribe(t, "team")
	sa.RunDue()
	before := len(feedtest.Occurrences(t, sa.App, sub.ID))
	sa.Feed.take()
	sa.At(t0.Add(8 * 24 * time.Hour))
	reqs := sa.Feed.take()
	if len(reqs) != 1 || reqs[0].IfNoneMatch != "" || reqs[0].Status != 200 {
		t.Fatalf("a day later: %+v, want one unconditional GET", reqs)
	}
	if after := len(feedtest.Occurrences(t, sa.App, sub.ID)); after != before+1 {
		t.Fatalf("%d occurrences a week later, want %d", after, before+1)
	}
	sa.nextPoll(t, sub.ID)
	if reqs := sa.Feed.take(); len(reqs) != 1 || reqs[0].Status != http.StatusNotModified {
		t.Fatalf("the poll after: %+v", reqs)
	}
}

// A server that cannot be reached fails the poll with an error from the
// HTTP client, which quotes the address it asked for: what is recorded,
// logged and listed names the host and a fingerprint, never the secret.
func TestSubscriptionUnreachableKeepsTheURLSecret(t *testing.T) {
	ctx := context.Background()
	sa := newSubsApp(t, calendar.DefaultSubscriptionConfig())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "webcal://" + l.Addr().String() + "/owa/calendar/" + secret + "/calendar.ics"
	l.Close() // nothing listens there now: connection refused
	sub, err := sa.Subs.Add(ctx, calendar.SubscriptionInput{Name: "gone", URL: gone}, 0)
	if err != nil {
		t.Fatal(err)
	}
	sa.RunDue()
	got, err := sa.Subs.Get(ctx, sub.ID)
	if err != nil || got.Health.Failures != 1 || !strings.Contains(got.Health.LastError, l.Addr().String()) {
		t.Fatalf("health %+v %v, want one failure naming the host", got.Health, err)
	}
	if _, fp, _ := strings.Cut(got.URL, "#"); fp == "" || !strings.Contains(got.Health.LastError, "#"+fp) {
		t.Errorf("the error %q does not name the subscription's fingerprint %q", got.Health.LastError, got.URL)
	}
	for what, text := range map[string]string{"last error": got.Health.LastError, "url": got.URL, "log": sa.Log.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("the %s shows the URL's secret: %s", what, text)
		}
	}
}

// A team that imported its calendar by hand subscribes to it under the
// same name: the subscription carries the imported meetings on (moved,
// not duplicated) rather than starting a second copy.
func TestSubscriptionTakesOverAnImport(t *testing.T) {
	ctx := context.Background()
	sa := newSubsApp(t, calendar.DefaultSubscriptionConfig())
	plan := vevent{UID: "plan@example.com", Title: "Planning", Start: t0.Add(72 * time.Hour), Organizer: "ana@example.com",
		Attendees: []string{"ben@example.com"}}
	if _, err := sa.Calendar.Import(ctx, strings.NewReader(calendarBody(plan)), "team", nil); err != nil {
		t.Fatal(err)
	}
	plan.Start = plan.Start.Add(time.Hour)
	sa.Feed.publish(calendarBody(plan))
	sub := sa.subscribe(t, "team")
	before := feedtest.Occurrences(t, sa.App, sub.ID)
	sa.RunDue()
	after := feedtest.Occurrences(t, sa.App, sub.ID)
	if len(before) != 1 || len(after) != 1 || after[0].ID != before[0].ID || !after[0].StartsAt.Equal(plan.Start) {
		t.Fatalf("imported %+v, then subscribed %+v: want the same occurrence, moved", before, after)
	}
}
