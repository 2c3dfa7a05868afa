// Package jobs is meetingd's durable scheduler: every timed step is a row
// with a due time, claimed under a lease, run idempotently, retried with
// backoff, and moved or dropped when its source changes. Steps run in
// lanes, so that a close never waits behind a batch of mail.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"meetingd/internal/db"
)

// States of a job.
const (
	Pending   = "pending"
	Done      = "done"
	Cancelled = "cancelled"
	Dead      = "dead" // failed MaxAttempts times; kept for operators to see
)

// Lanes. Each has runners of its own, so bulk work never delays a step
// whose timing is the product's promise.
const (
	Steps = "steps" // decision closes, pre-read deadlines and reminders, urgent mail, events
	Bulk  = "bulk"  // mail batches, digests, calendar sync, imports
)

// Job is one scheduled step. Kind may carry a variant after '@'
// ("preread.reminder@72h"); Subject names what it is about ("occurrence:12").
type Job struct {
	ID        int64     `db:"id" json:"id"`
	Kind      string    `db:"kind" json:"kind"`
	Subject   string    `db:"subject" json:"subject"`
	Lane      string    `db:"lane" json:"lane"`
	DueAt     time.Time `db:"due_at" json:"due_at"`
	RunAt     time.Time `db:"run_at" json:"run_at"`
	State     string    `db:"state" json:"state"`
	Attempts  int       `db:"attempts" json:"attempts"`
	Lease     int64     `db:"lease" json:"-"`
	ClaimedBy string    `db:"claimed_by" json:"-"`
	LastError string    `db:"last_error" json:"last_error,omitempty"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// Base is the kind without its variant: the handler's name.
func (j Job) Base() string { b, _, _ := strings.Cut(j.Kind, "@"); return b }

// Variant is what follows '@' in the kind, or "".
func (j Job) Variant() string { _, v, _ := strings.Cut(j.Kind, "@"); return v }

// Schedule makes the step (kind, subject) due at due, in the Steps lane.
// A step already scheduled for that time is left alone, so repeating a sync
// is free; a step whose time changed, or that was cancelled, is armed
// again, even if it ran before (a meeting moved a week later owes its
// reminders again).
func Schedule(ctx context.Context, q db.Queryer, now time.Time, kind, subject string, due time.Time) error {
	return ScheduleIn(ctx, q, now, Steps, kind, subject, due)
}

// ScheduleIn is Schedule in lane.
func ScheduleIn(ctx context.Context, q db.Queryer, now time.Time, lane, kind, subject string, due time.Time) error {
	_, err := q.ExecContext(ctx, q.Rebind(`
		INSERT INTO jobs (kind, subject, lane, due_at, run_at, state, attempts, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)
		ON CONFLICT (kind, subject) DO UPDATE SET
			lane = excluded.lane, due_at = excluded.due_at, run_at = excluded.run_at, state = 'pending',
			attempts = 0, lease = jobs.lease + 1, claimed_by = '', last_error = '', updated_at = excluded.updated_at
		WHERE jobs.due_at <> excluded.due_at OR jobs.state = 'cancelled'`),
		kind, subject, lane, due.UTC(), due.UTC(), now, now)
	if err != nil {
		return fmt.Errorf("schedule %s %s: %w", kind, subject, err)
	}
	return nil
}

// Cancel drops every pending step about subject whose kind starts with one
// of kinds (all of them when kinds is empty). A step running now is left
// to finish: it re-reads what it acts on, finds nothing to do, and ends done.
func Cancel(ctx context.Context, q db.Queryer, now time.Time, subject string, kinds ...string) error {
	query := `UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE subject = ? AND state = 'pending' AND claimed_by = ''`
	args := []any{now, subject}
	if len(kinds) > 0 {
		var or []string
		for _, k := range kinds {
			or = append(or, "kind = ? OR kind LIKE ?")
			args = append(args, k, k+"@%")
		}
		query += " AND (" + strings.Join(or, " OR ") + ")"
	}
	if _, err := q.ExecContext(ctx, q.Rebind(query), args...); err != nil {
		return fmt.Errorf("cancel jobs for %s: %w", subject, err)
	}
	return nil
}

// Claim takes up to limit due jobs of lane for worker and leases them until
// leaseEnd: a claimed job's run_at moves to leaseEnd, so if its worker dies
// it is due again then. On PostgreSQL, rows another replica is claiming
// are skipped, so no two claim the same job. The lease number it returns is the fencing token
// Complete and Fail check.
func Claim(ctx context.Context, q db.Queryer, lane, worker string, now, leaseEnd time.Time, limit int) ([]Job, error) {
	var claimed []Job
	err := q.SelectContext(ctx, &claimed, q.Rebind(`
		UPDATE jobs SET run_at = ?, claimed_by = ?, attempts = attempts + 1, lease = lease + 1, updated_at = ?
		WHERE id IN (`+ClaimQuery+db.SkipLocked(q)+`)
		RETURNING `+claimColumns),
		leaseEnd, worker, now, lane, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return claimed, nil
}

// Complete marks a claimed job done. It reports false when the lease was
// lost (the job was claimed again or changed meanwhile): the work was
// idempotent, so nothing is wrong, but the caller should know.
func Complete(ctx context.Context, q db.Queryer, now time.Time, j Job) (bool, error) {
	res, err := q.ExecContext(ctx, q.Rebind(`
		UPDATE jobs SET state = 'done', claimed_by = '', last_error = '', updated_at = ?
		WHERE id = ? AND lease = ? AND state = 'pending'`),
		now, j.ID, j.Lease)
	if err != nil {
		return false, fmt.Errorf("complete job %d: %w", j.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CompleteAll marks claimed jobs done in one statement per few hundred,
// each only while its lease holds; it returns how many it marked.
func CompleteAll(ctx context.Context, q db.Queryer, now time.Time, js []Job) (int, error) {
	done := 0
	for start := 0; start < len(js); start += chunk {
		part := js[start:min(start+chunk, len(js))]
		args := []any{now}
		for _, j := range part {
			args = append(args, j.ID, j.Lease)
		}
		res, err := q.ExecContext(ctx, q.Rebind(`UPDATE jobs SET state = 'done', claimed_by = '', last_error = '', updated_at = ?
			WHERE state = 'pending' AND (id, lease) IN (VALUES `+strings.TrimSuffix(strings.Repeat("(CAST(? AS BIGINT), CAST(? AS BIGINT)), ", len(part)), ", ")+`)`), args...)
		if err != nil {
			return done, fmt.Errorf("complete %d jobs: %w", len(part), err)
		}
		n, _ := res.RowsAffected()
		done += int(n)
	}
	return done, nil
}

// Fail records a failed attempt: the job runs again at retryAt, or is dead
// when it has had maxAttempts.
func Fail(ctx context.Context, q db.Queryer, now, retryAt time.Time, j Job, cause error, maxAttempts int) error {
	_, err := q.ExecContext(ctx, q.Rebind(`
		UPDATE jobs SET run_at = ?, claimed_by = '', last_error = ?, updated_at = ?,
			state = CASE WHEN attempts >= ? THEN 'dead' ELSE 'pending' END
		WHERE id = ? AND lease = ? AND state = 'pending'`),
		retryAt, truncate(cause.Error(), 2000), now, maxAttempts, j.ID, j.Lease)
	if err != nil {
		return fmt.Errorf("record failure of job %d: %w", j.ID, err)
	}
	return nil
}

// Release gives back a claimed job not run (a worker shutting down): it is
// due again at once, and the try it never had is not counted.
func Release(ctx context.Context, q db.Queryer, now time.Time, j Job) error {
	_, err := q.ExecContext(ctx, q.Rebind(`
		UPDATE jobs SET run_at = ?, claimed_by = '', attempts = attempts - 1, updated_at = ?
		WHERE id = ? AND lease = ? AND state = 'pending'`), now, now, j.ID, j.Lease)
	if err != nil {
		return fmt.Errorf("release job %d: %w", j.ID, err)
	}
	return nil
}

// Renew extends the lease of every job worker holds to leaseEnd: its
// heartbeat, while they run.
func Renew(ctx context.Context, q db.Queryer, worker string, now, leaseEnd time.Time) error {
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE jobs SET run_at = ?, updated_at = ?
		WHERE claimed_by = ? AND state = 'pending'`), leaseEnd, now, worker)
	if err != nil {
		return fmt.Errorf("renew leases: %w", err)
	}
	return nil
}

// Reclaim makes every job claimed by a worker other than self due at once:
// a process that knows it is the only worker (it holds the database's
// lock) takes back what a dead predecessor held, without waiting out its
// lease.
func Reclaim(ctx context.Context, q db.Queryer, self string, now time.Time) (int, error) {
	res, err := q.ExecContext(ctx, q.Rebind(`UPDATE jobs SET run_at = ?, claimed_by = '', updated_at = ?
		WHERE state = 'pending' AND claimed_by <> '' AND claimed_by <> ?`), now, now, self)
	if err != nil {
		return 0, fmt.Errorf("reclaim jobs: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// NextDue is when the next pending job of lane may run; ok is false when
// there is none.
func NextDue(ctx context.Context, q db.Queryer, lane string) (time.Time, bool, error) {
	var at []time.Time
	err := q.SelectContext(ctx, &at, q.Rebind(`SELECT run_at FROM jobs WHERE lane = ? AND state = 'pending'
		ORDER BY run_at LIMIT 1`), lane)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due job: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, false, nil
	}
	return at[0], true, nil
}

// Upcoming lists pending jobs in the order they fall due, for `meetingd schedule`.
func Upcoming(ctx context.Context, q db.Queryer, limit int) ([]Job, error) {
	var out []Job
	err := q.SelectContext(ctx, &out, q.Rebind(`
		SELECT `+columns+` FROM jobs WHERE state = 'pending' ORDER BY run_at, id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list upcoming jobs: %w", err)
	}
	return out, nil
}

// ClaimQuery finds a lane's due work; the jobs_due index serves it (see the
// plan test).
const ClaimQuery = `SELECT id FROM jobs WHERE lane = ? AND state = 'pending' AND run_at <= ? ORDER BY run_at LIMIT ?`

const columns = `id, kind, subject, lane, due_at, run_at, state, attempts, lease, claimed_by, last_error, created_at, updated_at`

// claimColumns are what running a job needs: no more is read per claim.
const claimColumns = `id, kind, subject, lane, due_at, attempts, lease`

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ErrLater is a handler's answer when what its job acts on is not ready
// yet (an import still running): the job runs again shortly, and the try is
// not counted as a failure.
var ErrLater = errors.New("not ready yet; runs again shortly")

// laterWait is how long a job that answered ErrLater waits.
const laterWait = 5 * time.Second

// Postpone gives back a job whose handler answered ErrLater: due again
// after laterWait, its try uncounted.
func Postpone(ctx context.Context, q db.Queryer, now time.Time, j Job) error {
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE jobs SET run_at = ?, claimed_by = '', attempts = attempts - 1, updated_at = ?
		WHERE id = ? AND lease = ? AND state = 'pending'`), now.Add(laterWait), now, j.ID, j.Lease)
	if err != nil {
		return fmt.Errorf("postpone job %d: %w", j.ID, err)
	}
	return nil
}
