package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"meetingd/internal/db"
)

// Step is a job to schedule among many.
type Step struct {
	Kind, Subject string
	Due           time.Time
}

// chunk bounds the rows of one multi-row statement, well inside SQLite's
// limit on bound parameters.
const chunk = 400

// ScheduleMany schedules steps in lane as Schedule does each, a few
// hundred to a statement: how a batch of closes arms what follows them.
func ScheduleMany(ctx context.Context, q db.Queryer, now time.Time, lane string, steps []Step) error {
	return upsert(ctx, q, now, lane, steps, `jobs.due_at <> excluded.due_at OR jobs.state = 'cancelled'`)
}

// Owe makes each of steps due at its time again, whether or not it ran
// before, unless it is waiting to run already (then it runs at the sooner
// time): for steps whose work is "whatever is owed by then", such as
// delivering what is due to a person, which more work can join after it ran.
func Owe(ctx context.Context, q db.Queryer, now time.Time, lane string, steps []Step) error {
	return upsert(ctx, q, now, lane, steps, `jobs.state <> 'pending' OR jobs.due_at > excluded.due_at`)
}

func upsert(ctx context.Context, q db.Queryer, now time.Time, lane string, steps []Step, rearm string) error {
	steps = lastOfEach(steps)
	for start := 0; start < len(steps); start += chunk {
		part := steps[start:min(start+chunk, len(steps))]
		values := strings.Repeat("(?, ?, ?, ?, ?, 'pending', 0, ?, ?), ", len(part))
		args := make([]any, 0, 7*len(part))
		for _, s := range part {
			args = append(args, s.Kind, s.Subject, lane, s.Due.UTC(), s.Due.UTC(), now, now)
		}
		_, err := q.ExecContext(ctx, q.Rebind(`
			INSERT INTO jobs (kind, subject, lane, due_at, run_at, state, attempts, created_at, updated_at)
			VALUES `+strings.TrimSuffix(values, ", ")+`
			ON CONFLICT (kind, subject) DO UPDATE SET
				lane = excluded.lane, due_at = excluded.due_at, run_at = excluded.run_at, state = 'pending',
				attempts = 0, lease = jobs.lease + 1, claimed_by = '', last_error = '', updated_at = excluded.updated_at
			WHERE `+rearm), args...)
		if err != nil {
			return fmt.Errorf("schedule %d steps: %w", len(part), err)
		}
	}
	return nil
}

// lastOfEach keeps the last of steps naming the same job: one statement
// may not upsert a row twice (PostgreSQL refuses it).
func lastOfEach(steps []Step) []Step {
	type key struct{ kind, subject string }
	last := make(map[key]int, len(steps))
	for i, s := range steps {
		last[key{s.Kind, s.Subject}] = i
	}
	if len(last) == len(steps) {
		return steps
	}
	out := make([]Step, 0, len(last))
	for i, s := range steps {
		if last[key{s.Kind, s.Subject}] == i {
			out = append(out, s)
		}
	}
	return out
}

// CancelAll drops every pending step about each of subjects, as Cancel
// does one.
func CancelAll(ctx context.Context, q db.Queryer, now time.Time, subjects []string) error {
	for start := 0; start < len(subjects); start += chunk {
		part := subjects[start:min(start+chunk, len(subjects))]
		args := []any{now}
		for _, s := range part {
			args = append(args, s)
		}
		_, err := q.ExecContext(ctx, q.Rebind(`UPDATE jobs SET state = 'cancelled', updated_at = ?
			WHERE state = 'pending' AND claimed_by = '' AND subject IN (?`+strings.Repeat(", ?", len(part)-1)+`)`), args...)
		if err != nil {
			return fmt.Errorf("cancel jobs of %d subjects: %w", len(part), err)
		}
	}
	return nil
}

// EmitAll records that topic happened to each of subjects.
func EmitAll(ctx context.Context, q db.Queryer, now time.Time, topic string, subjects []string) error {
	steps := make([]Step, len(subjects))
	for i, s := range subjects {
		steps[i] = Step{Kind: eventPrefix + topic, Subject: s, Due: now}
	}
	return ScheduleMany(ctx, q, now, Steps, steps)
}

// BatchHandler does the work of many jobs of one kind at once, when
// sharing a transaction is much cheaper than one each (a minute's decision
// closes). Its error, if any, is every job's.
type BatchHandler func(ctx context.Context, js []Job) error

// HandleBatch registers h for jobs whose kind (before any '@') is base: a
// claimed batch's jobs of that kind go to it together.
func (w *Worker) HandleBatch(base string, h BatchHandler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.batchers[base] = h
}
