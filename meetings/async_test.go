package meetings_test

import (
	"strings"
	"testing"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/errs"
	"meetingd/meetings"
)

// The organizer holds a meeting async before it starts: the occurrence says
// so, its notes say so, and every attendee is told once, with the notes
// doc; an optional attendee cannot, nor can anyone once it has started.
func TestHoldAsync(t *testing.T) {
	h := newHarness(t)
	start := t0.Add(72 * time.Hour)
	h.sync(event("m", start), event("late", t0.Add(time.Hour)))
	h.DB.MustExec(`UPDATE people SET work_start = 0, work_end = 1440, work_days = 127`)
	id := h.occurrence("m").ID
	if _, err := h.svc.HoldAsync(ctx, h.actor("ben@example.com"), id); errs.Code(err) != errs.Forbidden {
		t.Fatalf("an attendee held it async: %v", err)
	}
	for i := 0; i < 2; i++ {
		o, err := h.svc.HoldAsync(ctx, h.actor("ana@example.com"), id)
		if err != nil || !o.HeldAsync {
			t.Fatalf("hold async: %v %+v", err, o)
		}
	}
	h.at(t0.Add(time.Minute))
	told := 0
	for _, m := range h.mails() {
		if strings.HasPrefix(m, meetings.MailHeldAsync+" ") {
			told++
		}
	}
	if told != 3 {
		t.Fatalf("%d held-async emails, want one to each of 3 attendees: %v", told, h.mails())
	}
	var body string
	h.DB.Get(&body, `SELECT text_body FROM outbox WHERE kind = 'held_async' AND to_addr = 'ben@example.com'`)
	if !strings.Contains(body, "no\nmeeting") && !strings.Contains(body, "no meeting") || !strings.Contains(body, "/notes/") {
		t.Fatalf("held-async email:\n%s", body)
	}
	v, _ := h.svc.View(ctx, operator, id)
	if !strings.Contains(v.Section.Notes, "Held async instead of meeting") {
		t.Fatalf("the notes do not say it was held async: %q", v.Section.Notes)
	}
	h.at(t0.Add(2 * time.Hour))
	if _, err := h.svc.HoldAsync(ctx, h.actor("ana@example.com"), h.occurrence("late").ID); errs.Code(err) != errs.Conflict {
		t.Fatalf("held async after the start: %v", err)
	}
}

// With --offer-async, the email saying a pre-read is missing carries a
// signed one-click link to hold the meeting async; without it, it does not.
// With --auto-async the meeting is held async at the deadline on its own.
func TestMissingPreReadOffersAsync(t *testing.T) {
	for _, c := range []struct {
		name         string
		offer, auto  bool
		link, heldAs bool
	}{{"default", false, false, false, false}, {"offer", true, false, true, false}, {"auto", false, true, false, true}} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, apptest.Config(func(cfg *app.Config) { cfg.OfferAsync, cfg.AutoAsync = c.offer, c.auto }))
			start := t0.Add(72 * time.Hour)
			h.sync(event("m", start))
			h.DB.MustExec(`UPDATE people SET work_start = 0, work_end = 1440, work_days = 127`)
			h.at(start.Add(-23 * time.Hour))
			var body string
			h.DB.Get(&body, `SELECT text_body FROM outbox WHERE kind = 'preread_missing' AND to_addr = 'ana@example.com'`)
			if body == "" {
				t.Fatalf("no missing-pre-read email: %v", h.mails())
			}
			if got := strings.Contains(body, "/async?t="); got != c.link {
				t.Fatalf("async link in the email: %v, want %v:\n%s", got, c.link, body)
			}
			if got := h.occurrence("m").HeldAsync; got != c.heldAs {
				t.Fatalf("held async: %v, want %v", got, c.heldAs)
			}
		})
	}
}
