package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/floor"
	"meetingd/internal/jobs"
)

// BenchmarkRunDue10kOf1M claims and runs 10,000 due jobs while 1,000,000
// others wait for later: the cost of a busy minute on a large install.
// Beside it, in the same run, the raw SQLite floor of ../shared/floors:
// the same claim, hand-written.
func BenchmarkRunDue10kOf1M(b *testing.B) {
	const pending, due = 1_000_000, 10_000
	d := open(b)
	ctx := context.Background()
	tx := d.MustBegin()
	stmt, err := tx.Preparex(`INSERT INTO jobs (kind, subject, due_at, run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < pending+due; i++ {
		at := t0.Add(time.Duration(i-due+1) * time.Second) // the first `due` are due at t0
		if i >= due {
			at = t0.Add(time.Hour + time.Duration(i)*time.Second)
		}
		if _, err := stmt.Exec("noop", fmt.Sprintf("x:%d", i), at, at, t0, t0); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	w := jobs.NewWorker(d, clock.NewFake(t0), quiet())
	w.Handle("noop", func(context.Context, jobs.Job) error { return nil })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := w.RunDue(ctx)
		if err != nil || n != due {
			b.Fatalf("ran %d, err %v", n, err)
		}
		b.StopTimer()
		d.MustExec(`UPDATE jobs SET state = 'pending', run_at = due_at WHERE id <= ?`, due)
		b.StartTimer()
	}
	rate := float64(due*b.N) / b.Elapsed().Seconds()
	b.StopTimer()
	floorRate := floor.SQLiteClaim(b, pending, due, 500)
	b.ReportMetric(rate, "jobs/s")
	b.ReportMetric(floorRate, "floor-jobs/s")
	b.ReportMetric(rate/floorRate, "x-floor")
}
