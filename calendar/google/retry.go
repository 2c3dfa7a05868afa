package google

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/api/googleapi"
)

// Retry is the backoff around every Google call: the generated clients do
// not retry, and Google asks clients to back off exponentially on rate
// limits (403 rateLimitExceeded or userRateLimitExceeded, 429) and server
// errors (5xx). Other errors are not retried: asking again will not help.
type Retry struct {
	Tries int           // attempts in all, the first included
	Base  time.Duration // the first wait; each next one doubles
	Max   time.Duration // no wait is longer, Retry-After aside
	// Sleep waits d or until ctx ends; tests record the waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1); nil is math/rand.
	Jitter func() float64
}

// DefaultRetry waits about 1s, 2s, 4s, 8s, 16s: five tries over half a
// minute, within a job's lease.
func DefaultRetry() Retry {
	return Retry{Tries: 6, Base: time.Second, Max: 32 * time.Second, Sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// wait is how long to wait before try n+1 (n from 1) after err at now,
// and whether to try again at all.
func (r Retry) wait(err error, n int, now time.Time) (time.Duration, bool) {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || !retryable(ge) || n >= r.Tries {
		return 0, false
	}
	// "Equal jitter": half the exponential step, plus up to as much again
	// at random, so clients that failed together do not retry together.
	step := r.Base << (n - 1)
	if step > r.Max || step <= 0 {
		step = r.Max
	}
	jitter := rand.Float64
	if r.Jitter != nil {
		jitter = r.Jitter
	}
	d := step/2 + time.Duration(jitter()*float64(step/2))
	if ra := retryAfter(ge.Header, now); ra > d {
		d = ra
	}
	return d, true
}

func retryable(ge *googleapi.Error) bool {
	switch {
	case ge.Code == http.StatusTooManyRequests, ge.Code >= 500:
		return true
	case ge.Code == http.StatusForbidden:
		for _, e := range ge.Errors {
			if e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded" {
				return true
			}
		}
	}
	return false
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. It is
// capped, so a bogus value cannot park a job for a day.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, 5*time.Minute))
}
