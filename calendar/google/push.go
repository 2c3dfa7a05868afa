package google

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	gcalendar "google.golang.org/api/calendar/v3"
	"google.golang.org/api/drive/v3"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/secret"
)

// Push: each calendar is watched through two channels that POST a
// bodiless notification to the webhook when something changes: one on its
// events (events.watch), which makes an incremental sync due, and one on
// its owner's Drive changes (changes.watch), which makes reading them due,
// so an edit in a notes doc is seen at once. Channels expire, so each is
// renewed before it does by watching again, then stopping the old one. A
// poll on a long interval is the safety net, and the only way when there
// is no public URL for Google to call.

// What a channel watches.
const (
	resourceEvents = "events"
	resourceDrive  = "drive"
)

// channelRow is a push channel as stored.
type channelRow struct {
	ID         string     `db:"id"`
	CalendarID int64      `db:"calendar_id"`
	Resource   string     `db:"resource"`
	ResourceID string     `db:"resource_id"`
	TokenHash  string     `db:"token_hash"`
	ExpiresAt  time.Time  `db:"expires_at"`
	StoppedAt  *time.Time `db:"stopped_at"`
}

const channelColumns = `id, calendar_id, resource, resource_id, token_hash, expires_at, stopped_at`

// liveChannels are a calendar's channels not stopped, of resource ("" any).
func (g *Source) liveChannels(ctx context.Context, q db.Queryer, calID int64, resource string) ([]channelRow, error) {
	query, args := `SELECT `+channelColumns+` FROM google_channels WHERE calendar_id = ? AND stopped_at IS NULL`, []any{calID}
	if resource != "" {
		query += ` AND resource = ?`
		args = append(args, resource)
	}
	var out []channelRow
	if err := q.SelectContext(ctx, &out, q.Rebind(query+` ORDER BY created_at, id`), args...); err != nil {
		return nil, fmt.Errorf("channels of calendar %d: %w", calID, err)
	}
	return out, nil
}

// ensureChannels opens the calendar's channels unless they are live; with
// push off, it stops those a configuration with push left behind.
func (g *Source) ensureChannels(ctx context.Context, cal calRow, cl *googleClient) error {
	if g.cfg.WebhookURL == "" {
		return g.stopChannels(ctx, cl, cal.ID)
	}
	live, err := g.liveChannels(ctx, g.DB, cal.ID, "")
	if err != nil {
		return err
	}
	now := g.Clock.Now()
	has := map[string]bool{}
	for _, ch := range live {
		has[ch.Resource] = has[ch.Resource] || (ch.ResourceID != "" && ch.ExpiresAt.After(now))
	}
	for _, r := range []string{resourceEvents, resourceDrive} {
		if !has[r] {
			if _, err := g.watch(ctx, cal, cl, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// stopChannels stops every live channel of a calendar.
func (g *Source) stopChannels(ctx context.Context, cl *googleClient, calID int64) error {
	live, err := g.liveChannels(ctx, g.DB, calID, "")
	if err != nil {
		return err
	}
	for _, ch := range live {
		if err := g.stopChannel(ctx, cl, ch); err != nil {
			return err
		}
		g.Log.InfoContext(ctx, "Google push channel stopped: push is off", "calendar", calID, "channel", ch.ID)
	}
	return nil
}

// watch opens a channel on resource and schedules its renewal. The
// channel is stored before Google is asked for it: Google's first message
// ("sync") may arrive before the watch returns.
func (g *Source) watch(ctx context.Context, cal calRow, cl *googleClient, resource string) (channelRow, error) {
	var pageToken string
	if resource == resourceDrive {
		var err error
		if pageToken, err = g.drivePageToken(ctx, cal, cl); err != nil {
			return channelRow{}, err
		}
	}
	id, token := secret.Hex(16), secret.Hex(32)
	now := g.Clock.Now()
	row := channelRow{ID: id, CalendarID: cal.ID, Resource: resource, TokenHash: secret.Hash(token), ExpiresAt: now.Add(g.cfg.ChannelTTL)}
	_, err := g.DB.ExecContext(ctx, g.DB.Rebind(`INSERT INTO google_channels (id, calendar_id, resource, resource_id, token_hash,
		expires_at, stopped_at, created_at) VALUES (?, ?, ?, '', ?, ?, NULL, ?)`), row.ID, row.CalendarID, resource, row.TokenHash, row.ExpiresAt, now)
	if err != nil {
		return channelRow{}, fmt.Errorf("store channel: %w", err)
	}
	ttl := map[string]string{"ttl": strconv.FormatInt(int64(g.cfg.ChannelTTL/time.Second), 10)}
	var resourceID string
	var expiration int64
	if resource == resourceDrive {
		req := &drive.Channel{Id: id, Type: "web_hook", Address: g.cfg.WebhookURL, Token: token, Params: ttl}
		err = g.call(ctx, cl, "changes.watch", func() error {
			ch, err := cl.drive.Changes.Watch(pageToken, req).RestrictToMyDrive(true).Context(ctx).Do()
			if err == nil {
				resourceID, expiration = ch.ResourceId, ch.Expiration
			}
			return err
		})
	} else {
		req := &gcalendar.Channel{Id: id, Type: "web_hook", Address: g.cfg.WebhookURL, Token: token, Params: ttl}
		err = g.call(ctx, cl, "events.watch", func() error {
			ch, err := cl.cal.Events.Watch(cal.GoogleID, req).Context(ctx).Do()
			if err == nil {
				resourceID, expiration = ch.ResourceId, ch.Expiration
			}
			return err
		})
	}
	if err != nil {
		g.DB.ExecContext(ctx, g.DB.Rebind(`DELETE FROM google_channels WHERE id = ?`), id)
		return channelRow{}, err
	}
	row.ResourceID = resourceID
	if expiration != 0 {
		row.ExpiresAt = time.UnixMilli(expiration).UTC()
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
	g.Log.InfoContext(ctx, "Google push channel opened", "calendar", cal.GoogleID, "resource", resource, "channel", id, "expires", row.ExpiresAt)
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
	if err != nil || cal.StoppedAt != nil {
		return err // the channel lapses by itself
	}
	cl, err := g.client(ctx, cal)
	if err != nil {
		return err
	}
	if g.cfg.WebhookURL == "" || !g.watched(cal) {
		// Push turned off, or the calendar dropped: stop it rather than
		// let Google call for days.
		return g.stopIfRevoked(ctx, cal, g.stopChannel(ctx, cl, old))
	}
	return g.stopIfRevoked(ctx, cal, g.renew(ctx, cal, cl, old))
}

// renew replaces a channel: the new one first, so no change goes unheard.
func (g *Source) renew(ctx context.Context, cal calRow, cl *googleClient, old channelRow) error {
	if _, err := g.watch(ctx, cal, cl, old.Resource); err != nil {
		return err
	}
	return g.stopChannel(ctx, cl, old)
}

// stopChannel stops a channel at Google and marks it stopped here.
func (g *Source) stopChannel(ctx context.Context, cl *googleClient, ch channelRow) error {
	var err error
	if ch.Resource == resourceDrive {
		err = g.call(ctx, cl, "drive channels.stop", func() error {
			return cl.drive.Channels.Stop(&drive.Channel{Id: ch.ID, ResourceId: ch.ResourceID}).Context(ctx).Do()
		})
	} else {
		err = g.call(ctx, cl, "channels.stop", func() error {
			return cl.cal.Channels.Stop(&gcalendar.Channel{Id: ch.ID, ResourceId: ch.ResourceID}).Context(ctx).Do()
		})
	}
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
// the sync (or the read of Drive changes) it makes due fetches what.
func (g *Source) Notify(ctx context.Context, n Notification) error {
	var ch channelRow
	err := g.DB.GetContext(ctx, &ch, g.DB.Rebind(`SELECT `+channelColumns+` FROM google_channels WHERE id = ?`), n.ChannelID)
	switch {
	case db.IsNoRows(err) || (err == nil && ch.StoppedAt != nil):
		return ErrUnknownChannel
	case err != nil:
		return fmt.Errorf("google notification: %w", err)
	}
	// The resource id is unknown until the watch returns; the token is
	// known from the start.
	if !secret.Equal(secret.Hash(n.Token), ch.TokenHash) || (ch.ResourceID != "" && n.ResourceID != ch.ResourceID) {
		g.Log.WarnContext(ctx, "Google notification with a wrong channel token or resource", "channel", n.ChannelID)
		return errs.Errorf(errs.Forbidden, "wrong channel token or resource")
	}
	if n.State == "sync" {
		// The channel works. The sync that opened it reads after watching,
		// so there is nothing to catch up on.
		return nil
	}
	kind := JobSync
	switch {
	case ch.Resource == resourceDrive && n.State == "change":
		kind = JobDrive
	case ch.Resource == resourceEvents && (n.State == "exists" || n.State == "not_exists"):
	default:
		g.Log.InfoContext(ctx, "Google notification with an unknown state ignored", "state", n.State, "resource", ch.Resource)
		return nil
	}
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		return jobs.Rearm(ctx, tx, g.Clock.Now(), jobs.Bulk, kind, calSubject(ch.CalendarID))
	})
	if err != nil {
		return fmt.Errorf("google notification: %w", err)
	}
	g.wake()
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

// drivePollInterval is how often a calendar owner's Drive changes are
// read: every DocPoll without push, so a doc edit is seen within it.
func (g *Source) drivePollInterval() time.Duration {
	if g.cfg.WebhookURL == "" {
		return g.cfg.DocPoll
	}
	return g.cfg.SafetyPoll
}

// Poll jobs alternate between two variants: a handler that re-armed its
// own row would lose its lease (and the worker would say so).
func pollKind(variant string) string { return JobPoll + "@" + variant }

// drivePollKind is pollKind of the Drive changes poll.
func drivePollKind(variant string) string { return JobDrivePoll + "@" + variant }

// armPoll starts a calendar's polls, each unless it is already armed.
func (g *Source) armPoll(ctx context.Context, q db.Queryer, now time.Time, calID int64) error {
	for _, p := range []struct {
		kind  func(string) string
		every time.Duration
	}{{pollKind, g.pollInterval()}, {drivePollKind, g.drivePollInterval()}} {
		armed, err := jobs.Armed(ctx, q, calSubject(calID), p.kind("a"), p.kind("b"))
		if err != nil {
			return err
		}
		if !armed {
			if err := jobs.ScheduleIn(ctx, q, now, jobs.Bulk, p.kind("a"), calSubject(calID), now.Add(p.every)); err != nil {
				return err
			}
		}
	}
	return nil
}

// rearmPolls starts a calendar's two polls afresh, at this configuration's
// intervals: one armed by a previous start keeps its old interval (a 6-hour
// safety poll after push was turned off), so it is replaced. A run already
// claimed stays and schedules the other variant, which this then moves:
// still one poll of each kind.
func (g *Source) rearmPolls(ctx context.Context, q db.Queryer, now time.Time, calID int64) error {
	subj := calSubject(calID)
	if err := jobs.Cancel(ctx, q, now, subj, pollKind("a"), pollKind("b"), drivePollKind("a"), drivePollKind("b")); err != nil {
		return err
	}
	if err := jobs.ScheduleIn(ctx, q, now, jobs.Bulk, pollKind("a"), subj, now.Add(g.pollInterval())); err != nil {
		return err
	}
	return jobs.ScheduleIn(ctx, q, now, jobs.Bulk, drivePollKind("a"), subj, now.Add(g.drivePollInterval()))
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
	now := g.Clock.Now()
	if err := jobs.ScheduleIn(ctx, g.DB, now, jobs.Bulk, pollKind(otherVariant(j)), j.Subject, now.Add(g.pollInterval())); err != nil {
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

func otherVariant(j jobs.Job) string {
	if j.Variant() == "b" {
		return "a"
	}
	return "b"
}
