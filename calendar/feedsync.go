package calendar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"meetingd/calendar/ics"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/meetings"
)

// A polled calendar says what it holds again and again, mostly unchanged.
// Feeds applies it the way a re-import does (moved events move their
// steps, removed ones cancel their occurrences, nothing is duplicated), but
// hands meetings only the series that changed: each series is kept as a
// digest of its events in the window, and one whose digest is the same is
// left alone. A poll of an unchanged calendar then writes nothing.
//
// A calendar may be read whole (an ICS body, a CalDAV full listing: the
// series it no longer lists are gone) or in part (CalDAV's changes since a
// sync token: removals are told). Occurrences a calendar stops listing are
// cancelled only if they have not started: feeds trim their past (Outlook
// publishes a few months back), and meetings already held keep their
// record.

// Feeds applies what polled calendars say to meetings.
type Feeds struct {
	DB       *db.DB
	Clock    clock.Clock
	Meetings *meetings.Service
	Log      *slog.Logger
	// Past and Horizon bound the expansion of recurring series around now.
	Past, Horizon time.Duration
}

// NewFeeds returns Feeds with the built-in calendar's window.
func NewFeeds(database *db.DB, c clock.Clock, m *meetings.Service, log *slog.Logger) *Feeds {
	return &Feeds{DB: database, Clock: c, Meetings: m, Log: log, Past: 30 * 24 * time.Hour, Horizon: 180 * 24 * time.Hour}
}

// Window is the span series are expanded over at now.
func (f *Feeds) Window(now time.Time) ics.Options {
	return ics.Options{From: now.Add(-f.Past), To: now.Add(f.Horizon)}
}

// FeedResult is what a pass did.
type FeedResult struct {
	meetings.SyncResult
	Series  int      `json:"series"`  // series the calendar described
	Changed []string `json:"-"`       // UIDs of the series handed to meetings (removed ones too)
	Invalid int      `json:"invalid"` // series meetings refused (an impossible address): logged, left as they were
}

// FeedPass is one reading of a calendar being applied.
type FeedPass struct {
	f      *Feeds
	calID  int64
	now    time.Time
	win    ics.Options
	full   bool
	stored map[string]string // digest by UID, as of the last pass
	seen   map[string]bool

	batch   []meetings.SeriesEvents
	digests map[string]string // of the batch's series, "" for removed ones
	events  int
	res     FeedResult
}

// Batch bounds: about as many events as an import hands meetings at once.
const (
	passEvents = 2000
	passSeries = 500
)

// Begin starts applying calendar calID. With full, the pass is told every
// series the calendar holds, and Finish removes the others.
func (f *Feeds) Begin(ctx context.Context, calID int64, full bool) (*FeedPass, error) {
	now := f.Clock.Now()
	p := &FeedPass{f: f, calID: calID, now: now, win: f.Window(now), full: full, stored: map[string]string{},
		seen: map[string]bool{}, digests: map[string]string{}}
	var rows []struct {
		UID    string `db:"uid"`
		Digest string `db:"digest"`
	}
	err := f.DB.SelectContext(ctx, &rows, f.DB.Rebind(`SELECT uid, digest FROM feed_series WHERE calendar_id = ?`), calID)
	if err != nil {
		return nil, fmt.Errorf("series of calendar %d: %w", calID, err)
	}
	for _, r := range rows {
		p.stored[r.UID] = r.Digest
	}
	return p, nil
}

// Window is the span this pass expands series over.
func (p *FeedPass) Window() ics.Options { return p.win }

// Add applies what the calendar says of one series, if it changed.
func (p *FeedPass) Add(ctx context.Context, s ics.Series) error {
	if p.seen[s.UID] {
		return nil // ics gives each UID once; a CalDAV server might not
	}
	p.seen[s.UID] = true
	p.res.Series++
	d := digest(s.Events)
	if p.stored[s.UID] == d {
		return nil
	}
	p.batch = append(p.batch, meetings.SeriesEvents{UID: s.UID, Events: s.Events, From: p.now, To: p.win.To})
	p.digests[s.UID] = d
	p.events += len(s.Events)
	return p.maybeFlush(ctx)
}

// Remove cancels a series the calendar no longer has.
func (p *FeedPass) Remove(ctx context.Context, uid string) error {
	if _, known := p.stored[uid]; !known || p.seen[uid] {
		return nil
	}
	p.seen[uid] = true
	p.batch = append(p.batch, meetings.SeriesEvents{UID: uid, From: p.now, To: p.win.To})
	p.digests[uid] = ""
	return p.maybeFlush(ctx)
}

// Finish applies what is left; a full pass first removes what it was not
// told of.
func (p *FeedPass) Finish(ctx context.Context) (FeedResult, error) {
	if p.full {
		gone := make([]string, 0)
		for uid := range p.stored {
			if !p.seen[uid] {
				gone = append(gone, uid)
			}
		}
		sort.Strings(gone)
		for _, uid := range gone {
			if err := p.Remove(ctx, uid); err != nil {
				return p.res, err
			}
		}
	}
	if err := p.flush(ctx); err != nil {
		return p.res, err
	}
	return p.res, nil
}

func (p *FeedPass) maybeFlush(ctx context.Context) error {
	if p.events < passEvents && len(p.batch) < passSeries {
		return nil
	}
	return p.flush(ctx)
}

// flush hands the batch to meetings, then records the digests: a crash in
// between syncs those series again, which changes nothing.
func (p *FeedPass) flush(ctx context.Context) error {
	if len(p.batch) == 0 {
		return nil
	}
	if err := p.sync(ctx); err != nil {
		return err
	}
	var keep [][2]string
	var drop []string
	for _, se := range p.batch {
		if d := p.digests[se.UID]; d != "" {
			keep = append(keep, [2]string{se.UID, d})
		} else {
			drop = append(drop, se.UID)
		}
		p.res.Changed = append(p.res.Changed, se.UID)
	}
	if err := storeDigests(ctx, p.f.DB, p.calID, keep, drop); err != nil {
		return err
	}
	p.batch, p.digests, p.events = p.batch[:0], map[string]string{}, 0
	return nil
}

// sync hands the batch to meetings. A series meetings refuses as invalid
// (an organizer without an address) must not hold up the rest: on such a
// refusal the series go one by one, and the invalid ones are logged and
// left as meetings has them. Their digest is still recorded, so the same
// refusal is not logged every poll; a change to them is tried again.
func (p *FeedPass) sync(ctx context.Context) error {
	m := p.f.Meetings
	res, err := m.Sync(ctx, p.calID, p.batch)
	if errs.Code(err) != errs.Invalid {
		p.add(res)
		return err
	}
	for _, se := range p.batch {
		r, err := m.Sync(ctx, p.calID, []meetings.SeriesEvents{se})
		if errs.Code(err) == errs.Invalid {
			p.f.Log.WarnContext(ctx, "calendar series refused; the rest is applied", "calendar", p.calID, "series", se.UID,
				"err", errs.Message(err))
			p.res.Invalid++
			continue
		}
		if err != nil {
			return err
		}
		p.add(r)
	}
	return nil
}

func (p *FeedPass) add(r meetings.SyncResult) {
	p.res.Created += r.Created
	p.res.Updated += r.Updated
	p.res.Cancelled += r.Cancelled
	p.res.Skipped += r.Skipped
}

// digest identifies a series' events: the same events in the window give
// the same digest.
func digest(evs []meetings.Event) string {
	h := sha256.New()
	h.Write([]byte("v1\n"))
	enc := json.NewEncoder(h)
	for _, ev := range evs {
		ev.Start, ev.End, ev.RecurrenceID = ev.Start.UTC(), ev.End.UTC(), ev.RecurrenceID.UTC()
		enc.Encode(ev) // a struct of plain fields and times: cannot fail
	}
	return hex.EncodeToString(h.Sum(nil))
}

// storeDigests records keep's digests and forgets drop, a hundred rows to
// a statement.
func storeDigests(ctx context.Context, q db.Queryer, calID int64, keep [][2]string, drop []string) error {
	for start := 0; start < len(keep); start += 100 {
		part := keep[start:min(start+100, len(keep))]
		args := make([]any, 0, 3*len(part))
		for _, k := range part {
			args = append(args, calID, k[0], k[1])
		}
		_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO feed_series (calendar_id, uid, digest) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(part)), ", ")+`
			ON CONFLICT (calendar_id, uid) DO UPDATE SET digest = excluded.digest`), args...)
		if err != nil {
			return fmt.Errorf("record series of calendar %d: %w", calID, err)
		}
	}
	for start := 0; start < len(drop); start += 100 {
		part := drop[start:min(start+100, len(drop))]
		args := []any{calID}
		for _, uid := range part {
			args = append(args, uid)
		}
		_, err := q.ExecContext(ctx, q.Rebind(`DELETE FROM feed_series WHERE calendar_id = ? AND uid IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+`)`), args...)
		if err != nil {
			return fmt.Errorf("forget series of calendar %d: %w", calID, err)
		}
	}
	return nil
}
