package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/calendar"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// Sync: a full listing first, then incremental ones from the sync token of
// the last page. A sync token cannot be combined with timeMin, timeMax, q,
// orderBy, updatedMin or extended-property filters, so no filter is ever
// sent: what is too old to matter is dropped here. A 410 means the token
// expired: it is cleared and the calendar listed in full again; series and
// occurrences are keyed by (calendar, event id, original start), so
// everything meetingd holds about them stays.

// maxResults is the largest page Google serves.
const maxResults = 2500

// maxPages bounds one listing, against a server that never ends it.
const maxPages = 10_000

func (g *Source) runSync(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "gcal:")
	if err != nil {
		return err
	}
	return g.SyncCalendar(ctx, id)
}

// SyncCalendar brings one calendar up to date with Google. A calendar
// whose credentials were refused is stopped (and operators told) rather
// than failing: the others carry on.
func (g *Source) SyncCalendar(ctx context.Context, calID int64) error {
	unlock, err := g.hold(ctx, calSubject(calID))
	if err != nil {
		return err
	}
	defer unlock()
	cal, err := g.calendarRow(ctx, g.DB, calID)
	if err != nil || cal.StoppedAt != nil || !g.watched(cal) {
		return err
	}
	cl, err := g.client(ctx, cal)
	if errors.Is(err, errNotConnected) {
		g.Log.InfoContext(ctx, "Google calendar waits for its owner's consent", "calendar", cal.GoogleID)
		return nil
	}
	if err != nil {
		return err
	}
	return g.stopIfRevoked(ctx, cal, g.syncWith(ctx, cal, cl))
}

func (g *Source) syncWith(ctx context.Context, cal calRow, cl *googleClient) error {
	// Watch first: a change made between the listing and the watch would
	// otherwise wait for the next poll.
	if err := g.ensureChannels(ctx, cal, cl); err != nil {
		return err
	}
	// The Drive changes are read from before the first doc is made, so no
	// edit of one is missed.
	if _, err := g.drivePageToken(ctx, cal, cl); err != nil {
		return err
	}
	full := cal.SyncToken == ""
	page, err := g.list(ctx, cl, cal.GoogleID, cal.SyncToken)
	if !full && isStatus(err, http.StatusGone) {
		g.Log.WarnContext(ctx, "Google sync token expired; listing the calendar in full", "calendar", cal.GoogleID)
		if err := calendar.SetSyncToken(ctx, g.DB, cal.ID, ""); err != nil {
			return err
		}
		full = true
		page, err = g.list(ctx, cl, cal.GoogleID, "")
	}
	if err != nil {
		return err
	}
	return g.apply(ctx, cal, page, full)
}

// listing is everything one listing returned.
type listing struct {
	items     []*gcalendar.Event
	syncToken string
	timeZone  string
}

// list follows every page (short and empty ones included) to the last,
// which alone carries the next sync token.
func (g *Source) list(ctx context.Context, cl *googleClient, googleID, syncToken string) (listing, error) {
	var out listing
	pageToken := ""
	for range maxPages {
		call := cl.cal.Events.List(googleID).MaxResults(maxResults).SingleEvents(false).Context(ctx)
		if syncToken != "" {
			call.SyncToken(syncToken)
		}
		if pageToken != "" {
			call.PageToken(pageToken)
		}
		var page *gcalendar.Events
		err := g.call(ctx, cl, "events.list", func() (err error) {
			page, err = call.Do()
			return err
		})
		if err != nil {
			return listing{}, err
		}
		out.items = append(out.items, page.Items...)
		if page.TimeZone != "" {
			out.timeZone = page.TimeZone
		}
		if page.NextPageToken == "" {
			if page.NextSyncToken == "" {
				return listing{}, fmt.Errorf("google events.list of %s: last page has no nextSyncToken", googleID)
			}
			out.syncToken = page.NextSyncToken
			return out, nil
		}
		pageToken = page.NextPageToken
	}
	return listing{}, fmt.Errorf("google events.list of %s: more than %d pages", googleID, maxPages)
}

// storedMeta is what is kept about an event, without its body.
type storedMeta struct {
	ID     string `db:"event_id"`
	Series string `db:"series_uid"`
	Status string `db:"status"`
	ETag   string `db:"etag"`
}

// apply stores what a listing says. The order makes a crash harmless:
// meetings first, then the events and the sync token, so a listing
// interrupted in between is fetched and applied again.
func (g *Source) apply(ctx context.Context, cal calRow, l listing, full bool) error {
	now := g.Clock.Now()
	tz := l.timeZone
	if tz == "" {
		tz = cal.TimeZone
	}
	changed, err := g.changes(ctx, cal, l.items, full, now)
	if err != nil {
		return err
	}
	uids := map[string]bool{}
	for _, e := range changed {
		uids[seriesUIDOf(e)] = true
	}
	batch, err := g.batchFor(ctx, cal.ID, uids, changed, tz, now)
	if err != nil {
		return err
	}
	res, err := g.syncBatch(ctx, cal.ID, batch)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for _, e := range changed {
			if err := storeEvent(ctx, tx, cal.ID, e, now); err != nil {
				return err
			}
		}
		if err := g.recordSync(ctx, tx, cal.ID, l.syncToken, tz, full, now); err != nil {
			return err
		}
		return g.armDocs(ctx, tx, now, cal.ID, uids)
	})
	if err != nil {
		return err
	}
	g.wake()
	g.Log.InfoContext(ctx, "Google calendar synced", "calendar", cal.GoogleID, "full", full, "listed", len(l.items),
		"changed", len(changed), "created", res.Created, "updated", res.Updated, "cancelled", res.Cancelled, "skipped", res.Skipped)
	return nil
}

// changes picks the events that differ from what is stored. An event with
// the stored etag is unchanged (the echo of meetingd's own patch, or most
// of a full relisting); one never seen that ended before the window is
// history, and one another watched calendar organizes is that calendar's. A full listing also reports, as cancelled, stored events it no
// longer has: deleted while the sync token was expired.
func (g *Source) changes(ctx context.Context, cal calRow, items []*gcalendar.Event, full bool, now time.Time) (map[string]*gcalendar.Event, error) {
	calID := cal.ID
	ids := make([]string, 0, len(items))
	for _, e := range items {
		ids = append(ids, e.Id)
	}
	stored, err := storedMetas(ctx, g.DB, calID, ids, full)
	if err != nil {
		return nil, err
	}
	changed := map[string]*gcalendar.Event{}
	listed := make(map[string]bool, len(items))
	for _, e := range items {
		if e.Id == "" {
			continue
		}
		listed[e.Id] = true
		s, known := stored[e.Id]
		switch {
		case known && e.Etag != "" && s.ETag == e.Etag:
		case !known && (!g.relevant(e, now) || g.organizedElsewhere(e, cal.GoogleID)):
		case known && e.Status == "cancelled":
			if changed[e.Id], err = g.tombstone(ctx, calID, e.Id, e.Etag); err != nil {
				return nil, err
			}
		default:
			changed[e.Id] = e
		}
	}
	if full {
		for id, s := range stored {
			if !listed[id] && s.Status != "cancelled" {
				if changed[id], err = g.tombstone(ctx, calID, id, ""); err != nil {
					return nil, err
				}
			}
		}
	}
	return changed, nil
}

// tombstone is a stored event marked cancelled. Google reports a deleted
// event with its identity only; what we knew (that it recurred, which
// instance an exception replaced) is what says which occurrences to cancel.
func (g *Source) tombstone(ctx context.Context, calID int64, id, etag string) (*gcalendar.Event, error) {
	e, err := storedEvent(ctx, g.DB, calID, id)
	if err != nil {
		return nil, err
	}
	if e == nil {
		e = &gcalendar.Event{Id: id}
	}
	e.Status, e.Etag = "cancelled", etag
	return e, nil
}

// organizedElsewhere reports whether another watched calendar organizes
// the event: Google puts a meeting in every attendee's calendar, and
// meetingd takes it from its organizer's, or it would be two meetings.
func (g *Source) organizedElsewhere(e *gcalendar.Event, googleID string) bool {
	if e.Organizer == nil || e.Organizer.Self {
		return false
	}
	org := people.NormalizeEmail(e.Organizer.Email)
	if org == people.NormalizeEmail(googleID) {
		return false
	}
	for _, c := range g.cfg.Calendars {
		if people.NormalizeEmail(c.ID) == org {
			return true
		}
	}
	return false
}

// relevant reports whether an event never seen before matters: a recurring
// master, or anything that starts or ends inside the window.
func (g *Source) relevant(e *gcalendar.Event, now time.Time) bool {
	if len(e.Recurrence) > 0 {
		return true
	}
	if e.Status == "cancelled" && e.RecurringEventId == "" {
		return false // deleted before we ever saw it
	}
	from := now.Add(-g.cfg.Past)
	for _, d := range []*gcalendar.EventDateTime{e.OriginalStartTime, e.End} {
		if t, _ := eventTime(d); !t.IsZero() && !t.Before(from) {
			return true
		}
	}
	return false
}

// storedMetas loads the stored events among ids, or all of the calendar's.
func storedMetas(ctx context.Context, q db.Queryer, calID int64, ids []string, all bool) (map[string]storedMeta, error) {
	out := map[string]storedMeta{}
	add := func(query string, args ...any) error {
		var rows []storedMeta
		if err := q.SelectContext(ctx, &rows, q.Rebind(query), args...); err != nil {
			return fmt.Errorf("stored events of calendar %d: %w", calID, err)
		}
		for _, r := range rows {
			out[r.ID] = r
		}
		return nil
	}
	const cols = `SELECT event_id, series_uid, status, etag FROM google_events WHERE calendar_id = ?`
	if all {
		return out, add(cols, calID)
	}
	for start := 0; start < len(ids); start += 500 {
		query, args, err := sqlx.In(cols+` AND event_id IN (?)`, calID, ids[start:min(start+500, len(ids))])
		if err != nil {
			return nil, err
		}
		if err := add(query, args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// batchFor builds each touched series from its stored events overlaid
// with the changed ones.
func (g *Source) batchFor(ctx context.Context, calID int64, uids map[string]bool, changed map[string]*gcalendar.Event,
	tz string, now time.Time) ([]meetings.SeriesEvents, error) {
	bySeries := map[string][]*gcalendar.Event{}
	for _, e := range changed {
		bySeries[seriesUIDOf(e)] = append(bySeries[seriesUIDOf(e)], e)
	}
	keys := make([]string, 0, len(uids))
	for uid := range uids {
		keys = append(keys, uid)
	}
	sort.Strings(keys)
	batch := make([]meetings.SeriesEvents, 0, len(keys))
	for _, uid := range keys {
		evs, err := storedSeries(ctx, g.DB, calID, uid)
		if err != nil {
			return nil, err
		}
		merged := bySeries[uid]
		for _, e := range evs {
			if changed[e.Id] == nil {
				merged = append(merged, e)
			}
		}
		batch = append(batch, g.seriesEvents(uid, merged, tz, now))
	}
	return batch, nil
}

// storedSeries loads every stored event of a series.
func storedSeries(ctx context.Context, q db.Queryer, calID int64, uid string) ([]*gcalendar.Event, error) {
	var raws []string
	err := q.SelectContext(ctx, &raws, q.Rebind(`SELECT data FROM google_events WHERE calendar_id = ? AND series_uid = ?`), calID, uid)
	if err != nil {
		return nil, fmt.Errorf("stored series %s: %w", uid, err)
	}
	out := make([]*gcalendar.Event, 0, len(raws))
	for _, raw := range raws {
		var e gcalendar.Event
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, fmt.Errorf("stored event of series %s: %w", uid, err)
		}
		out = append(out, &e)
	}
	return out, nil
}

// storedEvent loads one stored event, or nil.
func storedEvent(ctx context.Context, q db.Queryer, calID int64, id string) (*gcalendar.Event, error) {
	var raw string
	err := q.GetContext(ctx, &raw, q.Rebind(`SELECT data FROM google_events WHERE calendar_id = ? AND event_id = ?`), calID, id)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stored event %s: %w", id, err)
	}
	var e gcalendar.Event
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return nil, fmt.Errorf("stored event %s: %w", id, err)
	}
	return &e, nil
}

func storeEvent(ctx context.Context, q db.Queryer, calID int64, e *gcalendar.Event, now time.Time) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.Id, err)
	}
	_, err = q.ExecContext(ctx, q.Rebind(`
		INSERT INTO google_events (calendar_id, event_id, series_uid, recurring, status, etag, data, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (calendar_id, event_id) DO UPDATE SET series_uid = excluded.series_uid, recurring = excluded.recurring,
			status = excluded.status, etag = excluded.etag, data = excluded.data, updated_at = excluded.updated_at`),
		calID, e.Id, seriesUIDOf(e), len(e.Recurrence) > 0, e.Status, e.Etag, string(raw), now)
	if err != nil {
		return fmt.Errorf("store event %s: %w", e.Id, err)
	}
	return nil
}

// syncBatch hands the batch to meetings. A series meetings refuses as
// invalid (an event that ends before it starts, an organizer without an
// address) must not hold up the rest, so on such a refusal the series go
// one by one and the invalid ones are logged and skipped. Any other
// error fails the sync: the sync token is not advanced, and the job retries.
func (g *Source) syncBatch(ctx context.Context, calID int64, batch []meetings.SeriesEvents) (meetings.SyncResult, error) {
	if len(batch) == 0 {
		return meetings.SyncResult{}, nil
	}
	res, err := g.Meetings.Sync(ctx, calID, batch)
	if errs.Code(err) != errs.Invalid {
		return res, err
	}
	g.Log.WarnContext(ctx, "Google sync batch refused; syncing series one by one", "calendar", calID, "err", err)
	var total meetings.SyncResult
	for _, se := range batch {
		r, err := g.Meetings.Sync(ctx, calID, []meetings.SeriesEvents{se})
		if errs.Code(err) == errs.Invalid {
			g.Log.WarnContext(ctx, "Google series not synced", "calendar", calID, "series", se.UID, "err", err)
			continue
		}
		if err != nil {
			return total, err
		}
		total.Created += r.Created
		total.Updated += r.Updated
		total.Cancelled += r.Cancelled
		total.Skipped += r.Skipped
	}
	return total, nil
}

func (g *Source) recordSync(ctx context.Context, tx *sqlx.Tx, calID int64, token, tz string, full bool, now time.Time) error {
	if err := calendar.SetSyncToken(ctx, tx, calID, token); err != nil {
		return err
	}
	q := `UPDATE google_calendars SET synced_at = ?, time_zone = ? WHERE calendar_id = ?`
	args := []any{now, tz, calID}
	if full {
		// A full listing expanded every recurring series.
		q = `UPDATE google_calendars SET synced_at = ?, time_zone = ?, full_sync_at = ?, expanded_at = ? WHERE calendar_id = ?`
		args = []any{now, tz, now, now, calID}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("record sync: %w", err)
	}
	return nil
}

// armDocs makes the doc work of the touched series due.
func (g *Source) armDocs(ctx context.Context, tx *sqlx.Tx, now time.Time, calID int64, uids map[string]bool) error {
	for uid := range uids {
		ref, err := meetings.SeriesByUID(ctx, tx, calID, uid)
		if errs.Code(err) == errs.NotFound {
			continue // not a meeting
		}
		if err != nil {
			return err
		}
		if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobDoc, seriesSubject(ref.ID)); err != nil {
			return err
		}
	}
	return nil
}

// expandAll syncs every recurring series again from the stored events, so
// instances that entered the horizon since become occurrences. No Google
// call is made.
func (g *Source) expandAll(ctx context.Context, cal calRow) error {
	now := g.Clock.Now()
	var uids []string
	err := g.DB.SelectContext(ctx, &uids, g.DB.Rebind(`SELECT series_uid FROM google_events
		WHERE calendar_id = ? AND recurring = TRUE AND status <> 'cancelled'`), cal.ID)
	if err != nil {
		return fmt.Errorf("recurring series of calendar %d: %w", cal.ID, err)
	}
	set := map[string]bool{}
	for _, u := range uids {
		set[u] = true
	}
	batch, err := g.batchFor(ctx, cal.ID, set, nil, cal.TimeZone, now)
	if err != nil {
		return err
	}
	res, err := g.syncBatch(ctx, cal.ID, batch)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_calendars SET expanded_at = ? WHERE calendar_id = ?`), now, cal.ID); err != nil {
			return fmt.Errorf("record expansion: %w", err)
		}
		return g.armDocs(ctx, tx, now, cal.ID, set)
	})
	if err != nil {
		return err
	}
	g.wake()
	g.Log.InfoContext(ctx, "Google recurring series expanded", "calendar", cal.GoogleID, "series", len(set), "created", res.Created)
	return nil
}
