package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/dbtest"
	"meetingd/internal/jobs"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func open(t testing.TB) *db.DB {
	t.Helper()
	return dbtest.Open(t)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The due-work query must be served by an index, whatever the table holds.
func TestClaimQueryUsesIndex(t *testing.T) {
	dbtest.SkipOnPostgres(t, "EXPLAIN QUERY PLAN is SQLite's")
	d := open(t)
	var plan []struct {
		ID, Parent, NotUsed int
		Detail              string
	}
	rows, err := d.Query(`EXPLAIN QUERY PLAN `+jobs.ClaimQuery, jobs.Steps, t0, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p struct {
			ID, Parent, NotUsed int
			Detail              string
		}
		if err := rows.Scan(&p.ID, &p.Parent, &p.NotUsed, &p.Detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, p)
	}
	var details []string
	for _, p := range plan {
		details = append(details, p.Detail)
		if strings.HasPrefix(p.Detail, "SCAN jobs") || strings.Contains(p.Detail, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("plan has %q", p.Detail)
		}
	}
	if !strings.Contains(strings.Join(details, "\n"), "INDEX jobs_due") {
		t.Errorf("plan does not use jobs_due:\n%s", strings.Join(details, "\n"))
	}
}

func schedule(t *testing.T, d *db.DB, kind, subject string, due time.Time) {
	t.Helper()
	if err := jobs.Schedule(context.Background(), d, t0, kind, subject, due); err != nil {
		t.Fatal(err)
	}
}

func TestRunsDueJobsOnceAndNotEarly(t *testing.T) {
	d := open(t)
	c := clock.NewFake(t0)
	w := jobs.NewWorker(d, c, quiet())
	var ran []string
	w.Handle("ping", func(_ context.Context, j jobs.Job) error { ran = append(ran, j.Subject+"/"+j.Variant()); return nil })
	schedule(t, d, "ping@a", "x:1", t0.Add(time.Hour))
	schedule(t, d, "ping@b", "x:1", t0.Add(2*time.Hour))
	ctx := context.Background()
	if n, _ := w.RunDue(ctx); n != 0 {
		t.Fatalf("ran %d jobs before they were due", n)
	}
	c.Advance(time.Hour)
	w.RunDue(ctx)
	c.Advance(time.Hour)
	w.RunDue(ctx)
	c.Advance(24 * time.Hour)
	w.RunDue(ctx)
	if got := strings.Join(ran, ","); got != "x:1/a,x:1/b" {
		t.Fatalf("ran %q, want x:1/a,x:1/b", got)
	}
}

func TestRescheduleMovesAndCancelDrops(t *testing.T) {
	d := open(t)
	c := clock.NewFake(t0)
	w := jobs.NewWorker(d, c, quiet())
	var ran []string
	w.Handle("step", func(_ context.Context, j jobs.Job) error { ran = append(ran, j.Kind); return nil })
	schedule(t, d, "step@one", "occ:1", t0.Add(time.Hour))
	schedule(t, d, "step@two", "occ:1", t0.Add(time.Hour))
	schedule(t, d, "step@one", "occ:1", t0.Add(3*time.Hour)) // moved
	if err := jobs.Cancel(context.Background(), d, t0, "occ:1", "step@two"); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour)
	w.RunDue(context.Background())
	if len(ran) != 0 {
		t.Fatalf("ran %v at the old time or after cancel", ran)
	}
	c.Advance(time.Hour)
	w.RunDue(context.Background())
	if strings.Join(ran, ",") != "step@one" {
		t.Fatalf("ran %v, want step@one once", ran)
	}
	// Scheduling the same time again does not run it again...
	schedule(t, d, "step@one", "occ:1", t0.Add(3*time.Hour))
	w.RunDue(context.Background())
	// ...but a new time does: the source moved, the step is owed again.
	schedule(t, d, "step@one", "occ:1", t0.Add(5*time.Hour))
	c.Set(t0.Add(5 * time.Hour))
	w.RunDue(context.Background())
	if strings.Join(ran, ",") != "step@one,step@one" {
		t.Fatalf("ran %v, want step@one twice", ran)
	}
}

func TestFailedJobsRetryWithBackoffThenDie(t *testing.T) {
	d := open(t)
	c := clock.NewFake(t0)
	w := jobs.NewWorker(d, c, quiet())
	w.MaxAttempts = 3
	tries := 0
	w.Handle("flaky", func(context.Context, jobs.Job) error { tries++; return errors.New("boom") })
	schedule(t, d, "flaky", "x:1", t0)
	ctx := context.Background()
	w.RunDue(ctx)
	if tries != 1 {
		t.Fatalf("tries = %d", tries)
	}
	w.RunDue(ctx) // not due again yet: backoff
	if tries != 1 {
		t.Fatalf("retried without backoff")
	}
	for i := 0; i < 10; i++ {
		c.Advance(6 * time.Hour)
		w.RunDue(ctx)
	}
	if tries != 3 {
		t.Fatalf("tries = %d, want 3 (MaxAttempts)", tries)
	}
	var state, lastErr string
	d.QueryRow(`SELECT state, last_error FROM jobs`).Scan(&state, &lastErr)
	if state != jobs.Dead || lastErr != "boom" {
		t.Fatalf("state %q, last_error %q", state, lastErr)
	}
}

// A worker that claimed a job and died leaves it to come due again when the
// lease runs out; the dead worker, if it wakes, cannot complete it.
func TestLeaseExpiryAndFencing(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	schedule(t, d, "k", "x:1", t0)
	first, err := jobs.Claim(ctx, d, jobs.Steps, "a", t0, t0.Add(time.Minute), 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim: %v %v", first, err)
	}
	if again, _ := jobs.Claim(ctx, d, jobs.Steps, "b", t0.Add(30*time.Second), t0.Add(2*time.Minute), 10); len(again) != 0 {
		t.Fatalf("claimed a leased job")
	}
	second, _ := jobs.Claim(ctx, d, jobs.Steps, "b", t0.Add(time.Minute), t0.Add(2*time.Minute), 10)
	if len(second) != 1 {
		t.Fatalf("job not due again after its lease")
	}
	if ok, _ := jobs.Complete(ctx, d, t0, first[0]); ok {
		t.Fatalf("stale worker completed a job it no longer holds")
	}
	if ok, _ := jobs.Complete(ctx, d, t0, second[0]); !ok {
		t.Fatalf("holder could not complete")
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	prev := time.Duration(0)
	for i := 1; i <= 6; i++ {
		b := jobs.Backoff(i)
		if b < prev {
			t.Fatalf("backoff(%d) = %s < backoff(%d) = %s", i, b, i-1, prev)
		}
		prev = b
	}
	if b := jobs.Backoff(100); b > 6*time.Hour+6*time.Hour/5 {
		t.Fatalf("backoff(100) = %s, over the cap", b)
	}
}

func TestNoHandlerIsAFailureNotALoss(t *testing.T) {
	d := open(t)
	w := jobs.NewWorker(d, clock.NewFake(t0), quiet())
	schedule(t, d, "unknown", "x:1", t0)
	w.RunDue(context.Background())
	var state, lastErr string
	d.QueryRow(`SELECT state, last_error FROM jobs`).Scan(&state, &lastErr)
	if state != jobs.Pending || !strings.Contains(lastErr, "no handler") {
		t.Fatalf("state %q, error %q", state, lastErr)
	}
}

// An event reaches every subscriber of its topic, in turn; one nobody
// subscribed to is done; a failing subscriber makes the event run again.
func TestEventsReachEverySubscriber(t *testing.T) {
	d := open(t)
	w := jobs.NewWorker(d, clock.NewFake(t0), quiet())
	var got []string
	fail := true
	w.Subscribe("thing.happened", func(ctx context.Context, j jobs.Job) error {
		got = append(got, "first "+j.Subject)
		return nil
	})
	w.Subscribe("thing.happened", func(ctx context.Context, j jobs.Job) error {
		got = append(got, "second "+j.Subject)
		if fail {
			fail = false
			return errors.New("not yet")
		}
		return nil
	})
	if err := jobs.Emit(context.Background(), d, t0, "thing.happened", "thing:1"); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Emit(context.Background(), d, t0, "nobody.listens", "thing:1"); err != nil {
		t.Fatal(err)
	}
	w.RunDue(context.Background())
	if strings.Join(got, ",") != "first thing:1,second thing:1" {
		t.Fatalf("delivered %v", got)
	}
	w.Clock.(*clock.Fake).Set(t0.Add(time.Hour))
	w.RunDue(context.Background())
	if strings.Join(got, ",") != "first thing:1,second thing:1,first thing:1,second thing:1" {
		t.Fatalf("after the retry: %v", got)
	}
	var states []string
	d.Select(&states, `SELECT kind || ' ' || state FROM jobs ORDER BY kind`)
	if strings.Join(states, ",") != "event:nobody.listens done,event:thing.happened done" {
		t.Fatalf("states %v", states)
	}
}

// Steps whose timing is the promise run before bulk work that fell due
// earlier: a close does not wait behind 10,000 queued emails.
func TestStepsRunBeforeQueuedBulkWork(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	tx := d.MustBegin()
	for i := range 10_000 {
		if err := jobs.ScheduleIn(ctx, tx, t0, jobs.Bulk, "email.send", fmt.Sprintf("outbox:%d", i+1), t0.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	schedule(t, d, "decision.close", "decision:1", t0)
	w := jobs.NewWorker(d, clock.NewFake(t0), quiet())
	var order []string
	w.Handle("email.send", func(ctx context.Context, j jobs.Job) error { order = append(order, j.Kind); return nil })
	w.Handle("decision.close", func(ctx context.Context, j jobs.Job) error { order = append(order, j.Kind); return nil })
	if n, err := w.RunDue(ctx); err != nil || n != 10_001 {
		t.Fatalf("ran %d: %v", n, err)
	}
	if order[0] != "decision.close" {
		t.Fatalf("the close ran %dth", slices.Index(order, "decision.close")+1)
	}
}

// A process that restarts takes back at once what its predecessor held,
// rather than waiting for the lease to lapse; with other workers alive it
// waits, since their claims may be live.
func TestRestartedWorkerTakesBackClaimsAtOnce(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	schedule(t, d, "k", "x:1", t0)
	if got, _ := jobs.Claim(ctx, d, jobs.Steps, "dead-process", t0, t0.Add(time.Hour), 10); len(got) != 1 {
		t.Fatal("claim failed")
	}
	w := jobs.NewWorker(d, clock.NewFake(t0), quiet())
	ran := 0
	w.Handle("k", func(context.Context, jobs.Job) error { ran++; return nil })
	w.Recover(ctx, false)
	if w.RunDue(ctx); ran != 0 {
		t.Fatal("a live claim was taken")
	}
	if err := w.Recover(ctx, true); err != nil {
		t.Fatal(err)
	}
	if w.RunDue(ctx); ran != 1 {
		t.Fatalf("ran %d after taking the claims back", ran)
	}
	var state string
	d.Get(&state, `SELECT state FROM jobs`)
	if state != jobs.Done {
		t.Fatalf("state %s", state)
	}
}

// A heartbeat moves the lease of every job a worker holds forward;
// cancelling leaves a running job to finish.
func TestRenewAndCancelWhileRunning(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	schedule(t, d, "k", "x:1", t0)
	schedule(t, d, "k2", "x:1", t0)
	held, _ := jobs.Claim(ctx, d, jobs.Steps, "w", t0, t0.Add(time.Minute), 1)
	if err := jobs.Renew(ctx, d, "w", t0.Add(50*time.Second), t0.Add(110*time.Second)); err != nil {
		t.Fatal(err)
	}
	var runAt time.Time
	d.Get(&runAt, `SELECT run_at FROM jobs WHERE id = ?`, held[0].ID)
	if !runAt.Equal(t0.Add(110 * time.Second)) {
		t.Fatalf("lease ends %v", runAt)
	}
	if err := jobs.Cancel(ctx, d, t0, "x:1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := jobs.Complete(ctx, d, t0, held[0]); !ok {
		t.Fatal("the running job was cancelled under its worker")
	}
	var states []string
	d.Select(&states, `SELECT kind || ' ' || state FROM jobs ORDER BY kind`)
	if strings.Join(states, ",") != "k done,k2 cancelled" {
		t.Fatalf("states %v", states)
	}
}

// A job cut short by shutdown is given back as it was, not failed: it runs
// again at once on restart without an attempt counted against it.
func TestShutdownGivesBackInterruptedJobs(t *testing.T) {
	d := open(t)
	schedule(t, d, "slow", "x:1", t0)
	w := jobs.NewWorker(d, clock.NewFake(t0), quiet())
	ctx, stop := context.WithCancel(context.Background())
	w.Handle("slow", func(ctx context.Context, _ jobs.Job) error {
		stop() // the process is told to stop while this runs
		<-ctx.Done()
		return fmt.Errorf("send: %w", ctx.Err())
	})
	w.RunDue(ctx)
	var j struct {
		State     string `db:"state"`
		Attempts  int    `db:"attempts"`
		ClaimedBy string `db:"claimed_by"`
		LastError string `db:"last_error"`
	}
	if err := d.Get(&j, `SELECT state, attempts, claimed_by, last_error FROM jobs`); err != nil {
		t.Fatal(err)
	}
	if j.State != "pending" || j.Attempts != 0 || j.ClaimedBy != "" || j.LastError != "" {
		t.Fatalf("after shutdown: %+v, want pending and unclaimed with no attempt", j)
	}
}

// A lock is one holder's at a time, across processes sharing the
// database; it is free again once released, or once its holder stops
// renewing it (a crashed replica).
func TestLocksHoldAcrossHolders(t *testing.T) {
	d := open(t)
	c := clock.NewFake(t0)
	ctx := context.Background()
	a, b := jobs.NewLocks(d, c, quiet()), jobs.NewLocks(d, c, quiet())
	unlock, ok, err := a.TryLock(ctx, "gcal:1")
	if err != nil || !ok {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	if _, ok, _ := b.TryLock(ctx, "gcal:1"); ok {
		t.Fatal("a second holder took a held lock")
	}
	if unlockOther, ok, _ := b.TryLock(ctx, "gcal:2"); !ok {
		t.Fatal("another name's lock was refused")
	} else {
		unlockOther()
	}
	unlock()
	unlockB, ok, _ := b.TryLock(ctx, "gcal:1")
	if !ok {
		t.Fatal("a released lock was refused")
	}
	_ = unlockB // b "crashes" holding it
	if _, ok, _ := a.TryLock(ctx, "gcal:1"); ok {
		t.Fatal("a live lock was taken")
	}
	c.Advance(time.Minute)
	if unlock, ok, _ := a.TryLock(ctx, "gcal:1"); !ok {
		t.Fatal("a lapsed lock was not taken back")
	} else {
		unlock()
	}
}

// Workers of several replicas claiming the same due work at once never
// run a job twice, and leave none behind.
func TestConcurrentWorkersRunEachJobOnce(t *testing.T) {
	dbtest.OnlyPostgres(t)
	const n, workers = 2000, 4
	d := open(t)
	ctx := context.Background()
	steps := make([]jobs.Step, n)
	for i := range steps {
		steps[i] = jobs.Step{Kind: "ping", Subject: fmt.Sprintf("x:%d", i), Due: t0}
	}
	if err := jobs.ScheduleMany(ctx, d, t0, jobs.Steps, steps); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := map[string]int{}
	done := make(chan error, workers)
	for range workers {
		// Each replica has a pool of its own, as separate processes do.
		replica, err := db.OpenNoMigrate(d.DSN())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { replica.Close() })
		w := jobs.NewWorker(replica, clock.NewFake(t0), quiet())
		w.Batch = 50
		w.Handle("ping", func(_ context.Context, j jobs.Job) error {
			mu.Lock()
			runs[j.Subject]++
			mu.Unlock()
			return nil
		})
		go func() { _, err := w.RunDue(ctx); done <- err }()
	}
	for range workers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if len(runs) != n {
		t.Fatalf("%d of %d jobs ran", len(runs), n)
	}
	for s, c := range runs {
		if c != 1 {
			t.Fatalf("%s ran %d times", s, c)
		}
	}
	var pending int
	d.Get(&pending, `SELECT COUNT(*) FROM jobs WHERE state <> 'done'`)
	if pending != 0 {
		t.Fatalf("%d jobs not done", pending)
	}
}
