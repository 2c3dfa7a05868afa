package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/secret"

	"github.com/jmoiron/sqlx"
)

// Locks hands out named locks that hold across replicas sharing a
// database: a row per lock, taken until a time and renewed while its
// holder works, so one that crashes lets go within a TTL. Work that finds
// its lock taken is not waited for: a job returns ErrLater and runs again
// shortly.
type Locks struct {
	DB     *db.DB
	Clock  clock.Clock
	Log    *slog.Logger
	TTL    time.Duration // how long a lock holds unrenewed; 0 means 30s
	holder string
}

// NewLocks returns the locks of one process.
func NewLocks(d *db.DB, c clock.Clock, log *slog.Logger) *Locks {
	return &Locks{DB: d, Clock: c, Log: log, holder: "locks-" + secret.Hex(8)}
}

func (l *Locks) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return 30 * time.Second
}

// TryLock takes the lock name unless another holder has it. When ok, call
// unlock once the work is done; meanwhile the lock is renewed.
func (l *Locks) TryLock(ctx context.Context, name string) (unlock func(), ok bool, err error) {
	if ok, err = l.take(ctx, name); err != nil || !ok {
		return nil, ok, err
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(l.ttl() / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if _, err := l.take(context.Background(), name); err != nil {
					l.Log.Warn("renewing a lock", "lock", name, "err", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := l.DB.ExecContext(ctx, `DELETE FROM locks WHERE name = ? AND holder = ?`, name, l.holder); err != nil {
			l.Log.Warn("releasing a lock", "lock", name, "err", err)
		}
	}, true, nil
}

// take takes or renews the lock: it is free, lapsed, or already ours.
func (l *Locks) take(ctx context.Context, name string) (bool, error) {
	now := l.Clock.Now()
	var holders []string
	err := db.InTx(ctx, l.DB, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &holders, tx.Rebind(`INSERT INTO locks (name, holder, held_until) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until
			WHERE locks.holder = excluded.holder OR locks.held_until < ?
			RETURNING holder`), name, l.holder, now.Add(l.ttl()), now)
	})
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	return len(holders) == 1, nil
}
