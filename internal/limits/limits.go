// Package limits counts what people and clients do, so that nobody can
// make meetingd send mail or create rows without end. Counters are rows,
// so limits hold across restarts and replicas.
package limits

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// Rule is at most Max hits per Per for one key.
type Rule struct {
	Max int
	Per time.Duration
}

// Off is true when the rule limits nothing (a zero rule).
func (r Rule) Off() bool { return r.Max <= 0 || r.Per <= 0 }

// Hit counts one hit on key under r, in q (a request's own transaction,
// so a refused action is not counted twice), and reports a RateLimited
// error naming what when the window's hits are over the rule.
func Hit(ctx context.Context, q db.Queryer, now time.Time, key string, r Rule, what string) error {
	if r.Off() {
		return nil
	}
	var got struct {
		Hits  int       `db:"hits"`
		Start time.Time `db:"window_start"`
	}
	expired := now.Add(-r.Per)
	err := q.GetContext(ctx, &got, q.Rebind(`INSERT INTO rate_limits (key, window_start, hits) VALUES (?, ?, 1)
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN rate_limits.window_start <= ? THEN 1 ELSE rate_limits.hits + 1 END,
			window_start = CASE WHEN rate_limits.window_start <= ? THEN excluded.window_start ELSE rate_limits.window_start END
		RETURNING hits, window_start`), key, now, expired, expired)
	if err != nil {
		return fmt.Errorf("rate limit %s: %w", key, err)
	}
	if got.Hits <= r.Max {
		return nil
	}
	wait := got.Start.Add(r.Per).Sub(now)
	e := errs.Errorf(errs.RateLimited, "too many %s: at most %d per %s; try again in %s", what, r.Max, human(r.Per), human(wait.Round(time.Second)))
	e.RetryAfter = wait
	return e
}

func human(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return d.String()
}
