package calendar

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/errs"
	"meetingd/meetings"
)

// IsLocal reports whether calendarID is the built-in calendar, whose
// events meetingd itself may change (others belong to their source).
func (l *Local) IsLocal(ctx context.Context, calendarID int64) (bool, error) {
	var n int
	err := l.DB.GetContext(ctx, &n, l.DB.Rebind(`SELECT COUNT(*) FROM calendars WHERE id = ? AND kind = ? AND name = ?`),
		calendarID, KindLocal, LocalName)
	if err != nil {
		return false, fmt.Errorf("calendar %d: %w", calendarID, err)
	}
	return n > 0, nil
}

// CancelOccurrence cancels one occurrence of a built-in event. A recurring
// event gets an EXDATE for the occurrence's original start, as a calendar
// app would write it, so the series keeps every other occurrence and a
// later expansion does not bring this one back; a single event is
// cancelled whole.
func (l *Local) CancelOccurrence(ctx context.Context, uid string, o meetings.Occurrence) (meetings.SyncResult, error) {
	in, err := l.Get(ctx, uid)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	if o.RecurrenceID == "" || len(in.Recurrence) == 0 {
		return l.store(ctx, in, true, false)
	}
	orig, err := time.Parse(time.RFC3339, o.RecurrenceID)
	if err != nil {
		return meetings.SyncResult{}, errs.Errorf(errs.Invalid, "occurrence %d has no original start to exclude", o.ID)
	}
	in.Recurrence = append(in.Recurrence, "EXDATE:"+orig.UTC().Format("20060102T150405Z"))
	return l.store(ctx, in, false, false)
}
