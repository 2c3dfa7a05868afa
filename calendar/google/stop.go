package google

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/internal/people"
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
		var err error
		if stopped, err = calendar.Stop(ctx, tx, cal.ID, reason, now); err != nil || !stopped {
			return err // stopped already, operators told
		}
		return g.tellOperators(ctx, tx, cal, reason, now)
	})
	g.forget(cal.ID)
	if stopped {
		g.Log.WarnContext(ctx, "Google calendar sync stopped", "calendar", cal.GoogleID, "reason", reason)
	}
	return err
}

func (g *Source) tellOperators(ctx context.Context, tx *sqlx.Tx, cal calRow, reason string, now time.Time) error {
	ops, err := people.Operators(ctx, tx)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		g.Log.WarnContext(ctx, "no operators to tell that a Google calendar stopped", "calendar", cal.GoogleID)
	}
	to := make([]mail.Recipient, len(ops))
	for i, p := range ops {
		to[i] = p.Recipient()
	}
	m := mail.Message{Kind: MailStopped, Urgent: true, SubjectKey: fmt.Sprintf("calendar:%d@%d", cal.ID, now.Unix())}
	if _, err := g.Outbox.EnqueueAll(ctx, tx, m, to); err != nil {
		// The calendar is stopped all the same; the dashboard shows why.
		g.Log.ErrorContext(ctx, "operators not emailed about a stopped Google calendar", "err", err)
	}
	return nil
}

// Compose writes the Google source's emails as they are sent: to
// operators, a calendar stopped; to organizers, a doc not shared with
// someone, a recording withheld.
func (g *Source) Compose(ctx context.Context, q db.Queryer, kind, key string, to []mail.Item) (mail.Composed, error) {
	switch kind {
	case MailShareFailed:
		return g.composeShareFailed(ctx, q, key, to)
	case MailRecordingWithheld:
		return g.composeRecordingWithheld(ctx, q, key, to)
	}
	return g.composeStopped(ctx, q, key, to)
}

// composeStopped writes the stopped-calendar email; a calendar resumed
// meanwhile needs no email.
func (g *Source) composeStopped(ctx context.Context, q db.Queryer, key string, to []mail.Item) (mail.Composed, error) {
	subject, _, _ := strings.Cut(key, "@")
	id, err := jobs.SubjectID(subject, "calendar:")
	if err != nil {
		return mail.Composed{}, err
	}
	cal, err := calendar.Get(ctx, q, Kind, id)
	if err != nil {
		return mail.Composed{}, err
	}
	if cal.StoppedAt == nil {
		return mail.DropAll(to, "the calendar syncs again"), nil
	}
	fix := "Ask its owner to connect it again: an operator gets a consent link from POST /api/v1/google/connect."
	if g.jwt != nil {
		fix = "Check the service account's domain-wide delegation in the Google Workspace admin console, then resume it: POST /api/v1/google/calendars/{calendar}/resume."
	}
	return mail.Composed{Data: Stopped{Calendar: cal.Name, Reason: cal.StopReason, StoppedAt: *cal.StoppedAt, Fix: fix}}, nil
}

// Resume restarts a stopped calendar once its credentials are fixed.
func (g *Source) Resume(ctx context.Context, googleID string) error {
	cal, err := calendar.ByName(ctx, g.DB, Kind, googleID)
	if err != nil {
		return err
	}
	id := cal.ID
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error { return g.resume(ctx, tx, g.Clock.Now(), id) })
	if err != nil {
		return err
	}
	g.forget(id)
	g.wake()
	return nil
}

func (g *Source) resume(ctx context.Context, tx *sqlx.Tx, now time.Time, calID int64) error {
	if err := calendar.Resume(ctx, tx, calID); err != nil {
		return err
	}
	if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobSync, calSubject(calID)); err != nil {
		return err
	}
	return g.armPoll(ctx, tx, now, calID)
}

// Status is a watched Google calendar's state, for operators.
type Status struct {
	ID       int64  `json:"id"`
	Calendar string `json:"calendar"`
	// Connected says meetingd syncs it: credentials to act with, not
	// stopped, and still configured (Watched).
	Connected      bool       `json:"connected"`
	Watched        bool       `json:"watched"`
	SyncedAt       *time.Time `json:"synced_at,omitempty"`
	StoppedAt      *time.Time `json:"stopped_at,omitempty"`
	StopReason     string     `json:"stop_reason,omitempty"`
	ChannelExpires *time.Time `json:"channel_expires,omitempty"`
}

// Calendars lists the Google calendars with their sync state.
func (g *Source) Calendars(ctx context.Context) ([]Status, error) {
	cals, err := calendar.List(ctx, g.DB, Kind)
	if err != nil {
		return nil, err
	}
	now := g.Clock.Now()
	out := make([]Status, 0, len(cals))
	for _, c := range cals {
		st := Status{ID: c.ID, Calendar: c.Name, StoppedAt: c.StoppedAt, StopReason: c.StopReason, Connected: g.jwt != nil}
		var synced []*time.Time
		var tokens int
		err := g.DB.SelectContext(ctx, &synced, g.DB.Rebind(`SELECT synced_at FROM google_calendars WHERE calendar_id = ?`), c.ID)
		if err == nil {
			err = g.DB.GetContext(ctx, &tokens, g.DB.Rebind(`SELECT COUNT(*) FROM google_tokens WHERE calendar_id = ?`), c.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("google calendar %d: %w", c.ID, err)
		}
		if len(synced) == 1 {
			st.SyncedAt = synced[0]
		}
		st.Watched = g.watched(calRow{Calendar: c, GoogleID: c.Source})
		st.Connected = (st.Connected || tokens > 0) && c.StoppedAt == nil && st.Watched
		var exp []time.Time
		err = g.DB.SelectContext(ctx, &exp, g.DB.Rebind(`SELECT expires_at FROM google_channels
			WHERE calendar_id = ? AND stopped_at IS NULL AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`), c.ID, now)
		if err != nil {
			return nil, fmt.Errorf("channels: %w", err)
		}
		if len(exp) == 1 {
			st.ChannelExpires = &exp[0]
		}
		out = append(out, st)
	}
	return out, nil
}
