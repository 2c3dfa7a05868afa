package jobs

import (
	"context"
	"strings"
	"time"

	"meetingd/internal/db"
)

// Events let a package tell the packages above it, which it cannot import,
// that something happened: decisions says a decision finished, and meetings
// (its notes) and Google (its docs) act on it. An event is a job row due at
// once, written in the transaction that made it happen, so it is delivered
// exactly when that commits, and again after a crash. The worker runs every
// subscriber of its topic in turn; each must be idempotent, since a failure
// in one makes the row, and so every subscriber, run again.

const eventPrefix = "event:"

// Emit records that topic happened to subject, for the topic's subscribers.
func Emit(ctx context.Context, q db.Queryer, now time.Time, topic, subject string) error {
	return Schedule(ctx, q, now, eventPrefix+topic, subject, now)
}

// Subscribe makes h run for every event of topic.
func (w *Worker) Subscribe(topic string, h Handler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.subscribers[topic] = append(w.subscribers[topic], h)
}

// event reports whether j is an event, and if so the handler that delivers
// it: every subscriber in turn. An event nobody subscribed to is done.
func (w *Worker) event(j Job) (Handler, bool) {
	topic, ok := strings.CutPrefix(j.Base(), eventPrefix)
	if !ok {
		return nil, false
	}
	w.mu.RLock()
	subs := w.subscribers[topic]
	w.mu.RUnlock()
	return func(ctx context.Context, j Job) error {
		for _, h := range subs {
			if err := h(ctx, j); err != nil {
				return err
			}
		}
		return nil
	}, true
}

// Waker is told when work may have fallen due now, so that it runs without
// waiting for the next poll. *Worker is one.
type Waker interface {
	Wake()
}
