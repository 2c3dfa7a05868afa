package caldav

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar"
	"meetingd/calendar/ics"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/meetings"
)

// A sync asks what changed and fetches only that. With a sync token it is
// one sync-collection REPORT (nothing in it when nothing changed), then a
// calendar-multiget of the objects whose etag is not the one stored (an
// object meetingd wrote itself comes back with the etag it stored, and is
// not fetched). Without sync tokens it is one PROPFIND of the collection's
// getctag, and, when that changed, a listing of every object's etag. A
// token the server no longer knows means a full listing; objects not in it
// are gone.
//
// What is fetched is applied to meetings first, then stored with the new
// token, so a sync cut short in between is fetched and applied again,
// which changes nothing.

// Outcome is what one sync did.
type Outcome struct {
	Unchanged bool   // the server said nothing changed
	Failed    string // why the server failed, if it did
	Fetched   int    // objects read
	Result    calendar.FeedResult
	Next      time.Time // when the periodic poll should next run
}

// Sync brings CalDAV calendar id up to date with its server. A server that
// fails is recorded against the calendar, which is polled again later;
// only meetingd's own failures (its database) are errors.
func (s *Source) Sync(ctx context.Context, id int64) (Outcome, error) {
	unlock, err := s.hold(ctx, id)
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	r, err := s.row(ctx, s.DB, id)
	if errs.Code(err) == errs.NotFound || (err == nil && r.StoppedAt != nil) {
		return Outcome{}, nil // removed
	}
	if err != nil {
		return Outcome{}, err
	}
	now := s.Clock.Now()
	out, err := s.syncWith(ctx, r, now)
	var se *serverError
	if errors.As(err, &se) {
		return s.failed(ctx, r, now, se)
	}
	if err != nil {
		return out, err
	}
	if err := s.Health.Succeeded(ctx, s.DB, id, now); err != nil {
		return out, err
	}
	out.Next = now.Add(r.every())
	if r.ExpandedAt == nil || now.Sub(*r.ExpandedAt) >= expandEvery {
		if err := s.expand(ctx, r, now); err != nil {
			return out, err
		}
	}
	if !out.Unchanged {
		res := out.Result
		s.Log.InfoContext(ctx, "CalDAV calendar synced", "calendar", r.Name, "fetched", out.Fetched, "changed", len(res.Changed),
			"created", res.Created, "updated", res.Updated, "cancelled", res.Cancelled, "skipped", res.Skipped, "invalid", res.Invalid)
	}
	return out, nil
}

func (s *Source) syncWith(ctx context.Context, r row, now time.Time) (Outcome, error) {
	pass, err := s.unseal(r.CalendarID, r.Password)
	if err != nil {
		// Not the server's fault, but the calendar's all the same: it is
		// reported as one that fails, with what to fix.
		msg := err.Error()
		if errs.Code(err) != errs.Internal {
			msg = errs.Message(err)
		}
		return Outcome{}, &serverError{msg: msg}
	}
	d, err := s.dav(r.Collection, r.Username, pass)
	if err != nil {
		return Outcome{}, &serverError{msg: err.Error()}
	}
	if r.SyncMode != "ctag" {
		full := r.SyncToken == ""
		ch, err := d.syncCollection(ctx, r.SyncToken)
		if errors.Is(err, errInvalidToken) {
			s.Log.WarnContext(ctx, "CalDAV sync token expired; listing the calendar in full", "calendar", r.Name)
			full = true
			ch, err = d.syncCollection(ctx, "")
		}
		switch {
		case errors.Is(err, errNoSyncReport):
			s.Log.InfoContext(ctx, "CalDAV server has no sync tokens; comparing ctag and etags", "calendar", r.Name)
			if _, err := s.DB.ExecContext(ctx, s.DB.Rebind(`UPDATE caldav_calendars SET sync_mode = 'ctag' WHERE calendar_id = ?`),
				r.CalendarID); err != nil {
				return Outcome{}, fmt.Errorf("record sync mode of calendar %d: %w", r.CalendarID, err)
			}
			r.SyncMode = "ctag"
		case err != nil:
			return Outcome{}, err
		default:
			if !full && len(ch.members) == 0 && len(ch.removed) == 0 {
				return Outcome{Unchanged: true}, calendar.SetSyncToken(ctx, s.DB, r.CalendarID, ch.token)
			}
			return s.apply(ctx, r, d, ch, full, now, func(tx *sqlx.Tx) error {
				return calendar.SetSyncToken(ctx, tx, r.CalendarID, ch.token)
			})
		}
	}
	ctag, err := d.ctag(ctx)
	if err != nil {
		return Outcome{}, err
	}
	if ctag != "" && ctag == r.CTag {
		return Outcome{Unchanged: true}, nil
	}
	ch, err := d.list(ctx)
	if err != nil {
		return Outcome{}, err
	}
	return s.apply(ctx, r, d, ch, true, now, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE caldav_calendars SET ctag = ? WHERE calendar_id = ?`), ctag, r.CalendarID)
		return err
	})
}

// apply fetches what changed, hands it to meetings, and stores it with
// what marks the point reached (a sync token, a ctag).
func (s *Source) apply(ctx context.Context, r row, d *dav, ch changes, full bool, now time.Time, mark func(*sqlx.Tx) error) (Outcome, error) {
	stored, err := storedMetas(ctx, s.DB, r.CalendarID)
	if err != nil {
		return Outcome{}, err
	}
	var fetch []string
	listed := make(map[string]bool, len(ch.members))
	for _, m := range ch.members {
		listed[m.href] = true
		if st, ok := stored[m.href]; !ok || m.etag == "" || st.etag != m.etag {
			fetch = append(fetch, m.href)
		}
	}
	gone := map[string]bool{}
	for _, href := range ch.removed {
		if _, ok := stored[href]; ok {
			gone[href] = true
		}
	}
	if full {
		for href := range stored {
			if !listed[href] {
				gone[href] = true
			}
		}
	}
	objs, unread, err := d.multiget(ctx, fetch)
	if err != nil {
		return Outcome{}, err
	}
	for _, href := range unread {
		s.Log.WarnContext(ctx, "CalDAV object not readable; left as it was", "calendar", r.Name, "object", href)
	}
	p, err := s.Feeds.Begin(ctx, r.CalendarID, false)
	if err != nil {
		return Outcome{}, err
	}
	for i := range objs {
		if err := s.add(ctx, p, r, &objs[i], stored[objs[i].href].uid); err != nil {
			return Outcome{}, err
		}
	}
	hrefs := make([]string, 0, len(gone))
	for href := range gone {
		hrefs = append(hrefs, href)
	}
	sort.Strings(hrefs)
	for _, href := range hrefs {
		if err := p.Remove(ctx, stored[href].uid); err != nil {
			return Outcome{}, err
		}
	}
	res, err := p.Finish(ctx)
	if err != nil {
		return Outcome{}, err
	}
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		for _, o := range objs {
			if err := storeObject(ctx, tx, r.CalendarID, o, now); err != nil {
				return err
			}
		}
		for _, href := range hrefs {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM caldav_objects WHERE calendar_id = ? AND href = ?`),
				r.CalendarID, href); err != nil {
				return fmt.Errorf("forget object %s: %w", href, err)
			}
		}
		if err := mark(tx); err != nil {
			return fmt.Errorf("record sync of calendar %d: %w", r.CalendarID, err)
		}
		return s.armWriteBacks(ctx, tx, r.CalendarID, res.Changed, now)
	})
	if err != nil {
		return Outcome{}, err
	}
	s.wake()
	return Outcome{Fetched: len(objs), Result: res}, nil
}

// add hands one object's series to the pass. The object's UID is noted on
// it; an object whose UID changed removes the old series.
func (s *Source) add(ctx context.Context, p *calendar.FeedPass, r row, o *object, oldUID string) error {
	series, err := parseObject(o.data, p.Window())
	if err != nil {
		// Kept with its etag, so it is not fetched again until it changes.
		s.Log.WarnContext(ctx, "CalDAV object cannot be read; left out", "calendar", r.Name, "object", o.href, "err", err)
	}
	if len(series) > 0 {
		o.uid = series[0].UID
	}
	if oldUID != "" && oldUID != o.uid {
		if err := p.Remove(ctx, oldUID); err != nil {
			return err
		}
	}
	for _, se := range series {
		if err := p.Add(ctx, se); err != nil {
			return err
		}
	}
	return nil
}

// parseObject reads a calendar object's series within the window.
func parseObject(data string, win ics.Options) ([]ics.Series, error) {
	cal, err := ics.Parse(strings.NewReader(data), win)
	if err != nil {
		return nil, err
	}
	return cal.Series, nil
}

// armWriteBacks makes the write-back of each changed series that is a
// meeting due.
func (s *Source) armWriteBacks(ctx context.Context, tx *sqlx.Tx, calID int64, uids []string, now time.Time) error {
	for _, uid := range uids {
		ref, err := meetings.SeriesByUID(ctx, tx, calID, uid)
		if errs.Code(err) == errs.NotFound {
			continue // not a meeting
		}
		if err != nil {
			return err
		}
		if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobWriteBack, seriesSubject(ref.ID)); err != nil {
			return err
		}
	}
	return nil
}

// expand syncs every stored object again, so recurring series' instances
// that entered the horizon since become occurrences. No request is made;
// the series whose instances did not change are left alone.
func (s *Source) expand(ctx context.Context, r row, now time.Time) error {
	objs, err := storedObjects(ctx, s.DB, r.CalendarID)
	if err != nil {
		return err
	}
	p, err := s.Feeds.Begin(ctx, r.CalendarID, false)
	if err != nil {
		return err
	}
	for i := range objs {
		if err := s.add(ctx, p, r, &objs[i], objs[i].uid); err != nil {
			return err
		}
	}
	res, err := p.Finish(ctx)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE caldav_calendars SET expanded_at = ? WHERE calendar_id = ?`), now, r.CalendarID)
		if err != nil {
			return fmt.Errorf("record expansion of calendar %d: %w", r.CalendarID, err)
		}
		if err := s.armWriteBacks(ctx, tx, r.CalendarID, res.Changed, now); err != nil {
			return err
		}
		return s.armMissingWriteBacks(ctx, tx, r.CalendarID, objs, now)
	})
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

// failed records a failed sync and puts the next poll off.
func (s *Source) failed(ctx context.Context, r row, now time.Time, se *serverError) (Outcome, error) {
	cal, err := calendar.ByID(ctx, s.DB, r.CalendarID)
	if err != nil {
		return Outcome{}, err
	}
	failures, err := s.Health.Failed(ctx, cal, now, se.msg)
	if err != nil {
		return Outcome{}, err
	}
	next := calendar.NextPoll(now, r.every(), failures, se.retryAfter)
	s.Log.WarnContext(ctx, "CalDAV sync failed", "calendar", r.Name, "failures", failures, "next", next, "err", se.msg)
	return Outcome{Failed: se.msg, Next: next}, nil
}
