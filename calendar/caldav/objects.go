package caldav

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
)

// The objects as last read (or written), one row each: their etag says
// whether the server's copy changed, their text is what a write-back
// patches and what the daily expansion reads again.

// meta is a stored object without its text.
type meta struct {
	uid, etag string
}

func storedMetas(ctx context.Context, q db.Queryer, calID int64) (map[string]meta, error) {
	var rows []struct {
		Href string `db:"href"`
		UID  string `db:"uid"`
		ETag string `db:"etag"`
	}
	err := q.SelectContext(ctx, &rows, q.Rebind(`SELECT href, uid, etag FROM caldav_objects WHERE calendar_id = ?`), calID)
	if err != nil {
		return nil, fmt.Errorf("objects of calendar %d: %w", calID, err)
	}
	out := make(map[string]meta, len(rows))
	for _, r := range rows {
		out[r.Href] = meta{uid: r.UID, etag: r.ETag}
	}
	return out, nil
}

// storedObject is an object as stored.
type storedObject struct {
	Href         string `db:"href"`
	UID          string `db:"uid"`
	ETag         string `db:"etag"`
	Data         string `db:"data"`
	MadeOptional string `db:"made_optional"`
}

func (o storedObject) object() object {
	return object{href: o.Href, etag: o.ETag, data: o.Data, uid: o.UID}
}

func storedObjects(ctx context.Context, q db.Queryer, calID int64) ([]object, error) {
	var rows []storedObject
	err := q.SelectContext(ctx, &rows, q.Rebind(`SELECT href, uid, etag, data, made_optional FROM caldav_objects
		WHERE calendar_id = ? ORDER BY href`), calID)
	if err != nil {
		return nil, fmt.Errorf("objects of calendar %d: %w", calID, err)
	}
	out := make([]object, len(rows))
	for i, r := range rows {
		out[i] = r.object()
	}
	return out, nil
}

// objectOf is the stored object holding series uid, if any.
func objectOf(ctx context.Context, q db.Queryer, calID int64, uid string) (storedObject, bool, error) {
	var rows []storedObject
	err := q.SelectContext(ctx, &rows, q.Rebind(`SELECT href, uid, etag, data, made_optional FROM caldav_objects
		WHERE calendar_id = ? AND uid = ? ORDER BY href LIMIT 1`), calID, uid)
	if err != nil {
		return storedObject{}, false, fmt.Errorf("object of series %s: %w", uid, err)
	}
	if len(rows) == 0 {
		return storedObject{}, false, nil
	}
	return rows[0], true, nil
}

// storeObject records an object as read; what meetingd made optional in
// it stays recorded.
func storeObject(ctx context.Context, q db.Queryer, calID int64, o object, now time.Time) error {
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO caldav_objects (calendar_id, href, uid, etag, data, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (calendar_id, href) DO UPDATE SET uid = excluded.uid, etag = excluded.etag, data = excluded.data,
			updated_at = excluded.updated_at`), calID, o.href, o.uid, o.etag, o.data, now)
	if err != nil {
		return fmt.Errorf("store object %s: %w", o.href, err)
	}
	return nil
}
