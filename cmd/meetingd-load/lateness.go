package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"meetingd/decisions"
	"meetingd/internal/people"
)

// lateness measures how late decisions close: first with the scheduler
// otherwise idle, then with thousands of emails queued ahead of the closes.
// Beside each, the floor: a Go timer in the same process set for each
// close, late only by what the runtime and the machine add.
func lateness(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lateness", flag.ExitOnError)
	n := fs.Int("decisions", 100, "decisions whose close is measured in each phase")
	spread := fs.Duration("spread", 10*time.Second, "time their closes are spread over")
	queued := fs.Int("queued", 10000, "emails queued ahead of the closes in the second phase")
	delay := fs.Duration("smtp-delay", time.Millisecond, "time the SMTP server takes to accept each message")
	leadIn := fs.Duration("lead-in", 5*time.Second, "time from the start of setup to the first close")
	fs.Parse(args)
	ok := true
	for _, q := range []int{0, *queued} {
		phaseOK, err := latenessPhase(ctx, *n, *spread, q, *delay, *leadIn)
		if err != nil {
			return err
		}
		ok = ok && phaseOK
	}
	if !ok {
		return fmt.Errorf("close lateness p99 above 1s")
	}
	return nil
}

func latenessPhase(ctx context.Context, n int, spread time.Duration, queued int, delay, leadIn time.Duration) (bool, error) {
	dir, err := os.MkdirTemp("", "meetingd-load")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	s, err := newService(ctx, filepath.Join(dir, "meetingd.db"), delay)
	if err != nil {
		return false, err
	}
	defer s.close()
	ps, _, err := s.users(ctx, "u", 104)
	if err != nil {
		return false, err
	}
	owner, invitees := ps[0], ps[1:4]
	if queued > 0 {
		t := time.Now()
		if err := s.queueMail(ctx, owner, ps[4:], queued); err != nil {
			return false, err
		}
		fmt.Printf("  (queued %d emails in %v)\n", queued, time.Since(t).Round(time.Millisecond))
	}

	// Decisions opened a window ago, closing one after another from base.
	base := time.Now().Add(leadIn)
	ids := make([]int64, n)
	for i := range ids {
		closes := base.Add(spread * time.Duration(i) / time.Duration(n))
		s.clock.set(time.Until(closes) - 24*time.Hour)
		d, err := s.Decisions.Create(ctx, owner.Actor(), decisions.Input{Title: fmt.Sprintf("Close %d", i),
			Proposal: "Measured.", Invitees: []string{invitees[0].Email, invitees[1].Email, invitees[2].Email}, Window: "24h"}, nil)
		if err != nil {
			return false, err
		}
		ids[i] = d.ID
	}
	s.clock.set(0)
	if time.Now().After(base) {
		return false, fmt.Errorf("setup overran the lead-in of %s: raise -lead-in", leadIn)
	}

	floor := &latencies{}
	for i := range n {
		closes := base.Add(spread * time.Duration(i) / time.Duration(n))
		time.AfterFunc(time.Until(closes), func() { floor.add(time.Since(closes)) })
	}
	if err := s.serve(ctx); err != nil {
		return false, err
	}
	late := &latencies{}
	var lastClose time.Time
	op := people.Actor{Operator: true}
	for _, id := range ids {
		var v decisions.View
		err := waitFor(ctx, spread+2*time.Minute, func() (bool, error) {
			var err error
			v, err = s.Decisions.Get(ctx, op, id)
			return err == nil && v.ClosedAt != nil, err
		})
		if err != nil {
			return false, fmt.Errorf("decision %d never closed: %w", id, err)
		}
		late.add(v.ClosedAt.Sub(v.ClosesAt))
		lastClose = later(lastClose, *v.ClosedAt)
	}
	waiting := queued
	for _, m := range s.smtp.Messages() {
		if m.Received.Before(lastClose) {
			waiting--
		}
	}
	name := "scheduler idle"
	if queued > 0 {
		name = fmt.Sprintf("%d emails queued (%d still undelivered when the last close ran)", queued, max(waiting, 0))
	}
	ok := late.p99() <= time.Second
	fmt.Printf("close lateness, %s:\n  meetingd   %s  goal p99 <= 1s: %s\n  floor      %s  (a Go timer per close, same process)\n",
		name, late.summary(), verdict(ok), floor.summary())
	return ok, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
