package app

import (
	"context"
	"fmt"
	"strings"

	"meetingd/internal/people"
)

// A fresh install is otherwise silent: the sign-in page answers every
// address the same way (it must not say who is known), so someone with no
// operator and no meetings would wait for a link that never comes. serve
// says what to do next instead.

// FirstRun is what an empty installation still lacks.
type FirstRun struct {
	NoOperators bool
	NoMeetings  bool
}

// Empty reports whether anything is missing.
func (f FirstRun) Empty() bool { return f.NoOperators || f.NoMeetings }

// FirstRun checks whether the installation has operators and meetings.
func (a *App) FirstRun(ctx context.Context) (FirstRun, error) {
	ops, err := people.Operators(ctx, a.DB)
	if err != nil {
		return FirstRun{}, err
	}
	has, err := a.Meetings.Any(ctx)
	if err != nil {
		return FirstRun{}, err
	}
	return FirstRun{NoOperators: len(ops) == 0, NoMeetings: !has}, nil
}

// LogNextSteps logs, on an installation that lacks operators or meetings,
// the steps that lead somewhere.
func (a *App) LogNextSteps(ctx context.Context) error {
	f, err := a.FirstRun(ctx)
	if err != nil || !f.Empty() {
		return err
	}
	var steps []string
	if f.NoOperators {
		steps = append(steps, "restart with --operators you@example.com (operators see everything and can sign in before any meeting exists)")
	}
	if f.NoMeetings {
		steps = append(steps, "add meetings: meetingd import team.ics (a Google, Outlook, Apple or Fastmail export), "+
			"meetingd calendar subscribe --name team URL (a published ICS address), or POST /api/v1/events")
	}
	steps = append(steps, fmt.Sprintf("sign in at %s/ with your email; without --smtp the link waits in the outbox (meetingd outbox --full)",
		strings.TrimRight(a.Cfg.BaseURL, "/")))
	for i, s := range steps {
		a.Log.WarnContext(ctx, "first run", "step", fmt.Sprintf("%d of %d", i+1, len(steps)), "do", s)
	}
	return nil
}
