// Package calendar holds what every source of events shares: the
// calendars meetingd watches and the state of their sync, the built-in
// local calendar (events from the API and CLI, and imported ICS files), ICS
// subscriptions polled by URL, and each person's ICS feed of pre-read
// deadlines and decision closings. The sources themselves are below it:
// calendar/ics reads ICS files, calendar/google syncs Google Calendar and
// keeps notes in Google Docs, and calendar/caldav syncs CalDAV collections.
// Every source hands meetings.Events to meetings.Service.Sync.
package calendar

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// Kinds of calendar.
const (
	KindLocal  = "local"  // the built-in calendar
	KindICS    = "ics"    // an imported ICS file, or an ICS subscription
	KindGoogle = "google" // a Google calendar
	KindCalDAV = "caldav" // a CalDAV collection
)

// Calendar is a source of events as stored, with the state of its sync.
type Calendar struct {
	ID         int64      `db:"id"`
	Kind       string     `db:"kind"`
	Name       string     `db:"name"`
	Source     string     `db:"source"`     // where it is read from, as it may be shown: a Google calendar id, an ICS URL redacted
	SyncToken  string     `db:"sync_token"` // where the last incremental sync stopped
	StoppedAt  *time.Time `db:"sync_stopped_at"`
	StopReason string     `db:"sync_stopped_reason"`
	CreatedAt  time.Time  `db:"created_at"`
}

const columns = `id, kind, name, source, sync_token, sync_stopped_at, sync_stopped_reason, created_at`

// Ensure returns the id of the calendar (kind, name), creating it.
func Ensure(ctx context.Context, q db.Queryer, kind, name string, now time.Time) (int64, error) {
	var id int64
	err := q.GetContext(ctx, &id, q.Rebind(`INSERT INTO calendars (kind, name, created_at) VALUES (?, ?, ?)
		ON CONFLICT (kind, name) DO UPDATE SET name = excluded.name RETURNING id`), kind, name, now)
	if err != nil {
		return 0, fmt.Errorf("calendar %s %s: %w", kind, name, err)
	}
	return id, nil
}

// Get reads a calendar of kind by id.
func Get(ctx context.Context, q db.Queryer, kind string, id int64) (Calendar, error) {
	var c Calendar
	err := q.GetContext(ctx, &c, q.Rebind(`SELECT `+columns+` FROM calendars WHERE id = ? AND kind = ?`), id, kind)
	if db.IsNoRows(err) {
		return Calendar{}, errs.Errorf(errs.NotFound, "no %s calendar %d", kind, id)
	}
	if err != nil {
		return Calendar{}, fmt.Errorf("calendar %d: %w", id, err)
	}
	return c, nil
}

// ByID reads a calendar of any kind.
func ByID(ctx context.Context, q db.Queryer, id int64) (Calendar, error) {
	var c Calendar
	err := q.GetContext(ctx, &c, q.Rebind(`SELECT `+columns+` FROM calendars WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return Calendar{}, errs.Errorf(errs.NotFound, "no calendar %d", id)
	}
	if err != nil {
		return Calendar{}, fmt.Errorf("calendar %d: %w", id, err)
	}
	return c, nil
}

// ByName reads the calendar (kind, name).
func ByName(ctx context.Context, q db.Queryer, kind, name string) (Calendar, error) {
	var c Calendar
	err := q.GetContext(ctx, &c, q.Rebind(`SELECT `+columns+` FROM calendars WHERE kind = ? AND name = ?`), kind, name)
	if db.IsNoRows(err) {
		return Calendar{}, errs.Errorf(errs.NotFound, "no %s calendar %q", kind, name)
	}
	if err != nil {
		return Calendar{}, fmt.Errorf("calendar %s: %w", name, err)
	}
	return c, nil
}

// List lists the calendars of kind by name.
func List(ctx context.Context, q db.Queryer, kind string) ([]Calendar, error) {
	var out []Calendar
	if err := q.SelectContext(ctx, &out, q.Rebind(`SELECT `+columns+` FROM calendars WHERE kind = ? ORDER BY name`), kind); err != nil {
		return nil, fmt.Errorf("%s calendars: %w", kind, err)
	}
	return out, nil
}

// SetSource records where a calendar is read from.
func SetSource(ctx context.Context, q db.Queryer, id int64, source string) error {
	if _, err := q.ExecContext(ctx, q.Rebind(`UPDATE calendars SET source = ? WHERE id = ?`), source, id); err != nil {
		return fmt.Errorf("calendar %d: %w", id, err)
	}
	return nil
}

// SetSyncToken records where the next incremental sync starts ("" for a
// full one).
func SetSyncToken(ctx context.Context, q db.Queryer, id int64, token string) error {
	if _, err := q.ExecContext(ctx, q.Rebind(`UPDATE calendars SET sync_token = ? WHERE id = ?`), token, id); err != nil {
		return fmt.Errorf("store sync token of calendar %d: %w", id, err)
	}
	return nil
}

// Stop stops a calendar's sync with the reason; it reports false when it
// was stopped already.
func Stop(ctx context.Context, q db.Queryer, id int64, reason string, now time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, q.Rebind(`UPDATE calendars SET sync_stopped_at = ?, sync_stopped_reason = ?
		WHERE id = ? AND sync_stopped_at IS NULL`), now, reason, id)
	if err != nil {
		return false, fmt.Errorf("stop calendar %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Resume lets a stopped calendar sync again.
func Resume(ctx context.Context, q db.Queryer, id int64) error {
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE calendars SET sync_stopped_at = NULL, sync_stopped_reason = '' WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("resume calendar %d: %w", id, err)
	}
	return nil
}
