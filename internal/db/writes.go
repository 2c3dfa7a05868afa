package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"

	"meetingd/internal/errs"
)

// DB is meetingd's database: a pool of connections that read freely (WAL
// lets readers and a writer work at once), and, on SQLite, writers that
// queue inside the process for their turn, first come first served.
// SQLite takes one writer at a time; queued here, a writer waits its turn
// in order instead of polling the file lock, and gives up at its
// context's deadline with a Busy error rather than failing with "database
// is locked". PostgreSQL takes many writers at once, locking rows: there
// writers do not queue.
type DB struct {
	*sqlx.DB
	dsn    string
	queued bool // SQLite: writers take turns
	writes writeQueue
	// sqliteDSN is what a second connection to the same SQLite file is
	// opened with, for its data version; "" when there is none.
	sqliteDSN   string
	version     versionConn
	readThrough atomic.Bool // see ReadThrough
}

// ErrBusy is a write that did not get its turn before its deadline.
var ErrBusy = errs.Errorf(errs.Unavailable, "meetingd is busy writing; try again in a moment")

// InTx runs fn in a write transaction, once the queue gives this writer
// its turn, committing if it returns nil.
func InTx(ctx context.Context, d *DB, fn func(tx *sqlx.Tx) error) error {
	release, err := d.turn(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return busy(fmt.Errorf("begin: %w", err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return busy(err)
	}
	if err := tx.Commit(); err != nil {
		return busy(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// ExecContext runs one write outside a transaction, in its turn.
func (d *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := d.turn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := d.DB.ExecContext(ctx, d.Rebind(query), args...)
	return res, busy(err)
}

// turn waits for this writer's turn; PostgreSQL's writers need none.
func (d *DB) turn(ctx context.Context) (release func(), err error) {
	if !d.queued {
		return func() {}, nil
	}
	return d.writes.acquire(ctx)
}

// busy turns SQLite's "database is locked" (another process held the
// lock past the busy timeout: a CLI command beside the server), and
// PostgreSQL's deadlocks and lock timeouts, into the same Busy error as a
// write queue that ran out of time.
func busy(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return fmt.Errorf("%w (%v)", ErrBusy, err)
	}
	if pgBusy(err) {
		return fmt.Errorf("%w (%v)", ErrBusy, err)
	}
	if errors.Is(err, context.DeadlineExceeded) && errs.Code(err) == errs.Internal {
		return fmt.Errorf("%w (%v)", ErrBusy, err)
	}
	return err
}

// writeQueue hands out the one write turn in arrival order, alternating
// between the scheduler's writers and requests' when both wait.
type writeQueue struct {
	mu        sync.Mutex
	busy      bool
	ahead     []chan struct{} // writers under Ahead
	waiters   []chan struct{}
	lastAhead bool // the turn last went to a writer under Ahead
}

type waitKey struct{}

type aheadKey struct{}

// Ahead returns ctx whose writes take every other turn while requests
// wait, however many requests wait already. The scheduler's runners write
// under it: a decision's close or an email's "sent" mark is one short
// transaction that cannot wait behind hundreds of clients' writes without
// the close running late or delivery crawling. Every other turn, not
// every turn: an import's transactions, back to back, would otherwise
// keep requests waiting until it ends.
func Ahead(ctx context.Context) context.Context {
	return context.WithValue(ctx, aheadKey{}, true)
}

// WaitAtMost returns ctx under which a writer waits at most d for its turn
// (and then fails with ErrBusy); the write itself, once its turn comes, is
// not hurried. A request's writes are bounded this way.
func WaitAtMost(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, waitKey{}, d)
}

func (q *writeQueue) acquire(ctx context.Context) (release func(), err error) {
	q.mu.Lock()
	if !q.busy {
		q.busy = true
		q.mu.Unlock()
		return q.release, nil
	}
	turn := make(chan struct{})
	if ctx.Value(aheadKey{}) != nil {
		q.ahead = append(q.ahead, turn)
	} else {
		q.waiters = append(q.waiters, turn)
	}
	q.mu.Unlock()
	var expired <-chan time.Time
	if d, ok := ctx.Value(waitKey{}).(time.Duration); ok {
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	done := ctx.Done()
	select {
	case <-turn:
		return q.release, nil
	case <-expired:
		return q.giveUp(turn, context.DeadlineExceeded)
	case <-done:
		return q.giveUp(turn, ctx.Err())
	}
}

// giveUp leaves the line; if the turn came meanwhile, it is passed on.
func (q *writeQueue) giveUp(turn chan struct{}, why error) (func(), error) {
	q.mu.Lock()
	for _, line := range []*[]chan struct{}{&q.ahead, &q.waiters} {
		for i, w := range *line {
			if w == turn {
				*line = append((*line)[:i], (*line)[i+1:]...)
				q.mu.Unlock()
				return nil, fmt.Errorf("%w (waited for the write turn: %v)", ErrBusy, why)
			}
		}
	}
	q.mu.Unlock()
	// The turn came as the wait ended: it is ours to give back.
	<-turn
	q.release()
	return nil, fmt.Errorf("%w (waited for the write turn: %v)", ErrBusy, why)
}

// release passes the turn to the next writer in line, if any.
func (q *writeQueue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next chan struct{}
	switch {
	case len(q.ahead) > 0 && (!q.lastAhead || len(q.waiters) == 0):
		next, q.ahead, q.lastAhead = q.ahead[0], q.ahead[1:], true
	case len(q.waiters) > 0:
		next, q.waiters, q.lastAhead = q.waiters[0], q.waiters[1:], false
	default:
		q.busy = false
		return
	}
	close(next)
}
