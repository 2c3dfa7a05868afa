package jobs

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
)

// Rearm makes the step (kind, subject) due now, even if it is running: its
// worker then loses the lease and it runs again, so a change seen during a
// run is not lost. A step waiting to run is left alone: it will see the
// change. Schedule leaves a step alone when its due time is unchanged, so a
// step that already ran at this very instant (a fake clock, a coarse one) is
// armed a microsecond earlier instead.
func Rearm(ctx context.Context, q db.Queryer, now time.Time, lane, kind, subject string) error {
	var prev []struct {
		Due   time.Time `db:"due_at"`
		RunAt time.Time `db:"run_at"`
		State string    `db:"state"`
	}
	err := q.SelectContext(ctx, &prev, q.Rebind(`SELECT due_at, run_at, state FROM jobs WHERE kind = ? AND subject = ?`), kind, subject)
	if err != nil {
		return fmt.Errorf("job %s %s: %w", kind, subject, err)
	}
	due := now
	if len(prev) == 1 {
		p := prev[0]
		if p.State == Pending && !p.RunAt.After(now) {
			return nil
		}
		if p.Due.Equal(now) {
			due = now.Add(-time.Microsecond)
		}
	}
	return ScheduleIn(ctx, q, now, lane, kind, subject, due)
}

// Armed reports whether a step about subject, of one of kinds, is pending.
func Armed(ctx context.Context, q db.Queryer, subject string, kinds ...string) (bool, error) {
	query, args := `SELECT COUNT(*) FROM jobs WHERE subject = ? AND state = 'pending' AND kind IN (`, []any{subject}
	for i, k := range kinds {
		if i > 0 {
			query += ", "
		}
		query += "?"
		args = append(args, k)
	}
	var n int
	if err := q.GetContext(ctx, &n, q.Rebind(query+")"), args...); err != nil {
		return false, fmt.Errorf("steps of %s: %w", subject, err)
	}
	return n > 0, nil
}
