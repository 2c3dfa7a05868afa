package calendar

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"meetingd/internal/jobs"
)

// JobExtend re-expands the built-in calendar's recurring events once a day,
// so a weekly meeting keeps having occurrences Horizon ahead however long
// the service runs. Its kind carries the day, one row per day.
const JobExtend = "calendar.extend"

// Register installs the daily extension on w and schedules the next one.
func (l *Local) Register(ctx context.Context, w *jobs.Worker) error {
	w.Handle(JobExtend, l.runExtend)
	w.Handle(JobImport, l.runImport)
	return l.scheduleExtend(ctx, l.Clock.Now())
}

func (l *Local) scheduleExtend(ctx context.Context, now time.Time) error {
	next := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	return jobs.ScheduleIn(ctx, l.DB, now, jobs.Bulk, JobExtend+"@"+next.Format("2006-01-02"), "calendar:local", next)
}

func (l *Local) runExtend(ctx context.Context, j jobs.Job) error {
	var rows []string
	err := l.DB.SelectContext(ctx, &rows, `SELECT e.data FROM local_events e JOIN calendars c ON c.id = e.calendar_id
		WHERE c.kind = 'local' AND e.cancelled = FALSE`)
	if err != nil {
		return fmt.Errorf("recurring events: %w", err)
	}
	for _, data := range rows {
		var in EventInput
		if err := json.Unmarshal([]byte(data), &in); err != nil {
			return fmt.Errorf("stored event: %w", err)
		}
		if len(in.Recurrence) == 0 {
			continue
		}
		// Extending, not replacing: past occurrences stay as they are.
		if _, err := l.store(ctx, in, false, false); err != nil {
			return fmt.Errorf("extend %s: %w", in.UID, err)
		}
	}
	return l.scheduleExtend(ctx, l.Clock.Now())
}
