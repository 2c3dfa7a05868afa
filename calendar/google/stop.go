package google

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/mail"
	"meetingd/meetings"
)

// A calendar whose credentials Google refuses for good is stopped: marked
// with the reason (for the dashboard), its operators emailed once, and
// left alone until someone connects it again or resumes it. The other
// calendars keep syncing.

// MailStopped is the email kind telling operators a calendar stopped.
const MailStopped = "google_sync_stopped"

// Stopped is the data of a MailStopped email.
type Stopped struct {
	Calendar  string
	Reason    string
	StoppedAt time.Time
	// Fix says what to do: consent again, or check the delegation.
	Fix string
}

func (g *Source) stopIfRevoked(ctx context.Context, cal calRow, err error) error {
	var re *revokedError
	if !errors.As(err, &re) {
		return err
	}
	return g.stop(ctx, cal, re.reason)
}

// stop marks the calendar stopped and tells the operators, once.
func (g *Source) stop(ctx context.Context, cal calRow, reason string) error {
	now := g.Clock.Now()
	stopped := false
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE calendars SET sync_stopped_at = ?, sync_stopped_reason = ?
			WHERE id = ? AND sync_stopped_at IS NULL`), now, reason, cal.ID)
		if err != nil {
			return fmt.Errorf("stop calendar %d: %w", cal.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // stopped already, operators told
		}
		stopped = true
		return g.tellOperators(ctx, tx, cal, reason, now)
	})
	g.forget(cal.ID)
	if stopped {
		g.Log.WarnContext(ctx, "Google calendar sync stopped", "calendar", cal.GoogleID, "reason", reason)
	}
	return err
}

func (g *Source) tellOperators(ctx context.Context, tx *sqlx.Tx, cal calRow, reason string, now time.Time) error {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM people WHERE operator = 1 ORDER BY id`); err != nil {
		return fmt.Errorf("operators: %w", err)
	}
	if len(ids) == 0 {
		g.Log.WarnContext(ctx, "no operators to tell that a Google calendar stopped", "calendar", cal.GoogleID)
	}
	fix := "Ask its owner to connect it again: an operator gets a consent link from POST /api/v1/google/connect."
	if g.jwt != nil {
		fix = "Check the service account's domain-wide delegation in the Google Workspace admin console, then resume it: POST /api/v1/google/calendars/{calendar}/resume."
	}
	data := Stopped{Calendar: cal.GoogleID, Reason: reason, StoppedAt: now, Fix: fix}
	for _, id := range ids {
		p, err := meetings.PersonByID(ctx, tx, id)
		if err != nil {
			return err
		}
		_, err = g.Outbox.Enqueue(ctx, tx, mail.Message{Kind: MailStopped, To: p.Recipient(), Urgent: true, Data: data,
			SubjectKey: fmt.Sprintf("calendar:%d@%d", cal.ID, now.Unix())})
		if err != nil {
			// The calendar is stopped all the same; the dashboard shows why.
			g.Log.ErrorContext(ctx, "operator not emailed about a stopped Google calendar", "to", p.Email, "err", err)
		}
	}
	return nil
}

// Resume restarts a stopped calendar once its credentials are fixed.
func (g *Source) Resume(ctx context.Context, googleID string) error {
	var id int64
	err := g.DB.GetContext(ctx, &id, g.DB.Rebind(`SELECT id FROM calendars WHERE kind = ? AND name = ?`), Kind, googleID)
	if db.IsNoRows(err) {
		return errs.Errorf(errs.NotFound, "no Google calendar %q", googleID)
	}
	if err != nil {
		return fmt.Errorf("calendar %s: %w", googleID, err)
	}
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error { return g.resume(ctx, tx, g.Clock.Now(), id) })
	if err != nil {
		return err
	}
	g.forget(id)
	g.wake()
	return nil
}

func (g *Source) resume(ctx context.Context, tx *sqlx.Tx, now time.Time, calID int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE calendars SET sync_stopped_at = NULL, sync_stopped_reason = '' WHERE id = ?`), calID)
	if err != nil {
		return fmt.Errorf("resume calendar %d: %w", calID, err)
	}
	if err := armNow(ctx, tx, now, JobSync, calSubject(calID)); err != nil {
		return err
	}
	return g.armPoll(ctx, tx, now, calID)
}

// Status is a watched Google calendar's state, for operators.
type Status struct {
	ID             int64      `db:"id" json:"id"`
	Calendar       string     `db:"name" json:"calendar"`
	Connected      bool       `db:"connected" json:"connected"` // credentials to act with
	SyncedAt       *time.Time `db:"synced_at" json:"synced_at,omitempty"`
	StoppedAt      *time.Time `db:"sync_stopped_at" json:"stopped_at,omitempty"`
	StopReason     string     `db:"sync_stopped_reason" json:"stop_reason,omitempty"`
	ChannelExpires *time.Time `db:"-" json:"channel_expires,omitempty"`
}

// Status lists the Google calendars with their sync state.
func (g *Source) Calendars(ctx context.Context) ([]Status, error) {
	var out []Status
	err := g.DB.SelectContext(ctx, &out, g.DB.Rebind(`SELECT c.id, c.name, c.sync_stopped_at, c.sync_stopped_reason,
			gc.synced_at, CASE WHEN t.calendar_id IS NULL THEN 0 ELSE 1 END AS connected
		FROM calendars c LEFT JOIN google_calendars gc ON gc.calendar_id = c.id
		LEFT JOIN google_tokens t ON t.calendar_id = c.id
		WHERE c.kind = ? ORDER BY c.name`), Kind)
	if err != nil {
		return nil, fmt.Errorf("google calendars: %w", err)
	}
	now := g.Clock.Now()
	for i := range out {
		out[i].Connected = out[i].Connected || g.jwt != nil
		var exp []time.Time
		err := g.DB.SelectContext(ctx, &exp, g.DB.Rebind(`SELECT expires_at FROM google_channels
			WHERE calendar_id = ? AND stopped_at IS NULL AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`), out[i].ID, now)
		if err != nil {
			return nil, fmt.Errorf("channels: %w", err)
		}
		if len(exp) == 1 {
			out[i].ChannelExpires = &exp[0]
		}
	}
	return out, nil
}
