package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/decisions"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// replicas measures the scheduler on one database served by `meetingd
// serve` processes: how fast due jobs among a million pending are run by
// one replica and by several, and how late decisions close meanwhile. On
// SQLite one replica serves (the file takes one).
func replicas(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("replicas", flag.ExitOnError)
	server := fs.String("db", "", "a postgres:// server to make a fresh database on (default: a SQLite file)")
	n := fs.Int("replicas", 3, "replicas in the second run (PostgreSQL)")
	pending := fs.Int("pending", 1_000_000, "jobs not yet due")
	due := fs.Int("due", 10_000, "jobs due at once")
	closes := fs.Int("closes", 100, "decisions closing while they run")
	binary := fs.String("meetingd", "", "the meetingd binary (default: built from this checkout)")
	fs.Parse(args)
	dir, err := os.MkdirTemp("", "meetingd-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *binary, err = buildMeetingd(ctx, dir, *binary); err != nil {
		return err
	}
	counts := []int{1}
	if db.IsPostgres(*server) && *n > 1 {
		counts = append(counts, *n)
	}
	ok := true
	for _, replicas := range counts {
		r, err := replicaRun(ctx, *server, dir, *binary, replicas, *pending, *due, *closes)
		if err != nil {
			return err
		}
		kind := "SQLite"
		if db.IsPostgres(*server) {
			kind = "PostgreSQL"
		}
		fmt.Printf("%s, %d replica(s): %d due among %d pending run in %v: %.0f jobs/s\n  close lateness %s  goal p99 <= 1s: %s\n",
			kind, replicas, *due, *pending, r.took.Round(time.Millisecond), float64(*due)/r.took.Seconds(),
			r.late.summary(), verdict(r.late.p99() <= time.Second))
		ok = ok && r.late.p99() <= time.Second
	}
	if !ok {
		return fmt.Errorf("goals missed")
	}
	return nil
}

type replicaResult struct {
	took time.Duration
	late *latencies
}

func replicaRun(ctx context.Context, server, dir, binary string, replicas, pending, due, closes int) (replicaResult, error) {
	dsn, drop, err := freshDB(ctx, server, filepath.Join(dir, fmt.Sprint(replicas)))
	if err != nil {
		return replicaResult{}, err
	}
	defer drop()
	os.MkdirAll(filepath.Join(dir, fmt.Sprint(replicas)), 0o755)
	s, err := newService(ctx, dsn, 0)
	if err != nil {
		return replicaResult{}, err
	}
	defer s.smtp.Close()
	if err := fillJobs(ctx, s.DB, s.Clock.Now(), pending, due); err != nil {
		return replicaResult{}, err
	}
	ps, _, err := s.users(ctx, "u", 4)
	if err != nil {
		return replicaResult{}, err
	}
	// The due jobs fall due once every replica is up, and decisions close
	// one after another from then, while the due jobs run.
	dueAt := time.Now().Add(15 * time.Second)
	base := dueAt
	spread := 5 * time.Second
	ids := make([]int64, closes)
	for i := range ids {
		s.clock.set(time.Until(base.Add(spread*time.Duration(i)/time.Duration(closes))) - 24*time.Hour)
		d, err := s.Decisions.Create(ctx, ps[0].Actor(), decisions.Input{Title: fmt.Sprintf("Close %d", i), Proposal: "Measured.",
			Invitees: []string{ps[1].Email, ps[2].Email, ps[3].Email}, Window: "24h"}, nil)
		if err != nil {
			return replicaResult{}, err
		}
		ids[i] = d.ID
	}
	s.clock.set(0)
	if _, err := s.DB.ExecContext(ctx, `UPDATE jobs SET run_at = ?, due_at = ? WHERE kind = 'event:load.tick'`, dueAt, dueAt); err != nil {
		return replicaResult{}, err
	}
	s.App.Close()
	// A meetingd of our own to read the outcome through (it runs no worker).
	reader, err := newService(ctx, dsn, 0)
	if err != nil {
		return replicaResult{}, err
	}
	defer reader.close()

	log, err := os.Create(filepath.Join(dir, fmt.Sprintf("replicas-%d.log", replicas)))
	if err != nil {
		return replicaResult{}, err
	}
	defer log.Close()
	for range replicas {
		c, err := s.startChild(ctx, binary, log)
		if err != nil {
			return replicaResult{}, err
		}
		defer c.stop()
	}
	if time.Now().After(dueAt) {
		return replicaResult{}, fmt.Errorf("setup and start took past the due time")
	}
	start := dueAt
	time.Sleep(time.Until(dueAt)) // the replicas sleep until then too
	err = waitFor(ctx, 10*time.Minute, func() (bool, error) {
		var left int
		err := reader.DB.GetContext(ctx, &left, `SELECT COUNT(*) FROM jobs WHERE kind = 'event:load.tick' AND state = 'pending'`)
		return left == 0, err
	})
	took := time.Since(start)
	if err != nil {
		return replicaResult{}, err
	}
	late := &latencies{}
	op := people.Actor{Operator: true}
	for _, id := range ids {
		var v decisions.View
		err := waitFor(ctx, time.Minute, func() (bool, error) {
			var err error
			v, err = reader.Decisions.Get(ctx, op, id)
			return err == nil && v.ClosedAt != nil, err
		})
		if err != nil {
			return replicaResult{}, fmt.Errorf("decision %d: %w", id, err)
		}
		late.add(v.ClosedAt.Sub(v.ClosesAt))
	}
	return replicaResult{took: took, late: late}, nil
}

// fillJobs stores pending jobs due in an hour and more, and due ones (an
// event nobody listens to: claimed, run and completed, nothing else).
func fillJobs(ctx context.Context, d *db.DB, now time.Time, pending, due int) error {
	const perTx = 20_000
	for start := 0; start < pending+due; start += perTx {
		var steps []jobs.Step
		for i := start; i < min(start+perTx, pending+due); i++ {
			if i < due {
				steps = append(steps, jobs.Step{Kind: "event:load.tick", Subject: fmt.Sprintf("tick:%d", i), Due: now.Add(time.Hour)})
			} else {
				steps = append(steps, jobs.Step{Kind: "event:load.later", Subject: fmt.Sprintf("later:%d", i), Due: now.Add(time.Hour + time.Duration(i)*time.Second)})
			}
		}
		err := db.InTx(ctx, d, func(tx *sqlx.Tx) error { return jobs.ScheduleMany(ctx, tx, now, jobs.Steps, steps) })
		if err != nil {
			return err
		}
	}
	return nil
}
