package google

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/secret"
)

// Push: each calendar is watched through a channel (events.watch) that
// POSTs a bodiless notification to the webhook when something changes;
// the notification makes an incremental sync due. Channels expire, so each
// is renewed before it does by watching again, then stopping the old one.
// A poll on a long interval is the safety net, and the only way when
// there is no public URL for Google to call.

// channelRow is a push channel as stored.
type channelRow struct {
	ID         string     `db:"id"`
	CalendarID int64      `db:"calendar_id"`
	ResourceID string     `db:"resource_id"`
	TokenHash  string     `db:"token_hash"`
	ExpiresAt  time.Time  `db:"expires_at"`
	StoppedAt  *time.Time `db:"stopped_at"`
}

const channelColumns = `id, calendar_id, resource_id, token_hash, expires_at, stopped_at`

// ensureChannel opens a channel on the calendar unless one is live.
func (g *Source) ensureChannel(ctx context.Context, cal calRow, cl *googleClient) error {
	if g.cfg.WebhookURL == "" {
		return nil
	}
	var live []channelRow
	err := g.DB.SelectContext(ctx, &live, g.DB.Rebind(`SELECT `+channelColumns+` FROM google_channels
		WHERE calendar_id = ? AND stopped_at IS NULL AND resource_id <> '' AND expires_at > ?`), cal.ID, g.Clock.Now())
	if err != nil {
		return fmt.Errorf("channels of calendar %d: %w", cal.ID, err)
	}
	if len(live) > 0 {
		return nil
	}
	_, err = g.watch(ctx, cal, cl)
	return err
}

// watch opens a channel and schedules its renewal. The channel is stored
// before Google is asked for it: Google's first message ("sync") may
// arrive before events.watch returns.
func (g *Source) watch(ctx context.Context, cal calRow, cl *googleClient) (channelRow, error) {
	id, token := secret.Hex(16), secret.Hex(32)
	now := g.Clock.Now()
	row := channelRow{ID: id, CalendarID: cal.ID, TokenHash: secret.Hash(token), ExpiresAt: now.Add(g.cfg.ChannelTTL)}
	_, err := g.DB.ExecContext(ctx, g.DB.Rebind(`INSERT INTO google_channels (`+channelColumns+`, created_at)
		VALUES (?, ?, '', ?, ?, NULL, ?)`), row.ID, row.CalendarID, row.TokenHash, row.ExpiresAt, now)
	if err != nil {
		return channelRow{}, fmt.Errorf("store channel: %w", err)
	}
	req := &gcalendar.Channel{Id: id, Type: "web_hook", Address: g.cfg.WebhookURL, Token: token,
		Params: map[string]string{"ttl": strconv.FormatInt(int64(g.cfg.ChannelTTL/time.Second), 10)}}
	var ch *gcalendar.Channel
	err = g.call(ctx, cl, "events.watch", func() (err error) {
		ch, err = cl.cal.Events.Watch(cal.GoogleID, req).Context(ctx).Do()
		return err
	})
	if err != nil {
		g.DB.ExecContext(ctx, g.DB.Rebind(`DELETE FROM google_channels WHERE id = ?`), id)
		return channelRow{}, err
	}
	row.ResourceID = ch.ResourceId
	if ch.Expiration != 0 {
		row.ExpiresAt = time.UnixMilli(ch.Expiration).UTC()
	}
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_channels SET resource_id = ?, expires_at = ? WHERE id = ?`),
			row.ResourceID, row.ExpiresAt, row.ID)
		if err != nil {
			return fmt.Errorf("store channel: %w", err)
		}
		renewAt := row.ExpiresAt.Add(-g.cfg.RenewBefore)
		if renewAt.Before(now) {
			renewAt = now.Add(row.ExpiresAt.Sub(now) / 2)
		}
		return jobs.ScheduleIn(ctx, tx, now, jobs.Bulk, JobRenew, channelSubject(row.ID), renewAt)
	})
	if err != nil {
		// Google would notify a channel nobody renews; stop it.
		g.stopChannel(ctx, cl, row)
		return channelRow{}, err
	}
	g.Log.InfoContext(ctx, "Google push channel opened", "calendar", cal.GoogleID, "channel", id, "expires", row.ExpiresAt)
	return row, nil
}

func (g *Source) runRenew(ctx context.Context, j jobs.Job) error {
	id := j.Subject[len("gchannel:"):]
	var old channelRow
	err := g.DB.GetContext(ctx, &old, g.DB.Rebind(`SELECT `+channelColumns+` FROM google_channels WHERE id = ?`), id)
	if db.IsNoRows(err) || (err == nil && old.StoppedAt != nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("channel %s: %w", id, err)
	}
	unlock, err := g.hold(ctx, calSubject(old.CalendarID))
	if err != nil {
		return err
	}
	defer unlock()
	cal, err := g.calendarRow(ctx, g.DB, old.CalendarID)
	if err != nil || cal.StoppedAt != nil || g.cfg.WebhookURL == "" || !g.watched(cal) {
		return err // the channel lapses by itself
	}
	cl, err := g.client(ctx, cal)
	if err != nil {
		return err
	}
	return g.stopIfRevoked(ctx, cal, g.renew(ctx, cal, cl, old))
}

// renew replaces a channel: the new one first, so no change goes unheard.
func (g *Source) renew(ctx context.Context, cal calRow, cl *googleClient, old channelRow) error {
	if _, err := g.watch(ctx, cal, cl); err != nil {
		return err
	}
	return g.stopChannel(ctx, cl, old)
}

// stopChannel stops a channel at Google and marks it stopped here.
func (g *Source) stopChannel(ctx context.Context, cl *googleClient, ch channelRow) error {
	err := g.call(ctx, cl, "channels.stop", func() error {
		return cl.cal.Channels.Stop(&gcalendar.Channel{Id: ch.ID, ResourceId: ch.ResourceID}).Context(ctx).Do()
	})
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return err // a 404: Google dropped it already
	}
	_, err = g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_channels SET stopped_at = ? WHERE id = ?`), g.Clock.Now(), ch.ID)
	if err != nil {
		return fmt.Errorf("mark channel %s stopped: %w", ch.ID, err)
	}
	return nil
}

// Notification is what a push notification's headers say.
type Notification struct {
	ChannelID, Token, ResourceID, State string
}

// ErrUnknownChannel is a notification for a channel meetingd does not
// have, or replaced: Google should stop sending it.
var ErrUnknownChannel = errs.Errorf(errs.NotFound, "unknown channel")

// Notify takes a push notification. It says only that something changed:
// the sync it makes due fetches what.
func (g *Source) Notify(ctx context.Context, n Notification) error {
	var ch channelRow
	err := g.DB.GetContext(ctx, &ch, g.DB.Rebind(`SELECT `+channelColumns+` FROM google_channels WHERE id = ?`), n.ChannelID)
	switch {
	case db.IsNoRows(err) || (err == nil && ch.StoppedAt != nil):
		return ErrUnknownChannel
	case err != nil:
		return fmt.Errorf("google notification: %w", err)
	}
	// The resource id is unknown until events.watch returns; the token
	// is known from the start.
	if !secret.Equal(secret.Hash(n.Token), ch.TokenHash) || (ch.ResourceID != "" && n.ResourceID != ch.ResourceID) {
		g.Log.WarnContext(ctx, "Google notification with a wrong channel token or resource", "channel", n.ChannelID)
		return errs.Errorf(errs.Forbidden, "wrong channel token or resource")
	}
	switch n.State {
	case "sync":
		// The channel works. The sync that opened it lists after watching,
		// so there is nothing to catch up on.
	case "exists", "not_exists":
		err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
			return jobs.Rearm(ctx, tx, g.Clock.Now(), jobs.Bulk, JobSync, calSubject(ch.CalendarID))
		})
		if err != nil {
			return fmt.Errorf("google notification: %w", err)
		}
		g.wake()
	default:
		g.Log.InfoContext(ctx, "Google notification with an unknown state ignored", "state", n.State)
	}
	return nil
}

// --- Polling ---

// pollInterval is how often a calendar is polled: often without push,
// rarely as a safety net with it.
func (g *Source) pollInterval() time.Duration {
	if g.cfg.WebhookURL == "" {
		return g.cfg.Poll
	}
	return g.cfg.SafetyPoll
}

// Poll jobs alternate between two variants: a handler that re-armed its
// own row would lose its lease (and the worker would say so).
func pollKind(variant string) string { return JobPoll + "@" + variant }

// armPoll starts a calendar's polling unless it is already armed.
func (g *Source) armPoll(ctx context.Context, q db.Queryer, now time.Time, calID int64) error {
	armed, err := jobs.Armed(ctx, q, calSubject(calID), pollKind("a"), pollKind("b"))
	if err != nil || armed {
		return err
	}
	return jobs.ScheduleIn(ctx, q, now, jobs.Bulk, pollKind("a"), calSubject(calID), now.Add(g.pollInterval()))
}

func (g *Source) runPoll(ctx context.Context, j jobs.Job) error {
	calID, err := jobs.SubjectID(j.Subject, "gcal:")
	if err != nil {
		return err
	}
	cal, err := g.calendarRow(ctx, g.DB, calID)
	if err != nil || !g.watched(cal) {
		return err // no longer configured: polling ends
	}
	// The next poll first: a failing one is retried on its own, and
	// polling goes on whatever happens to it.
	next := "b"
	if j.Variant() == "b" {
		next = "a"
	}
	now := g.Clock.Now()
	if err := jobs.ScheduleIn(ctx, g.DB, now, jobs.Bulk, pollKind(next), j.Subject, now.Add(g.pollInterval())); err != nil {
		return err
	}
	if err := g.SyncCalendar(ctx, calID); err != nil {
		return err
	}
	if cal, err = g.calendarRow(ctx, g.DB, calID); err != nil {
		return err
	}
	if cal.StoppedAt == nil && (cal.ExpandedAt == nil || now.Sub(*cal.ExpandedAt) >= 24*time.Hour) {
		return g.expandAll(ctx, cal)
	}
	return nil
}
