package meetings_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/meetings"
	"meetingd/templates"
)

// Monday 2 November 2026, 08:00 UTC.
var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	db     *sqlx.DB
	clock  *clock.Fake
	svc    *meetings.Service
	worker *jobs.Worker
	cal    int64
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c := clock.NewFake(t0)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	key, _ := links.LoadKey(ctx, d)
	signer, _ := links.NewSigner(key)
	tpl := templates.MustLoad()
	outbox := &mail.Outbox{Templates: tpl, Clock: c, BaseURL: "https://meetingd.test", Log: log}
	cfg := meetings.DefaultConfig()
	cfg.BaseURL = "https://meetingd.test"
	svc := &meetings.Service{DB: d, Clock: c, Cfg: cfg, Outbox: outbox, Links: signer, Templates: tpl, Log: log}
	w := jobs.NewWorker(d, c, log)
	svc.Register(w)
	(&mail.Deliverer{DB: d, Outbox: outbox, Transport: mail.LocalTransport{}, MaxAttempts: 8}).Register(w)
	var cal int64
	if err := d.Get(&cal, `INSERT INTO calendars (kind, name, created_at) VALUES ('local', 'test', ?) RETURNING id`, t0); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, db: d, clock: c, svc: svc, worker: w, cal: cal}
}

// event is a meeting of ana (organizer), ben and cy.
func event(uid string, start time.Time) meetings.Event {
	return meetings.Event{SeriesUID: uid, Title: "Planning " + uid, Start: start, End: start.Add(time.Hour),
		TimeZone: "Europe/Berlin", Organizer: meetings.EventPerson{Email: "ana@example.com", Name: "Ana"},
		Attendees: []meetings.EventAttendee{
			{EventPerson: meetings.EventPerson{Email: "ana@example.com"}, Role: meetings.RoleRequired, RSVP: meetings.RSVPAccepted},
			{EventPerson: meetings.EventPerson{Email: "ben@example.com", Name: "Ben"}, Role: meetings.RoleRequired},
			{EventPerson: meetings.EventPerson{Email: "cy@example.com"}, Role: meetings.RoleSpeaker},
		}}
}

func (h *harness) sync(evs ...meetings.Event) meetings.SyncResult {
	h.t.Helper()
	var batch []meetings.SeriesEvents
	for _, ev := range evs {
		batch = append(batch, meetings.SeriesEvents{UID: ev.SeriesUID, Events: []meetings.Event{ev}})
	}
	res, err := h.svc.Sync(context.Background(), h.cal, batch)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// at moves the clock to t and runs everything due.
func (h *harness) at(t time.Time) {
	h.t.Helper()
	h.clock.Set(t)
	if _, err := h.worker.RunDue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) occurrence(uid string) meetings.Occurrence {
	h.t.Helper()
	var id int64
	if err := h.db.Get(&id, `SELECT o.id FROM occurrences o JOIN series s ON s.id = o.series_id WHERE s.uid = ?`, uid); err != nil {
		h.t.Fatalf("occurrence of %s: %v", uid, err)
	}
	v, err := h.svc.View(context.Background(), meetings.Actor{Operator: true}, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return v.Occurrence
}

// mails lists (kind, to) of every stored email, in order.
func (h *harness) mails() []string {
	h.t.Helper()
	var out []string
	rows, err := h.db.Query(`SELECT kind || ' ' || to_addr FROM outbox ORDER BY id`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func (h *harness) person(email string) meetings.Person {
	h.t.Helper()
	p, err := meetings.PersonByEmail(context.Background(), h.db, email)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) actor(email string) meetings.Actor {
	return meetings.Actor{PersonID: h.person(email).ID}
}
