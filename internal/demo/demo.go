// Package demo plays a sample team on an accelerated clock, so a newcomer
// sees a week of meetingd (reminders, a published pre-read, a missing one,
// attendance, notes shared, a decision extended and closed) in a minute.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"meetingd/calendar"
	"meetingd/decisions"
	"meetingd/internal/app"
	"meetingd/internal/clock"
	"meetingd/internal/mail"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// demoPerson is a member of the sample team.
type demoPerson struct{ email, name, tz string }

var demoTeam = []demoPerson{
	{"ana@example.com", "Ana (Berlin)", "Europe/Berlin"},
	{"ben@example.com", "Ben (New York)", "America/New_York"},
	{"chen@example.com", "Chen (Tokyo)", "Asia/Tokyo"},
	{"dee@example.com", "Dee (San Francisco)", "America/Los_Angeles"},
	{"eli@example.com", "Eli (Bengaluru)", "Asia/Kolkata"},
}

// Run plays the demo: speed of virtual time per real second, for length
// of virtual time, printing what happens and each email as it leaves to
// out. It writes into keep, a new database file, when given (so the week
// can be opened with serve afterwards), else into a temporary one; cfg's
// other settings apply. The week is the one just past, so it ends now and
// serve carries on from where it stopped.
func Run(ctx context.Context, cfg app.Config, speed, length time.Duration, keep string, out io.Writer) error {
	start := time.Now().UTC().Add(-length).Truncate(time.Hour)
	c := clock.NewAccelerated(start, float64(speed/time.Second))
	fmt.Fprintf(out, "meetingd demo: a team of %d across five time zones, %s of virtual time per second.\n", len(demoTeam), speed)
	return play(ctx, cfg, c, start, length, keep, out, func(ctx context.Context, a *app.App, step func(time.Time)) {
		// In real time: the worker runs on its own, and the script looks
		// at the clock every 50 ms.
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); a.Worker.Run(ctx) }()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for c.Now().Before(start.Add(length)) && ctx.Err() == nil {
			<-tick.C
			step(c.Now())
		}
		cancel()
		wg.Wait()
	})
}

// Play plays the same week on a fake clock set to its start, a step of
// virtual time at a time, running what falls due after each: the whole
// week at once, for tests.
func Play(ctx context.Context, cfg app.Config, c *clock.Fake, length, step time.Duration, keep string, out io.Writer) error {
	start := c.Now()
	return play(ctx, cfg, c, start, length, keep, out, func(ctx context.Context, a *app.App, act func(time.Time)) {
		for c.Now().Before(start.Add(length)) && ctx.Err() == nil {
			now := c.Advance(step)
			if _, err := a.Worker.RunDue(ctx); err != nil {
				fmt.Fprintf(out, "demo: %v\n", err)
			}
			act(now)
		}
	})
}

// play sets the team up on clock c and plays the script with drive, which
// moves time and calls its step with the time now.
func play(ctx context.Context, cfg app.Config, c clock.Clock, start time.Time, length time.Duration, keep string, out io.Writer,
	drive func(context.Context, *app.App, func(time.Time))) error {
	cfg.DB = keep
	if keep == "" {
		dir, err := os.MkdirTemp("", "meetingd-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DB = filepath.Join(dir, "demo.db")
	}
	say := &demoOut{w: out, c: c}
	cfg.SMTP, cfg.Google = "", nil
	cfg.Transport = demoTransport{out: say}
	a, err := app.New(ctx, cfg, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(out, "Emails are held to each reader's working hours (09:00-17:00 in their zone) and shown as they go out.\n\n")
	occs, err := demoSetup(ctx, a, start, say)
	if err != nil {
		return err
	}
	sc := newScript(ctx, a, occs, say)
	drive(ctx, a, func(now time.Time) { sc.step(ctx, now) })
	if keep == "" {
		fmt.Fprintf(out, "\nThe demo's week is over. Run `meetingd serve` to start for real; the README says how.\n")
		return nil
	}
	fmt.Fprintf(out, "\nThe demo's week is over, and it is in %s. To explore it:\n\n"+
		"  meetingd serve --db %s --operators ana@example.com\n\n"+
		"then open %s/ and sign in as ana@example.com (or anyone on the team). With no --smtp the link\n"+
		"stays in the outbox: meetingd outbox --db %s --full --to ana@example.com\n", keep, keep, strings.TrimRight(cfg.BaseURL, "/"), keep)
	return nil
}

// demoSetup creates the team and three meetings.
func demoSetup(ctx context.Context, a *app.App, start time.Time, out *demoOut) (map[string]int64, error) {
	for _, p := range demoTeam {
		person, err := people.Ensure(ctx, a.DB, p.email, p.name, p.tz, start)
		if err != nil {
			return nil, err
		}
		tz := p.tz
		if _, err := people.Update(ctx, a.DB, person.ID, people.Patch{TimeZone: &tz}); err != nil {
			return nil, err
		}
	}
	day := func(n int, hour int) time.Time {
		d := start.AddDate(0, 0, n)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, time.UTC)
	}
	all := func() []calendar.AttendeeInput {
		var as []calendar.AttendeeInput
		for _, p := range demoTeam {
			as = append(as, calendar.AttendeeInput{Email: p.email, Name: p.name})
		}
		return as
	}
	events := []struct {
		key string
		in  calendar.EventInput
	}{
		{"sync", calendar.EventInput{Title: "Weekly team sync", Start: day(4, 14), End: day(4, 15), TimeZone: "Europe/Berlin",
			Organizer: "ana@example.com", Attendees: all(), Recurrence: []string{"RRULE:FREQ=WEEKLY"}}},
		{"review", calendar.EventInput{Title: "Design review: onboarding flow", Start: day(3, 16), End: day(3, 17), TimeZone: "America/New_York",
			Organizer: "ben@example.com", Attendees: all()}},
		{"oneonone", calendar.EventInput{Title: "Ana / Chen 1:1", Start: day(5, 8), End: day(5, 9), TimeZone: "Asia/Tokyo",
			Organizer: "chen@example.com", Attendees: []calendar.AttendeeInput{{Email: "ana@example.com"}, {Email: "chen@example.com"}}}},
	}
	occs := map[string]int64{}
	ana, err := people.ByEmail(ctx, a.DB, "ana@example.com")
	if err != nil {
		return nil, err
	}
	d, err := a.Decisions.Create(ctx, people.Actor{PersonID: ana.ID}, decisions.Input{Title: "Adopt the new on-call rota",
		Proposal: "Weekly rotation, handed over Mondays at 10:00 Berlin time.", Window: "72h",
		Invitees: []string{"ben@example.com", "chen@example.com", "dee@example.com", "eli@example.com"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("demo decision: %w", err)
	}
	occs["decision"] = d.ID
	out.say("Ana proposes %q, open for 72 hours", d.Title)
	for _, e := range events {
		uid, _, err := a.Calendar.Create(ctx, e.in)
		if err != nil {
			return nil, fmt.Errorf("demo event %s: %w", e.key, err)
		}
		var id int64
		if id, err = firstOccurrence(ctx, a, uid); err != nil {
			return nil, err
		}
		occs[e.key] = id
		out.say("%s booked by %s for %s", e.in.Title, e.in.Organizer, e.in.Start.Format("Mon 15:04 MST"))
	}
	return occs, nil
}

// script plays the team's part: the sync's organizer publishes a
// pre-read a day and a half ahead; the design review never gets one; Ben
// objects late to the decision, and Ana records its outcome.
type script struct {
	a                                      *app.App
	out                                    *demoOut
	sync                                   meetings.OccurrenceView
	dec                                    decisions.View
	published, recorded, objected, decided bool
}

func newScript(ctx context.Context, a *app.App, occs map[string]int64, out *demoOut) *script {
	sc := &script{a: a, out: out}
	sc.sync, _ = a.Meetings.View(ctx, operator, occs["sync"])
	sc.dec, _ = a.Decisions.Get(ctx, operator, occs["decision"])
	return sc
}

func (sc *script) person(ctx context.Context, email string) people.Actor {
	p, _ := people.ByEmail(ctx, sc.a.DB, email)
	return people.Actor{PersonID: p.ID}
}

// step does what is due at now, once each.
func (sc *script) step(ctx context.Context, now time.Time) {
	a, sync, dec := sc.a, sc.sync, sc.dec
	if !sc.published && now.After(sync.StartsAt.Add(-36*time.Hour)) {
		text := "Read the Q3 retro (docs/retro.md) and add one question per person in the notes doc."
		if _, err := a.Meetings.Publish(ctx, operator, sync.ID, &text); err == nil {
			sc.out.say("Ana publishes the pre-read of %q", sync.Title)
		}
		sc.published = true
	}
	if !sc.objected && now.After(dec.ClosesAt.Add(-6*time.Hour)) {
		if _, err := a.Decisions.Contribute(ctx, sc.person(ctx, "ben@example.com"), dec.ID, decisions.Object,
			"Mondays at 10:00 Berlin is 01:00 in San Francisco."); err == nil {
			sc.out.say("Ben objects to %q in its last day: the window moves 24 hours", dec.Title)
		}
		sc.objected = true
	}
	if !sc.decided {
		if v, err := a.Decisions.Get(ctx, operator, dec.ID); err == nil && v.State == decisions.Contested {
			if _, err := a.Decisions.RecordOutcome(ctx, sc.person(ctx, "ana@example.com"), dec.ID, decisions.Accepted,
				"Handover moves to 17:00 Berlin, morning in San Francisco."); err == nil {
				sc.out.say("the window closed contested; Ana records the outcome: accepted, with a changed handover time")
			}
			sc.decided = true
		}
	}
	if !sc.recorded && now.After(sync.EndsAt) {
		for _, p := range []struct{ email, what string }{{"ana@example.com", meetings.Present},
			{"ben@example.com", meetings.Present}, {"chen@example.com", meetings.Async}, {"dee@example.com", meetings.Absent}} {
			a.Meetings.RecordAttendance(ctx, operator, sync.ID, meetings.AttendancePatch{Email: p.email, Attendance: &p.what})
		}
		sc.out.say("attendance of %q recorded: 2 present, 1 async, 1 absent, 1 not recorded", sync.Title)
		sc.recorded = true
	}
}

// demoOut prints lines stamped with virtual time.
type demoOut struct {
	mu sync.Mutex
	w  io.Writer
	c  clock.Clock
}

func (o *demoOut) say(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, "[%s] %s\n", o.c.Now().Format("Mon 02 Jan 15:04 UTC"), fmt.Sprintf(format, args...))
}

// demoTransport keeps mail in the outbox and shows it as it goes out.
type demoTransport struct{ out *demoOut }

func (t demoTransport) Send(_ context.Context, it mail.Item) error {
	t.out.say("  email to %-18s %s", it.To, it.Subject)
	return nil
}

func (demoTransport) Name() string { return "local" }

// operator is how the script acts where the team's organizer would.
var operator = people.Actor{Operator: true}

// firstOccurrence is the first occurrence of the built-in calendar's event uid.
func firstOccurrence(ctx context.Context, a *app.App, uid string) (int64, error) {
	occs, err := a.Meetings.Upcoming(ctx, operator, time.Time{}, nil, 1000)
	if err != nil {
		return 0, err
	}
	for _, o := range occs {
		s, err := meetings.SeriesByID(ctx, a.DB, o.SeriesID)
		if err == nil && s.UID == uid {
			return o.ID, nil
		}
	}
	return 0, fmt.Errorf("demo event %s has no occurrence", uid)
}
