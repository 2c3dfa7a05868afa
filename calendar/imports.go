package calendar

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar/ics"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/meetings"
)

// An ICS file is imported in short transactions, so that other writers
// never wait long behind it, and its new meetings are shown only when it
// is complete (meetings' stages). Through the API it runs in the
// background, as a job, and reports its progress; a crash resumes it, and
// syncing again is idempotent.

// JobImport runs an import; its subject is "import:<id>".
const JobImport = "calendar.import"

// Import states.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// ImportStatus is an import as its progress is reported.
type ImportStatus struct {
	ID         int64      `db:"id" json:"id"`
	Calendar   string     `db:"calendar" json:"calendar"`
	State      string     `db:"state" json:"state"`
	Total      int        `db:"total" json:"total"` // events in the file, once read
	Done       int        `db:"done" json:"done"`   // events stored so far
	Created    int        `db:"created" json:"created"`
	Updated    int        `db:"updated" json:"updated"`
	Cancelled  int        `db:"cancelled" json:"cancelled"`
	Skipped    int        `db:"skipped" json:"skipped"`
	Error      string     `db:"error" json:"error,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	FinishedAt *time.Time `db:"finished_at" json:"finished_at,omitempty"`
}

const importColumns = `id, calendar, state, total, done, created, updated, cancelled, skipped, error, created_at, finished_at`

// checkAtOnce is the size up to which a file is read before its import is
// accepted, so a malformed one is refused at once; a larger one reports
// what is wrong with it in its status.
const checkAtOnce = 1 << 20

// StartImport stores an ICS file and queues its import into the calendar
// named name, returning its status to poll.
func (l *Local) StartImport(ctx context.Context, data []byte, name string, by int64) (ImportStatus, error) {
	if name == "" {
		return ImportStatus{}, errs.Errorf(errs.Invalid, "name is required: it names the imported calendar")
	}
	if len(data) <= checkAtOnce {
		now := l.Clock.Now()
		if _, err := ics.Parse(bytes.NewReader(data), ics.Options{From: now.Add(-l.Past), To: now.Add(l.Horizon)}); err != nil {
			return ImportStatus{}, errs.Errorf(errs.Invalid, "%s: %v", name, err)
		}
	}
	var creator *int64
	if by != 0 {
		creator = &by
	}
	var st ImportStatus
	err := db.InTx(ctx, l.DB, func(tx *sqlx.Tx) error {
		now := l.Clock.Now()
		err := tx.GetContext(ctx, &st, tx.Rebind(`INSERT INTO imports (calendar, data, created_by, created_at) VALUES (?, ?, ?, ?)
			RETURNING `+importColumns), name, data, creator, now)
		if err != nil {
			return fmt.Errorf("store import: %w", err)
		}
		return jobs.ScheduleIn(ctx, tx, now, jobs.Bulk, JobImport, jobs.Subject("import:", st.ID), now)
	})
	if err != nil {
		return ImportStatus{}, err
	}
	if l.Wake != nil {
		l.Wake.Wake()
	}
	return st, nil
}

// ImportStatusOf reports an import's progress.
func (l *Local) ImportStatusOf(ctx context.Context, id int64) (ImportStatus, error) {
	var st ImportStatus
	err := l.DB.GetContext(ctx, &st, l.DB.Rebind(`SELECT `+importColumns+` FROM imports WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return ImportStatus{}, errs.Errorf(errs.NotFound, "no import %d", id)
	}
	if err != nil {
		return ImportStatus{}, fmt.Errorf("import %d: %w", id, err)
	}
	return st, nil
}

func (l *Local) runImport(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "import:")
	if err != nil {
		return err
	}
	var row struct {
		Calendar string `db:"calendar"`
		Data     []byte `db:"data"`
		State    string `db:"state"`
	}
	err = l.DB.GetContext(ctx, &row, l.DB.Rebind(`SELECT calendar, data, state FROM imports WHERE id = ?`), id)
	if db.IsNoRows(err) || (err == nil && (row.State == ImportDone || row.State == ImportFailed)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("import %d: %w", id, err)
	}
	_, err = l.importFile(ctx, id, bytes.NewReader(row.Data), row.Calendar, nil)
	if errs.Code(err) == errs.Invalid {
		return l.finishImport(ctx, id, meetings.SyncResult{}, err)
	}
	return err
}

// Progress learns, as an import goes, how many of its events are stored.
type Progress func(done, total int)

// Import reads an ICS file into the calendar named name, as `meetingd
// import` does, reporting its progress. A malformed file is refused with
// the line and reason, and stores nothing.
func (l *Local) Import(ctx context.Context, r io.Reader, name string, progress Progress) (meetings.SyncResult, error) {
	var id int64
	err := db.InTx(ctx, l.DB, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO imports (calendar, data, state, created_at) VALUES (?, '', ?, ?)
			RETURNING id`), name, ImportRunning, l.Clock.Now())
	})
	if err != nil {
		return meetings.SyncResult{}, fmt.Errorf("record import: %w", err)
	}
	res, err := l.importFile(ctx, id, r, name, progress)
	if err != nil {
		if ferr := l.finishImport(ctx, id, res, err); ferr != nil {
			l.Log.WarnContext(ctx, "failed import not recorded", "import", id, "err", ferr)
		}
	}
	return res, err
}

// importFile parses and stores the file of import id, then shows what it
// created; the file is parsed whole first, so a malformed one stores
// nothing.
func (l *Local) importFile(ctx context.Context, id int64, r io.Reader, name string, progress Progress) (meetings.SyncResult, error) {
	now := l.Clock.Now()
	from, to := now.Add(-l.Past), now.Add(l.Horizon)
	cal, err := ics.Parse(r, ics.Options{From: from, To: to})
	if err != nil {
		return meetings.SyncResult{}, errs.Errorf(errs.Invalid, "%s: %v", name, err)
	}
	batch := make([]meetings.SeriesEvents, 0, len(cal.Series))
	total := 0
	for _, s := range cal.Series {
		batch = append(batch, meetings.SeriesEvents{UID: s.UID, Events: s.Events, From: from, To: to})
		total += len(s.Events)
	}
	cal = nil // the parsed file is no longer needed: only the events are
	if err := l.setImport(ctx, id, `state = ?, total = ?, done = 0`, ImportRunning, total); err != nil {
		return meetings.SyncResult{}, err
	}
	calID, err := Ensure(ctx, l.DB, KindICS, name, now)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	done := 0
	res, err := l.Meetings.SyncStaged(ctx, calID, id, batch, func(events int) {
		done += events
		if progress != nil {
			progress(done, total)
		}
		if err := l.setImport(ctx, id, `done = ?`, done); err != nil {
			l.Log.WarnContext(ctx, "import progress not recorded", "import", id, "err", err)
		}
	})
	if err != nil {
		return res, err
	}
	if err := l.Meetings.Reveal(ctx, id); err != nil {
		return res, err
	}
	return res, l.finishImport(ctx, id, res, nil)
}

func (l *Local) setImport(ctx context.Context, id int64, set string, args ...any) error {
	_, err := l.DB.ExecContext(ctx, l.DB.Rebind(`UPDATE imports SET `+set+` WHERE id = ?`), append(args, id)...)
	if err != nil {
		return fmt.Errorf("import %d: %w", id, err)
	}
	return nil
}

// finishImport records how an import ended, and lets its file go.
func (l *Local) finishImport(ctx context.Context, id int64, res meetings.SyncResult, failure error) error {
	state, msg := ImportDone, ""
	if failure != nil {
		state, msg = ImportFailed, errs.Message(failure)
	}
	return l.setImport(ctx, id, `state = ?, error = ?, created = ?, updated = ?, cancelled = ?, skipped = ?, finished_at = ?, data = ''`,
		state, msg, res.Created, res.Updated, res.Cancelled, res.Skipped, l.Clock.Now())
}
