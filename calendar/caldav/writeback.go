package caldav

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/meetings"
)

// The write-back runs as a job per series, after a sync saw the series
// change, and daily for any whose object lacks the link. It patches the
// object meetingd stored and PUTs it with If-Match: the etag it read. A
// 412 means the user edited the event meanwhile: the object is read again,
// applied to meetings like any change, and patched again. It never writes
// over an edit it has not read. What it wrote is stored with the etag the
// server gives it, so the next sync recognises its own write and does not
// fetch it.

func (s *Source) runWriteBack(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "caldavseries:")
	if err != nil {
		return err
	}
	ref, err := meetings.SeriesByID(ctx, s.DB, id)
	if errs.Code(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := s.row(ctx, s.DB, ref.CalendarID)
	if errs.Code(err) == errs.NotFound || (err == nil && r.StoppedAt != nil) {
		return nil // not a CalDAV calendar, or removed
	}
	if err != nil {
		return err
	}
	return s.WriteBack(ctx, r.CalendarID, ref)
}

// WriteBack writes the notes link and the attendance policy into the
// master event of series ref, unless it has them. A server that fails
// fails the job, which retries later.
func (s *Source) WriteBack(ctx context.Context, calID int64, ref meetings.SeriesRef) error {
	unlock, err := s.hold(ctx, calID)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.row(ctx, s.DB, calID)
	if err != nil {
		return err
	}
	obj, ok, err := objectOf(ctx, s.DB, calID, ref.UID)
	if err != nil || !ok {
		return err
	}
	if ref.DocURL == "" {
		return nil
	}
	pass, err := s.unseal(calID, r.Password)
	if err != nil {
		return err
	}
	d, err := s.dav(r.Collection, r.Username, pass)
	if err != nil {
		return err
	}
	policy := s.Meetings.Cfg.OptionalByDefault
	for range writeTries {
		cal, err := ical.NewDecoder(strings.NewReader(obj.Data)).Decode()
		if err != nil {
			s.Log.WarnContext(ctx, "CalDAV object cannot be patched; notes link not written", "calendar", r.Name,
				"object", obj.Href, "err", err)
			return nil
		}
		made, changed := patchMaster(cal, ref.DocURL, policy, lineSet(obj.MadeOptional))
		if !changed {
			if made != obj.MadeOptional {
				return s.setMade(ctx, calID, obj.Href, made)
			}
			return nil
		}
		if obj.ETag == "" {
			// Without an etag the write could not be conditional.
			s.Log.WarnContext(ctx, "CalDAV server gave no etag; notes link not written", "calendar", r.Name, "object", obj.Href)
			return nil
		}
		etag, err := d.put(ctx, obj.Href, obj.ETag, cal)
		if errors.Is(err, errConflict) {
			s.Log.InfoContext(ctx, "CalDAV event changed while meetingd wrote to it; reading it again", "calendar", r.Name,
				"object", obj.Href)
			fresh, found, err := d.get(ctx, obj.Href)
			if err != nil || !found {
				return err // deleted: the next sync removes it
			}
			if err := s.applyObject(ctx, r, fresh, obj.MadeOptional); err != nil {
				return err
			}
			obj = storedObject{Href: fresh.href, UID: fresh.uid, ETag: fresh.etag, Data: fresh.data, MadeOptional: obj.MadeOptional}
			continue
		}
		if err != nil {
			return err
		}
		var b strings.Builder
		if err := ical.NewEncoder(&b).Encode(cal); err != nil {
			return fmt.Errorf("encode object %s: %w", obj.Href, err)
		}
		written := object{href: obj.Href, etag: etag, data: b.String()}
		if etag == "" {
			// The server changed what it stored (RFC 4791 5.3.4): read it.
			fresh, found, err := d.get(ctx, obj.Href)
			if err != nil || !found {
				return err
			}
			written = fresh
		}
		if err := s.applyObject(ctx, r, written, made); err != nil {
			return err
		}
		s.Log.InfoContext(ctx, "CalDAV event has its notes link", "calendar", r.Name, "series", ref.UID, "object", obj.Href)
		return nil
	}
	return fmt.Errorf("CalDAV event %s changed %d times while meetingd wrote to it; trying again later", obj.Href, writeTries)
}

// applyObject hands one object to meetings and stores it, with who
// meetingd made optional in it.
func (s *Source) applyObject(ctx context.Context, r row, o object, made string) error {
	p, err := s.Feeds.Begin(ctx, r.CalendarID, false)
	if err != nil {
		return err
	}
	var oldUID []string
	err = s.DB.SelectContext(ctx, &oldUID, s.DB.Rebind(`SELECT uid FROM caldav_objects WHERE calendar_id = ? AND href = ?`),
		r.CalendarID, o.href)
	if err != nil {
		return fmt.Errorf("object %s: %w", o.href, err)
	}
	oldUID = append(oldUID, "")
	if err := s.add(ctx, p, r, &o, oldUID[0]); err != nil {
		return err
	}
	if _, err := p.Finish(ctx); err != nil {
		return err
	}
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		if err := storeObject(ctx, tx, r.CalendarID, o, s.Clock.Now()); err != nil {
			return err
		}
		return setMade(ctx, tx, r.CalendarID, o.href, made)
	})
}

func (s *Source) setMade(ctx context.Context, calID int64, href, made string) error {
	return setMade(ctx, s.DB, calID, href, made)
}

func setMade(ctx context.Context, q db.Queryer, calID int64, href, made string) error {
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE caldav_objects SET made_optional = ? WHERE calendar_id = ? AND href = ?`),
		made, calID, href)
	if err != nil {
		return fmt.Errorf("record attendance policy of %s: %w", href, err)
	}
	return nil
}

// armMissingWriteBacks makes the write-back due of every meeting whose
// stored object lacks its notes link (a write-back that failed for good,
// a series that became a meeting without changing).
func (s *Source) armMissingWriteBacks(ctx context.Context, tx *sqlx.Tx, calID int64, objs []object, now time.Time) error {
	for _, o := range objs {
		if o.uid == "" {
			continue
		}
		ref, err := meetings.SeriesByUID(ctx, tx, calID, o.uid)
		if errs.Code(err) == errs.NotFound {
			continue
		}
		if err != nil {
			return err
		}
		if ref.DocURL != "" && !strings.Contains(o.data, ref.DocURL) {
			if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobWriteBack, seriesSubject(ref.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}
