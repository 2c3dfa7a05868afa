package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/secret"
)

// Handler does one job's work. It must be idempotent: a job whose worker
// died after the work but before it was recorded done runs again.
type Handler func(ctx context.Context, j Job) error

// Observer learns how each job run went.
type Observer interface {
	Job(kind string, err error)
}

// Worker claims due jobs and runs their handlers: in Run, several runners
// per lane, each sleeping until its lane's next step falls due.
type Worker struct {
	DB          *db.DB
	Clock       clock.Clock
	ID          string        // stamped on the jobs it claims; random per process
	Lease       time.Duration // a claim lapses this long after its last heartbeat
	Batch       int           // jobs claimed at once
	MaxAttempts int
	// Runners is how many runners each lane has in Run.
	Runners map[string]int
	// MaxIdle bounds a runner's sleep when nothing is due: work another
	// process scheduled is found within it.
	MaxIdle  time.Duration
	Log      *slog.Logger
	Observer Observer // if not nil, learns how each run went (metrics)

	mu          sync.RWMutex
	handlers    map[string]Handler
	batchers    map[string]BatchHandler
	subscribers map[string][]Handler
	wakers      []chan struct{}
	notify      chan struct{} // Wakes to pass to other replicas, while Run runs
}

// wakeChannel is the PostgreSQL channel replicas wake each other on.
const wakeChannel = "meetingd_wake"

// NewWorker returns a worker with meetingd's defaults.
func NewWorker(database *db.DB, c clock.Clock, log *slog.Logger) *Worker {
	return &Worker{DB: database, Clock: c, ID: secret.Hex(8), Lease: 15 * time.Second, Batch: 250, MaxAttempts: 8,
		Runners: map[string]int{Steps: 2, Bulk: 2}, MaxIdle: 5 * time.Second, Log: log,
		handlers: map[string]Handler{}, batchers: map[string]BatchHandler{}, subscribers: map[string][]Handler{}}
}

// Handle registers h for jobs whose kind (before any '@') is base.
func (w *Worker) Handle(base string, h Handler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[base] = h
}

// Wake makes running runners look for due work now: something was
// scheduled that may fall due sooner than they planned to wake. On
// PostgreSQL the other replicas' runners are woken too.
func (w *Worker) Wake() {
	w.wakeHere()
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.notify != nil {
		select {
		case w.notify <- struct{}{}:
		default: // a notification is on its way already
		}
	}
}

// wakeHere wakes this process's runners.
func (w *Worker) wakeHere() {
	w.mu.RLock()
	defer w.mu.RUnlock()
	for _, c := range w.wakers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// tellOthers passes Wakes to the other replicas, one NOTIFY for however
// many Wakes came while the last was sent, and wakes this process when
// another replica scheduled work.
func (w *Worker) tellOthers(ctx context.Context) {
	if !w.DB.Postgres() {
		return
	}
	notify := make(chan struct{}, 1)
	w.mu.Lock()
	w.notify = notify
	w.mu.Unlock()
	go w.DB.Listen(ctx, wakeChannel, w.wakeHere, func(err error) { w.Log.Warn("waiting for other replicas' work", "err", err) })
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-notify:
				if err := w.DB.Notify(ctx, wakeChannel); err != nil && ctx.Err() == nil {
					w.Log.Warn("waking other replicas", "err", err)
				}
			}
		}
	}()
}

// lanes are the lanes in the order RunDue drains them.
var lanes = []string{Steps, Bulk}

// RunDue runs every job due now, lane by lane, batch by batch, and returns
// how many ran (successfully or not). Jobs that fall due while it runs are
// included. Tests and the CLI use it; a server runs Run.
func (w *Worker) RunDue(ctx context.Context) (int, error) {
	total := 0
	for {
		ran := 0
		for _, lane := range lanes {
			n, err := w.runBatch(ctx, lane)
			total, ran = total+n, ran+n
			if err != nil {
				return total, err
			}
		}
		if ran == 0 {
			return total, nil
		}
	}
}

// RunDueIn runs every job of lane due now, batch by batch.
func (w *Worker) RunDueIn(ctx context.Context, lane string) (int, error) {
	total := 0
	for {
		n, err := w.runBatch(ctx, lane)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// runBatch claims and runs one batch of lane's due jobs, and records how
// each went in one transaction.
func (w *Worker) runBatch(ctx context.Context, lane string) (int, error) {
	ctx = db.Ahead(ctx) // scheduled work writes before queued requests
	now := w.Clock.Now()
	var batch []Job
	err := db.InTx(ctx, w.DB, func(tx *sqlx.Tx) error {
		var err error
		batch, err = Claim(ctx, tx, lane, w.ID, now, now.Add(w.Lease), w.Batch)
		return err
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	stop := w.heartbeat()
	results := make([]error, len(batch))
	done := make([]bool, len(batch))
	ran := 0
	for i, j := range batch {
		if ctx.Err() != nil {
			break // shutting down: the rest are given back below
		}
		if done[i] {
			continue
		}
		if h, ok := w.batcher(j); ok {
			// Every job of this kind in the batch, in one call.
			var idx []int
			var group []Job
			for k := i; k < len(batch); k++ {
				if !done[k] && batch[k].Base() == j.Base() {
					idx, group = append(idx, k), append(group, batch[k])
				}
			}
			err := safeRunBatch(ctx, h, group)
			for _, k := range idx {
				results[k], done[k] = err, true
				w.observe(batch[k], err)
			}
			ran += len(idx)
			continue
		}
		results[i], done[i] = w.run(ctx, j), true
		ran++
	}
	stop()
	var finished, unrun []Job
	var outcomes []error
	for i, j := range batch {
		// Stopped by shutdown, not failed: given back, not counted an attempt.
		interrupted := ctx.Err() != nil && errors.Is(results[i], context.Canceled)
		if done[i] && !interrupted {
			finished, outcomes = append(finished, j), append(outcomes, results[i])
		} else {
			unrun = append(unrun, j)
		}
	}
	return ran, w.record(finished, outcomes, unrun)
}

func (w *Worker) batcher(j Job) (BatchHandler, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	h, ok := w.batchers[j.Base()]
	return h, ok
}

func (w *Worker) observe(j Job, err error) {
	if w.Observer != nil {
		w.Observer.Job(j.Kind, err)
	}
}

func (w *Worker) run(ctx context.Context, j Job) error {
	h, ok := w.event(j)
	if !ok {
		w.mu.RLock()
		h, ok = w.handlers[j.Base()]
		w.mu.RUnlock()
	}
	var err error
	if !ok {
		err = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		err = safeRun(ctx, h, j)
	}
	w.observe(j, err)
	return err
}

// record marks the jobs run done or failed, and gives back those not run,
// in one transaction. It outlives a cancelled run context: what ran is
// recorded even while the process shuts down.
func (w *Worker) record(ran []Job, results []error, unrun []Job) error {
	ctx, cancel := context.WithTimeout(db.Ahead(context.Background()), 30*time.Second)
	defer cancel()
	now := w.Clock.Now()
	lost := 0
	err := db.InTx(ctx, w.DB, func(tx *sqlx.Tx) error {
		var ok []Job
		for i, j := range ran {
			if errors.Is(results[i], ErrLater) {
				if err := Postpone(ctx, tx, now, j); err != nil {
					return err
				}
				continue
			}
			if err := results[i]; err != nil {
				retry := now.Add(Backoff(j.Attempts))
				w.Log.Warn("job failed", "job", j.ID, "kind", j.Kind, "subject", j.Subject,
					"attempt", j.Attempts, "retry_at", retry, "err", err)
				if err := Fail(ctx, tx, now, retry, j, err, w.MaxAttempts); err != nil {
					return err
				}
				continue
			}
			ok = append(ok, j)
		}
		done, err := CompleteAll(ctx, tx, now, ok)
		if err != nil {
			return err
		}
		lost = len(ok) - done
		for _, j := range unrun {
			if err := Release(ctx, tx, now, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d jobs: %w", len(ran), err)
	}
	if lost > 0 {
		// Rescheduled while running (a meeting moved): it runs again at its
		// new time, and the work done was idempotent.
		w.Log.Info("jobs rescheduled while running", "jobs", lost)
	}
	return nil
}

// heartbeat renews the leases of what this worker holds until stopped, so
// a long batch keeps its claim while a dead process's claim lapses soon.
func (w *Worker) heartbeat() (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(w.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				now := w.Clock.Now()
				ctx, cancel := context.WithTimeout(db.Ahead(context.Background()), w.Lease/3)
				err := db.InTx(ctx, w.DB, func(tx *sqlx.Tx) error { return Renew(ctx, tx, w.ID, now, now.Add(w.Lease)) })
				cancel()
				if err != nil {
					w.Log.Warn("renewing job leases", "err", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func safeRunBatch(ctx context.Context, h BatchHandler, js []Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h(ctx, js)
}

func safeRun(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h(ctx, j)
}

// Backoff is the wait before retry n+1: exponential from 30s, capped at 6h,
// with up to 20% jitter so failed jobs do not retry in lockstep.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 6*time.Hour)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// Recover, at start, takes back what a dead predecessor held: when sole
// (this process is the database's only worker), its claims are due at
// once; otherwise they come due as their leases lapse.
func (w *Worker) Recover(ctx context.Context, sole bool) error {
	if !sole {
		return nil
	}
	n := 0
	err := db.InTx(ctx, w.DB, func(tx *sqlx.Tx) error {
		var err error
		n, err = Reclaim(ctx, tx, w.ID, w.Clock.Now())
		return err
	})
	if n > 0 {
		w.Log.Info("took back jobs a stopped process held", "jobs", n)
	}
	return err
}

// Run runs each lane's runners until ctx ends. Work in flight at shutdown
// finishes; what was claimed and not started is given back.
func (w *Worker) Run(ctx context.Context) {
	w.tellOthers(ctx)
	var wg sync.WaitGroup
	for _, lane := range lanes {
		for range max(1, w.Runners[lane]) {
			wake := make(chan struct{}, 1)
			w.mu.Lock()
			w.wakers = append(w.wakers, wake)
			w.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.runLane(ctx, lane, wake)
			}()
		}
	}
	wg.Wait()
}

// runLane runs lane's due work, then sleeps until its next step is due, a
// Wake, or MaxIdle.
func (w *Worker) runLane(ctx context.Context, lane string, wake <-chan struct{}) {
	for ctx.Err() == nil {
		n, err := w.runBatch(ctx, lane)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("running due jobs", "lane", lane, "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		wait := w.MaxIdle
		if next, ok, err := NextDue(ctx, w.DB, lane); err == nil && ok {
			wait = min(wait, clock.Until(w.Clock, next))
		} else if err != nil && !errors.Is(err, context.Canceled) {
			w.Log.Error("looking for the next due job", "lane", lane, "err", err)
		}
		if wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-wake:
		}
		t.Stop()
	}
}
