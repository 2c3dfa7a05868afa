package decisions_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/internal/mailtest"
	"meetingd/meetings"
	"meetingd/templates"
)

// Monday 2 November 2026, 10:00 UTC.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

var ctx = context.Background()

type harness struct {
	t      testing.TB
	db     *sqlx.DB
	clock  *clock.Fake
	svc    *decisions.Service
	mtg    *meetings.Service
	worker *jobs.Worker
	smtp   *mailtest.Server
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c := clock.NewFake(t0)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	key, _ := links.LoadKey(ctx, d)
	signer, _ := links.NewSigner(key)
	tpl := templates.MustLoad()
	outbox := &mail.Outbox{Templates: tpl, Clock: c, BaseURL: "https://m.test", Log: log}
	mcfg := meetings.DefaultConfig()
	mcfg.BaseURL = "https://m.test"
	mtg := &meetings.Service{DB: d, Clock: c, Cfg: mcfg, Outbox: outbox, Links: signer, Templates: tpl, Log: log}
	cfg := decisions.DefaultConfig()
	cfg.BaseURL = "https://m.test"
	svc := &decisions.Service{DB: d, Clock: c, Cfg: cfg, Outbox: outbox, Links: signer, Meetings: mtg, Log: log}
	w := jobs.NewWorker(d, c, log)
	mtg.Register(w)
	svc.Register(w)
	smtp := mailtest.Start(t)
	tr, err := mail.NewSMTPTransport(smtp.URL(), "meetingd <m@m.test>", "m.test")
	if err != nil {
		t.Fatal(err)
	}
	(&mail.Deliverer{DB: d, Outbox: outbox, Transport: tr, MaxAttempts: 8}).Register(w)
	return &harness{t: t, db: d, clock: c, svc: svc, mtg: mtg, worker: w, smtp: smtp}
}

// person returns an actor for email; everyone is in UTC with 24/7 hours
// unless set otherwise, so mail is not held.
func (h *harness) person(email string) decisions.Actor {
	h.t.Helper()
	p, err := meetings.EnsurePerson(ctx, h.db, email, "", "UTC", t0)
	if err != nil {
		h.t.Fatal(err)
	}
	h.db.MustExec(`UPDATE people SET work_start = 0, work_end = 1440, work_days = 127 WHERE id = ?`, p.ID)
	return decisions.Actor{PersonID: p.ID}
}

// decision opens one owned by ana with ben, cy and dee invited.
func (h *harness) decision(window string) decisions.Decision {
	h.t.Helper()
	for _, e := range []string{"ben@example.com", "cy@example.com", "dee@example.com"} {
		h.person(e)
	}
	d, err := h.svc.Create(ctx, h.person("ana@example.com"), decisions.Input{Title: "Adopt Postgres", Proposal: "Move reporting to Postgres.",
		Invitees: []string{"ben@example.com", "cy@example.com", "dee@example.com"}, Window: window})
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// at moves the clock and runs what is due.
func (h *harness) at(t time.Time) {
	h.t.Helper()
	h.clock.Set(t)
	if _, err := h.worker.RunDue(ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) get(id int64) decisions.Decision {
	h.t.Helper()
	v, err := h.svc.Get(ctx, decisions.Actor{Operator: true}, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return v.Decision
}

func (h *harness) contribute(who string, id int64, kind, text string) (decisions.Contribution, error) {
	return h.svc.Contribute(ctx, h.person(who), id, kind, text)
}

// received counts emails to addr whose subject starts with prefix.
func (h *harness) received(addr, prefix string) int {
	n := 0
	for _, m := range h.smtp.To(addr) {
		if len(m.Subject) >= len(prefix) && m.Subject[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}
