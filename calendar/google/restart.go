package google

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar"
	"meetingd/internal/jobs"
)

// Configuration changes between restarts. The intervals are this start's
// (rearmPolls); push turned off stops the old channels at the first sync
// (ensureChannels); and a calendar dropped from the configuration has its
// channels stopped by a job of its own, so Google stops calling for it,
// while its meetings stay as they are: meetingd no longer changes them.

// retireRemoved arms the retirement of each Google calendar with live
// channels that is no longer configured, and ends its polling.
func (g *Source) retireRemoved(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	cals, err := calendar.List(ctx, tx, Kind)
	if err != nil {
		return err
	}
	for _, c := range cals {
		if _, ok := g.calendarConfig(c.Source); ok {
			continue
		}
		subj := calSubject(c.ID)
		if err := jobs.Cancel(ctx, tx, now, subj, pollKind("a"), pollKind("b"), drivePollKind("a"), drivePollKind("b"), JobSync, JobDrive); err != nil {
			return err
		}
		live, err := g.liveChannels(ctx, tx, c.ID, "")
		if err != nil {
			return err
		}
		if len(live) > 0 {
			if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobRetire, subj); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *Source) runRetire(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "gcal:")
	if err != nil {
		return err
	}
	unlock, err := g.hold(ctx, calSubject(id))
	if err != nil {
		return err
	}
	defer unlock()
	cal, err := g.calendarRow(ctx, g.DB, id)
	if err != nil || g.watched(cal) {
		return err // configured again meanwhile: its sync keeps its channels
	}
	live, err := g.liveChannels(ctx, g.DB, id, "")
	if err != nil || len(live) == 0 {
		return err
	}
	cl, err := g.client(ctx, cal)
	var re *revokedError
	if err == nil {
		for _, ch := range live {
			if err = g.stopChannel(ctx, cl, ch); err != nil {
				break
			}
		}
	}
	if errors.As(err, &re) || errors.Is(err, errNotConnected) {
		// No credentials to stop them with: they lapse at their expiry,
		// and their notifications find no calendar to sync.
		g.Log.WarnContext(ctx, "channels of a dropped Google calendar left to lapse", "calendar", cal.GoogleID, "err", err)
		_, err = g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_channels SET stopped_at = ? WHERE calendar_id = ? AND stopped_at IS NULL`),
			g.Clock.Now(), id)
		if err != nil {
			return fmt.Errorf("mark channels of calendar %d stopped: %w", id, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	g.Log.InfoContext(ctx, "Google calendar no longer configured: its push channels stopped", "calendar", cal.GoogleID, "channels", len(live))
	return nil
}
