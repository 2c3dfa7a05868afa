package calendar

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/internal/people"
)

// A polled calendar (an ICS subscription, a CalDAV collection) fails now
// and then: a server down for maintenance, a proxy answering with a login
// page. Each failed poll is recorded and puts the next one further off,
// so a broken server is not hammered; the first poll that works clears
// the record. A calendar that has failed for a whole day is reported to
// the operators once, with the last reason; if it then recovers and fails
// for another day, that is reported again.

// MailFeedFailing is the email kind telling operators a polled calendar
// has failed for a day.
const MailFeedFailing = "calendar_feed_failing"

// FeedReportAfter is how long a calendar fails before operators are told.
const FeedReportAfter = 24 * time.Hour

// maxBackoff bounds the wait between failed polls (unless the server asks
// for longer with Retry-After), so a server that comes back is read
// within the hour.
const maxBackoff = time.Hour

// maxRetryAfter bounds how long a server's Retry-After may park a calendar.
const maxRetryAfter = 6 * time.Hour

// NextPoll is when to poll again after a poll at now: every interval while
// it works; after failures (the number in a row) the interval doubles each
// time, up to an hour (or the interval, if longer), and never sooner than
// the server's Retry-After. No jitter: calendars are polled from the times
// they were added, so they are spread already.
func NextPoll(now time.Time, interval time.Duration, failures int, retryAfter time.Duration) time.Time {
	if failures == 0 {
		return now.Add(interval)
	}
	d, ceiling := interval, max(maxBackoff, interval)
	for i := 1; i < failures && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return now.Add(max(d, min(retryAfter, maxRetryAfter)))
}

// FeedStatus is how a polled calendar is doing, for operators.
type FeedStatus struct {
	Failures     int        `db:"failures" json:"failures"`
	FailingSince *time.Time `db:"failing_since" json:"failing_since,omitempty"`
	LastError    string     `db:"last_error" json:"last_error,omitempty"`
	ReportedAt   *time.Time `db:"reported_at" json:"reported_at,omitempty"`
	CheckedAt    *time.Time `db:"checked_at" json:"checked_at,omitempty"`
	NextPollAt   *time.Time `db:"next_poll_at" json:"next_poll_at,omitempty"`
}

// FeedStatusOf reads a calendar's record; one never polled has none.
func FeedStatusOf(ctx context.Context, q db.Queryer, calID int64) (FeedStatus, error) {
	var rows []FeedStatus
	err := q.SelectContext(ctx, &rows, q.Rebind(`SELECT failures, failing_since, last_error, reported_at, checked_at, next_poll_at
		FROM feed_health WHERE calendar_id = ?`), calID)
	if err != nil {
		return FeedStatus{}, fmt.Errorf("health of calendar %d: %w", calID, err)
	}
	if len(rows) == 0 {
		return FeedStatus{}, nil
	}
	return rows[0], nil
}

// FeedHealth records how polls go and tells operators of a calendar that
// keeps failing. It composes that email.
type FeedHealth struct {
	DB     *db.DB
	Outbox *mail.Outbox
	Log    *slog.Logger
}

// Register makes h compose the failing-calendar emails.
func (h *FeedHealth) Register(o *mail.Outbox) { o.Register(MailFeedFailing, h) }

// Scheduled records when the calendar is next polled.
func (h *FeedHealth) Scheduled(ctx context.Context, q db.Queryer, calID int64, next time.Time) error {
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO feed_health (calendar_id, next_poll_at) VALUES (?, ?)
		ON CONFLICT (calendar_id) DO UPDATE SET next_poll_at = excluded.next_poll_at`), calID, next)
	if err != nil {
		return fmt.Errorf("record next poll of calendar %d: %w", calID, err)
	}
	return nil
}

// Succeeded records a poll the source answered, clearing any failures.
func (h *FeedHealth) Succeeded(ctx context.Context, q db.Queryer, calID int64, now time.Time) error {
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO feed_health (calendar_id, failures, checked_at)
		VALUES (?, 0, ?)
		ON CONFLICT (calendar_id) DO UPDATE SET failures = 0, failing_since = NULL, last_error = '', reported_at = NULL,
			checked_at = excluded.checked_at`), calID, now)
	if err != nil {
		return fmt.Errorf("record poll of calendar %d: %w", calID, err)
	}
	return nil
}

// Failed records a failed poll of cal, with cause (already free of
// secrets), and returns how many polls in a row have failed. The first
// failed poll a day or more after the run began tells the operators.
func (h *FeedHealth) Failed(ctx context.Context, cal Calendar, now time.Time, cause string) (int, error) {
	var failures int
	err := db.InTx(ctx, h.DB, func(tx *sqlx.Tx) error {
		var st struct {
			Failures int        `db:"failures"`
			Since    *time.Time `db:"failing_since"`
			Reported *time.Time `db:"reported_at"`
		}
		err := tx.GetContext(ctx, &st, tx.Rebind(`INSERT INTO feed_health (calendar_id, failures, failing_since, last_error)
			VALUES (?, 1, ?, ?)
			ON CONFLICT (calendar_id) DO UPDATE SET failures = feed_health.failures + 1,
				failing_since = COALESCE(feed_health.failing_since, excluded.failing_since), last_error = excluded.last_error
			RETURNING failures, failing_since, reported_at`), cal.ID, now, clip(cause, 500))
		if err != nil {
			return fmt.Errorf("record failed poll of calendar %d: %w", cal.ID, err)
		}
		failures = st.Failures
		if st.Reported != nil || st.Since == nil || now.Sub(*st.Since) < FeedReportAfter {
			return nil
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE feed_health SET reported_at = ? WHERE calendar_id = ?`), now, cal.ID); err != nil {
			return fmt.Errorf("record report of calendar %d: %w", cal.ID, err)
		}
		return h.tellOperators(ctx, tx, cal, *st.Since)
	})
	return failures, err
}

func (h *FeedHealth) tellOperators(ctx context.Context, tx *sqlx.Tx, cal Calendar, since time.Time) error {
	ops, err := people.Operators(ctx, tx)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		h.Log.WarnContext(ctx, "no operators to tell that a calendar keeps failing", "calendar", cal.Name, "kind", cal.Kind)
		return nil
	}
	to := make([]mail.Recipient, len(ops))
	for i, p := range ops {
		to[i] = p.Recipient()
	}
	// One email per run of failures: the key carries when it began.
	m := mail.Message{Kind: MailFeedFailing, SubjectKey: fmt.Sprintf("calendar:%d@%d", cal.ID, since.Unix())}
	if _, err := h.Outbox.EnqueueAll(ctx, tx, m, to); err != nil {
		return err
	}
	h.Log.WarnContext(ctx, "calendar failing for a day; operators told", "calendar", cal.Name, "kind", cal.Kind)
	return nil
}

// FeedFailing is the data of a MailFeedFailing email.
type FeedFailing struct {
	Calendar  string
	Kind      string // "ICS subscription", "CalDAV calendar"
	Source    string // where it is read from, redacted
	Since     time.Time
	LastError string
	Failures  int
	Fix       string
}

// Compose writes the failing-calendar email as it is sent; one whose
// calendar works again, or was removed, is dropped.
func (h *FeedHealth) Compose(ctx context.Context, q db.Queryer, kind, key string, to []mail.Item) (mail.Composed, error) {
	subject, _, _ := strings.Cut(key, "@")
	id, err := jobs.SubjectID(subject, "calendar:")
	if err != nil {
		return mail.Composed{}, err
	}
	cal, err := ByID(ctx, q, id)
	if errs.Code(err) == errs.NotFound {
		return mail.DropAll(to, "the calendar is gone"), nil
	}
	if err != nil {
		return mail.Composed{}, err
	}
	st, err := FeedStatusOf(ctx, q, id)
	if err != nil {
		return mail.Composed{}, err
	}
	switch {
	case st.FailingSince == nil:
		return mail.DropAll(to, "the calendar syncs again"), nil
	case cal.StoppedAt != nil:
		return mail.DropAll(to, "the calendar was removed"), nil
	}
	d := FeedFailing{Calendar: cal.Name, Source: cal.Source, Since: *st.FailingSince, LastError: st.LastError, Failures: st.Failures}
	switch cal.Kind {
	case KindCalDAV:
		d.Kind = "CalDAV calendar"
		d.Fix = "Check that the server is up and that the app password still works (a new one: meetingd calendar caldav with the same --name). Its meetings keep what meetingd last read."
	default:
		d.Kind = "ICS subscription"
		d.Fix = "Check that the calendar is still published at that address (a new one: meetingd calendar subscribe with the same --name). Its meetings keep what meetingd last read."
	}
	return mail.Composed{Data: d}, nil
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
