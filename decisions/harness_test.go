package decisions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/apptest"
	"meetingd/internal/mailtest"
	"meetingd/internal/people"
)

// Monday 2 November 2026, 10:00 UTC.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

var ctx = context.Background()

// operator sees every decision.
var operator = people.Actor{Operator: true}

// harness is the whole service, mailing a real SMTP server on loopback.
type harness struct {
	*apptest.App
	t    testing.TB
	svc  *decisions.Service
	smtp *mailtest.Server
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	smtp := mailtest.Start(t)
	a := apptest.New(t, t0, apptest.SMTP(smtp.URL()))
	return &harness{App: a, t: t, svc: a.Decisions, smtp: smtp}
}

// person returns an actor for email; everyone is in UTC with 24/7 hours
// unless set otherwise, so mail is not held.
func (h *harness) person(email string) people.Actor {
	h.t.Helper()
	p := h.Person(email)
	h.DB.MustExec(`UPDATE people SET work_start = 0, work_end = 1440, work_days = 127 WHERE id = ?`, p.ID)
	return p.Actor()
}

// decision opens one owned by ana with ben, cy and dee invited.
func (h *harness) decision(window string) decisions.Decision {
	h.t.Helper()
	for _, e := range []string{"ben@example.com", "cy@example.com", "dee@example.com"} {
		h.person(e)
	}
	d, err := h.svc.Create(ctx, h.person("ana@example.com"), decisions.Input{Title: "Adopt Postgres", Proposal: "Move reporting to Postgres.",
		Invitees: []string{"ben@example.com", "cy@example.com", "dee@example.com"}, Window: window}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// at moves the clock and runs what is due.
func (h *harness) at(t time.Time) { h.t.Helper(); h.At(t) }

func (h *harness) get(id int64) decisions.Decision {
	h.t.Helper()
	v, err := h.svc.Get(ctx, operator, id)
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
	for _, m := range h.smtp.Parts(addr) {
		if strings.HasPrefix(m.Subject, prefix) {
			n++
		}
	}
	return n
}
