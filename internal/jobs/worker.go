package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/clock"
	"meetingd/internal/db"
)

// Handler does one job's work. It must be idempotent: a job whose worker
// died after the work but before Complete runs again.
type Handler func(ctx context.Context, j Job) error

// Worker claims due jobs and runs their handlers.
type Worker struct {
	DB          *sqlx.DB
	Clock       clock.Clock
	Lease       time.Duration // how long a claim holds before the job is due again
	Batch       int           // jobs claimed at once
	MaxAttempts int
	Log         *slog.Logger

	// Observer, if not nil, learns how each run went (metrics).
	Observer Observer

	mu          sync.RWMutex
	handlers    map[string]Handler
	subscribers map[string][]Handler
	wake        chan struct{}
}

// Observer learns how each job run went.
type Observer interface {
	Job(kind string, err error)
}

// NewWorker returns a worker with meetingd's defaults.
func NewWorker(database *sqlx.DB, c clock.Clock, log *slog.Logger) *Worker {
	return &Worker{DB: database, Clock: c, Lease: 5 * time.Minute, Batch: 100, MaxAttempts: 8,
		Log: log, handlers: map[string]Handler{}, subscribers: map[string][]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers h for jobs whose kind (before any '@') is base.
func (w *Worker) Handle(base string, h Handler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[base] = h
}

// Wake makes a running loop look for due work now, without waiting for
// its poll interval.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// RunDue runs every job due now, batch by batch, and returns how many ran
// (successfully or not). Jobs that fall due while it runs are included.
func (w *Worker) RunDue(ctx context.Context) (int, error) {
	total := 0
	for {
		now := w.Clock.Now()
		var batch []Job
		err := db.InTx(ctx, w.DB, func(tx *sqlx.Tx) error {
			var err error
			batch, err = Claim(ctx, tx, now, now.Add(w.Lease), w.Batch)
			return err
		})
		if err != nil {
			return total, err
		}
		if len(batch) == 0 {
			return total, nil
		}
		for _, j := range batch {
			if err := ctx.Err(); err != nil {
				return total, err // claimed leftovers come due again after their lease
			}
			w.run(ctx, j)
			total++
		}
	}
}

func (w *Worker) run(ctx context.Context, j Job) {
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
	if w.Observer != nil {
		w.Observer.Job(j.Kind, err)
	}
	now := w.Clock.Now()
	if err == nil {
		held, cerr := Complete(ctx, w.DB, now, j)
		if cerr != nil {
			w.Log.ErrorContext(ctx, "job done but not recorded", "job", j.ID, "kind", j.Kind, "err", cerr)
		} else if !held {
			w.Log.WarnContext(ctx, "job lease lost; its work was idempotent", "job", j.ID, "kind", j.Kind)
		}
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the job comes due again
	}
	retry := now.Add(Backoff(j.Attempts))
	w.Log.WarnContext(ctx, "job failed", "job", j.ID, "kind", j.Kind, "subject", j.Subject,
		"attempt", j.Attempts, "retry_at", retry, "err", err)
	if ferr := Fail(ctx, w.DB, now, retry, j, err, w.MaxAttempts); ferr != nil {
		w.Log.ErrorContext(ctx, "job failure not recorded", "job", j.ID, "err", ferr)
	}
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

// Run loops until ctx ends: it runs due work, then waits for poll (in real
// time) or a Wake. Work in flight at shutdown finishes or its lease lapses.
func (w *Worker) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := w.RunDue(ctx); err != nil && ctx.Err() == nil {
			w.Log.ErrorContext(ctx, "running due jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}
