package calendar

import (
	"context"
	"errors"
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
		if _, err := l.check(data, name, l.window(l.Clock.Now())); err != nil {
			return ImportStatus{}, err
		}
	}
	var creator *int64
	if by != 0 {
		creator = &by
	}
	var st ImportStatus
	err := db.InTx(ctx, l.DB, func(tx *sqlx.Tx) error {
		now := l.Clock.Now()
		err := tx.GetContext(ctx, &st, tx.Rebind(`INSERT INTO imports (calendar, created_by, created_at) VALUES (?, ?, ?)
			RETURNING `+importColumns), name, creator, now)
		if err != nil {
			return fmt.Errorf("store import: %w", err)
		}
		for seq, start := 0, 0; start < len(data); seq, start = seq+1, start+filePiece {
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO import_files (import_id, seq, data) VALUES (?, ?, ?)`),
				st.ID, seq, data[start:min(start+filePiece, len(data))])
			if err != nil {
				return fmt.Errorf("store import file: %w", err)
			}
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
		State    string `db:"state"`
	}
	err = l.DB.GetContext(ctx, &row, l.DB.Rebind(`SELECT calendar, state FROM imports WHERE id = ?`), id)
	if db.IsNoRows(err) || (err == nil && (row.State == ImportDone || row.State == ImportFailed)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("import %d: %w", id, err)
	}
	data, err := l.importData(ctx, id)
	if err != nil {
		return err
	}
	_, err = l.importFile(ctx, id, data, row.Calendar, nil)
	if errs.Code(err) == errs.Invalid {
		return l.finishImport(ctx, id, meetings.SyncResult{}, err)
	}
	return err
}

// filePiece is the size of the pieces a file is stored in.
const filePiece = 1 << 20

// importData reads back the file of import id, a piece at a time into one
// buffer of its size.
func (l *Local) importData(ctx context.Context, id int64) ([]byte, error) {
	var size int
	err := l.DB.GetContext(ctx, &size, l.DB.Rebind(`SELECT COALESCE(SUM(length(data)), 0) FROM import_files WHERE import_id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("file of import %d: %w", id, err)
	}
	data := make([]byte, 0, size)
	for seq := 0; len(data) < size; seq++ {
		var piece []byte
		err := l.DB.GetContext(ctx, &piece, l.DB.Rebind(`SELECT data FROM import_files WHERE import_id = ? AND seq = ?`), id, seq)
		if err != nil {
			return nil, fmt.Errorf("file of import %d, piece %d: %w", id, seq, err)
		}
		data = append(data, piece...)
	}
	return data, nil
}

// Progress learns, as an import goes, how many of its events are stored.
type Progress func(done, total int)

// Import reads an ICS file into the calendar named name, as `meetingd
// import` does, reporting its progress. A malformed file is refused with
// the line and reason, and stores nothing.
func (l *Local) Import(ctx context.Context, r io.Reader, name string, progress Progress) (meetings.SyncResult, error) {
	var id int64
	err := db.InTx(ctx, l.DB, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO imports (calendar, state, created_at) VALUES (?, ?, ?)
			RETURNING id`), name, ImportRunning, l.Clock.Now())
	})
	if err != nil {
		return meetings.SyncResult{}, fmt.Errorf("record import: %w", err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return meetings.SyncResult{}, fmt.Errorf("read %s: %w", name, err)
	}
	res, err := l.importFile(ctx, id, data, name, progress)
	if err != nil {
		if ferr := l.finishImport(ctx, id, res, err); ferr != nil {
			l.Log.WarnContext(ctx, "failed import not recorded", "import", id, "err", ferr)
		}
	}
	return res, err
}

// window is the span an import expands recurring series over.
func (l *Local) window(now time.Time) ics.Options {
	return ics.Options{From: now.Add(-l.Past), To: now.Add(l.Horizon)}
}

// check reads the whole file as an import would store it, keeping
// nothing, and counts its events: a file refused here stores nothing.
func (l *Local) check(data []byte, name string, win ics.Options) (events int, err error) {
	err = ics.Scan(data, win, func(s ics.Series) error {
		events += len(s.Events)
		return meetings.Validate([]meetings.SeriesEvents{{UID: s.UID, Events: s.Events}})
	})
	var perr *ics.ParseError
	if errors.As(err, &perr) {
		return 0, errs.Errorf(errs.Invalid, "%s: %v", name, err)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return events, nil
}

// syncEvents is about how many events are handed to the meetings package
// at once: enough for its multi-row writes, few enough that only a small
// part of a large file is ever held decoded.
const syncEvents = 2000

// importFile stores the file of import id, then shows what it created. It
// reads the file twice, a series at a time, so a large file never sits in
// memory decoded: first to check all of it (a malformed file stores
// nothing), then to store it.
func (l *Local) importFile(ctx context.Context, id int64, data []byte, name string, progress Progress) (meetings.SyncResult, error) {
	now := l.Clock.Now()
	win := l.window(now)
	total, err := l.check(data, name, win)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	if err := l.setImport(ctx, id, `state = ?, total = ?, done = 0`, ImportRunning, total); err != nil {
		return meetings.SyncResult{}, err
	}
	calID, err := Ensure(ctx, l.DB, KindICS, name, now)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	var res meetings.SyncResult
	done := 0
	stored := func(events int) {
		done += events
		if progress != nil {
			progress(done, total)
		}
		if err := l.setImport(ctx, id, `done = ?`, done); err != nil {
			l.Log.WarnContext(ctx, "import progress not recorded", "import", id, "err", err)
		}
	}
	var batch []meetings.SeriesEvents
	pending := 0
	flush := func() error {
		part, err := l.Meetings.SyncStaged(ctx, calID, id, batch, stored)
		res.Created, res.Updated, res.Cancelled, res.Skipped = res.Created+part.Created, res.Updated+part.Updated,
			res.Cancelled+part.Cancelled, res.Skipped+part.Skipped
		batch, pending = batch[:0], 0
		return err
	}
	err = ics.Scan(data, win, func(s ics.Series) error {
		batch = append(batch, meetings.SeriesEvents{UID: s.UID, Events: s.Events, From: win.From, To: win.To})
		if pending += len(s.Events); pending >= syncEvents {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
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
	err := db.InTx(ctx, l.DB, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE imports SET state = ?, error = ?, created = ?, updated = ?, cancelled = ?,
			skipped = ?, finished_at = ? WHERE id = ?`),
			state, msg, res.Created, res.Updated, res.Cancelled, res.Skipped, l.Clock.Now(), id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM import_files WHERE import_id = ?`), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish import %d: %w", id, err)
	}
	return nil
}
