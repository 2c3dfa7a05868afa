package google_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/calendar/google"
	"meetingd/calendar/google/googlefake"
	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/clock"
	"meetingd/internal/web/webtest"
	"meetingd/meetings"
)

// Monday 2 November 2026, 08:00 UTC; Berlin is on CET (UTC+1).
var g0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

var berlinTZ, _ = time.LoadLocation("Europe/Berlin")

func berlin(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, berlinTZ)
}

// googleHarness is the whole service with its Google source against the
// fake, on a real SQLite file and a fake clock, with every wait recorded
// instead of slept.
type googleHarness struct {
	*webtest.App
	t    testing.TB
	ctx  context.Context
	svc  *meetings.Service
	fake *googlefake.Server
	g    *google.Source
	cfg  google.Config
	tpl  string // the template doc's id

	configure func(*app.Config)                   // the Google half of the configuration, for replicas
	gate      atomic.Pointer[func(*http.Request)] // if set, sees each call before the fake does

	mu     sync.Mutex
	sleeps []time.Duration
	logs   *apptest.Logs
}

var googleUsers = []string{"ana@example.com", "ben@example.com", "cy@example.com", "dee@example.com", "ops@example.com"}

// newGoogleHarness watches the calendars named (ana's by default), each
// connected through the OAuth web flow; change sets the config first.
func newGoogleHarness(t testing.TB, change func(*google.Config), calendars ...string) *googleHarness {
	t.Helper()
	if len(calendars) == 0 {
		calendars = []string{"ana@example.com"}
	}
	c := clock.NewFake(g0)
	h := &googleHarness{t: t, ctx: context.Background(), logs: &apptest.Logs{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", h.logs.String())
		}
	})

	// The fake Google and its people.
	h.fake = googlefake.New(c)
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gate := h.gate.Load(); gate != nil {
			(*gate)(r)
		}
		h.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(fs.Close)
	h.fake.SetURL(fs.URL)
	for _, u := range googleUsers {
		h.fake.AddUser(u, "Europe/Berlin")
	}
	h.tpl = h.fake.CreateDoc("ops@example.com", "Meeting notes template",
		"{{title}}\nOrganizer: {{organizer}}\nInvited: {{attendees}}\nRepeats: {{recurrence}}")
	for _, u := range googleUsers {
		h.fake.ShareFile(h.tpl, u, "reader")
	}

	// meetingd, whose loopback server takes Google's push notifications
	// and the browsers' returns from consent.
	withGoogle := func(ac *app.Config) {
		cfg := google.DefaultConfig()
		for _, id := range calendars {
			cfg.Calendars = append(cfg.Calendars, google.Calendar{ID: id})
		}
		cfg.OAuthClient = []byte(fmt.Sprintf(`{"web":{"client_id":"meetingd-test","client_secret":"s3cret",
			"auth_uri":"%[1]s/o/oauth2/auth","token_uri":"%[1]s/token","redirect_uris":["%[2]s/google/oauth/callback"]}}`, fs.URL, ac.BaseURL))
		cfg.TokenKey = bytes.Repeat([]byte{7}, 32)
		cfg.Endpoint = fs.URL
		cfg.TemplateDoc = h.tpl
		cfg.BaseURL = ac.BaseURL
		cfg.WebhookURL = ac.BaseURL + google.NotifyPath
		cfg.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sleeps = append(h.sleeps, d)
			return nil
		}
		cfg.Retry.Jitter = func() float64 { return 0.5 }
		if change != nil {
			change(&cfg)
		}
		h.cfg = cfg
		ac.Google = &cfg
	}
	h.configure = withGoogle
	h.App = webtest.New(t, g0, apptest.Clock(c), apptest.Log(h.logs), apptest.Config(withGoogle))
	h.svc, h.g = h.Meetings, h.Google
	if len(h.cfg.OAuthClient) > 0 {
		for _, c := range calendars {
			h.connect(c)
		}
	}
	return h
}

// replica is a second meetingd on the same database, clock and Google,
// as another replica behind the load balancer.
func (h *googleHarness) replica() *apptest.App {
	h.t.Helper()
	c := h.Clock
	return apptest.New(h.t, g0, apptest.DB(h.Cfg.DB), apptest.Clock(c), apptest.Log(h.logs),
		apptest.Config(func(ac *app.Config) { ac.BaseURL = h.Cfg.BaseURL }), apptest.Config(h.configure))
}

// connect runs the OAuth web flow for a calendar's owner, as a browser would.
func (h *googleHarness) connect(calendar string) {
	h.t.Helper()
	u, err := h.g.ConnectURL(h.ctx, calendar)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.Get(u) // the fake consents at once and redirects to the callback
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 || resp.Request.URL.Path != google.CallbackPath {
		h.t.Fatalf("consent for %s ended at %s: %d %s", calendar, resp.Request.URL, resp.StatusCode, b.String())
	}
}

// run runs every job due now.
func (h *googleHarness) run() { h.t.Helper(); h.RunDue() }

// at moves the clock and runs what fell due.
func (h *googleHarness) at(t time.Time) { h.t.Helper(); h.At(t) }

// push delivers the fake's notifications to the webhook and runs the
// syncs they armed.
func (h *googleHarness) push() []googlefake.Delivery {
	h.t.Helper()
	ds, err := h.fake.Deliver(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	h.run()
	return ds
}

// settle runs jobs and delivers notifications until both are quiet.
func (h *googleHarness) settle() {
	h.t.Helper()
	for range 10 {
		n, err := h.Worker.RunDue(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 && h.fake.Pending() == 0 {
			return
		}
		if _, err := h.fake.Deliver(h.ctx); err != nil {
			h.t.Fatal(err)
		}
	}
	h.t.Fatal("jobs and notifications did not settle")
}

// clean fails the test if a job failed or the fake saw a request its
// discovery documents do not define.
func (h *googleHarness) clean() {
	h.t.Helper()
	var failed []string
	if err := h.DB.Select(&failed, `SELECT kind || ' ' || subject || ': ' || last_error FROM jobs WHERE last_error <> ''`); err != nil {
		h.t.Fatal(err)
	}
	if len(failed) > 0 {
		h.t.Errorf("failed jobs:\n%s", strings.Join(failed, "\n"))
	}
	if v := h.fake.Violations(); len(v) > 0 {
		h.t.Errorf("requests outside the discovery documents:\n%s", strings.Join(v, "\n"))
	}
}

func (h *googleHarness) calendarID(googleID string) int64 {
	h.t.Helper()
	var id int64
	if err := h.DB.Get(&id, `SELECT id FROM calendars WHERE kind = 'google' AND name = ?`, googleID); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// occ is a stored occurrence.
type occ struct {
	ID        int64     `db:"id"`
	SeriesID  int64     `db:"series_id"`
	RID       string    `db:"recurrence_id"`
	Title     string    `db:"title"`
	Start     time.Time `db:"starts_at"`
	Cancelled bool      `db:"cancelled"`
	PreRead   string    `db:"pre_read_state"`
}

// occurrences lists a series' occurrences by start.
func (h *googleHarness) occurrences(uid string) []occ {
	h.t.Helper()
	var out []occ
	err := h.DB.Select(&out, `SELECT o.id, o.series_id, o.recurrence_id, o.title, o.starts_at, o.cancelled, o.pre_read_state
		FROM occurrences o JOIN series s ON s.id = o.series_id WHERE s.uid = ? ORDER BY o.starts_at`, uid)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// occurrenceAt is the occurrence of uid whose original start is rid.
func (h *googleHarness) occurrenceAt(uid string, rid time.Time) occ {
	h.t.Helper()
	want := ""
	if !rid.IsZero() {
		want = rid.UTC().Format(time.RFC3339)
	}
	for _, o := range h.occurrences(uid) {
		if o.RID == want {
			return o
		}
	}
	h.t.Fatalf("no occurrence of %s at %s", uid, want)
	return occ{}
}

// attendeeRoles maps an occurrence's current attendees to their roles.
func (h *googleHarness) attendeeRoles(occID int64) map[string]string {
	h.t.Helper()
	var rows []struct {
		Email string `db:"email"`
		Role  string `db:"role"`
	}
	err := h.DB.Select(&rows, `SELECT p.email, a.role FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND a.removed = FALSE`, occID)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Email] = r.Role
	}
	return out
}

// doc is the Google Doc of a series, by event id.
func (h *googleHarness) doc(uid string) google.DocRow {
	h.t.Helper()
	var d google.DocRow
	err := h.DB.Get(&d, `SELECT d.series_id, d.doc_id, d.url, d.filled, d.shared, d.made_optional
		FROM google_docs d JOIN series s ON s.id = d.series_id WHERE s.uid = ?`, uid)
	if err != nil {
		h.t.Fatalf("doc of %s: %v", uid, err)
	}
	return d
}

// mails lists "kind to" of every email in the outbox.
func (h *googleHarness) mails() []string {
	h.t.Helper()
	var out []string
	if err := h.DB.Select(&out, `SELECT kind || ' ' || to_addr FROM outbox ORDER BY id`); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *googleHarness) recordedSleeps() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

// --- Events ---

func when(t time.Time) *gcalendar.EventDateTime {
	return &gcalendar.EventDateTime{DateTime: t.In(berlinTZ).Format(time.RFC3339), TimeZone: "Europe/Berlin"}
}

func person(email string) *gcalendar.EventAttendee {
	return &gcalendar.EventAttendee{Email: email, ResponseStatus: "needsAction"}
}

// meeting is an event organized by ana with ben and cy.
func meeting(id, title string, start time.Time, d time.Duration) *gcalendar.Event {
	return &gcalendar.Event{Id: id, Summary: title, Start: when(start), End: when(start.Add(d)),
		Organizer: &gcalendar.EventOrganizer{Email: "ana@example.com", DisplayName: "Ana"},
		Attendees: []*gcalendar.EventAttendee{
			{Email: "ana@example.com", Organizer: true, ResponseStatus: "accepted"},
			person("ben@example.com"), person("cy@example.com")}}
}

// requestBody decodes a logged request's JSON body.
func requestBody(t testing.TB, r googlefake.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s body: %v", r.Method, err)
	}
	return m
}

// restart is meetingd started again on the same database, clock and
// Google, its configuration changed by change: as after an operator edits
// the flags and restarts it.
func (h *googleHarness) restart(change func(*google.Config)) *apptest.App {
	h.t.Helper()
	return apptest.New(h.t, g0, apptest.DB(h.Cfg.DB), apptest.Clock(h.Clock), apptest.Log(h.logs),
		apptest.Config(func(ac *app.Config) { ac.BaseURL = h.Cfg.BaseURL }), apptest.Config(h.configure),
		apptest.Config(func(ac *app.Config) { change(ac.Google) }))
}

// sectionHead is the dated heading of an occurrence's section in a doc.
func (h *googleHarness) sectionHead(docID string, occID int64) googlefake.Paragraph {
	h.t.Helper()
	link := h.g.OccurrenceLink(occID)
	for _, p := range h.fake.DocParagraphs(docID) {
		if p.Link == link {
			return p
		}
	}
	h.t.Fatalf("no section for occurrence %d in doc %s", occID, docID)
	return googlefake.Paragraph{}
}

// sectionText is what a heading of an occurrence's section holds in a doc.
func (h *googleHarness) sectionText(docID string, occID int64, heading string) string {
	h.t.Helper()
	var b strings.Builder
	sectionField(h.t, h, docID, occID, heading, func(p googlefake.Paragraph) { b.WriteString(p.Text) })
	return strings.TrimSpace(b.String())
}

// sectionParagraphs are the texts of an occurrence's section in a doc,
// from its heading to the next section's.
func (h *googleHarness) sectionParagraphs(docID string, occID int64) []string {
	h.t.Helper()
	link := h.g.OccurrenceLink(occID)
	var out []string
	in := false
	for _, p := range h.fake.DocParagraphs(docID) {
		switch {
		case p.Link == link:
			in = true
		case in && strings.Contains(p.Link, "/meetings/"):
			return out
		}
		if in {
			out = append(out, p.Text)
		}
	}
	return out
}

// mailBody is the text of the email of kind to, once sent.
func (h *googleHarness) mailBody(kind, to string) string {
	h.t.Helper()
	var body string
	h.DB.Get(&body, h.DB.Rebind(`SELECT text_body FROM outbox WHERE kind = ? AND to_addr = ?`), kind, to)
	return body
}

// attendance is what meetingd recorded of who's attendance at an occurrence.
func (h *googleHarness) attendance(occID int64, who string) string {
	h.t.Helper()
	var a string
	err := h.DB.Get(&a, h.DB.Rebind(`SELECT a.attendance FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND p.email = ?`), occID, who)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}
