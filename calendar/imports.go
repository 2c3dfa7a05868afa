package calendar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
	file, err := l.importData(ctx, id)
	if err != nil {
		return err
	}
	defer file.release()
	_, err = l.importFile(ctx, id, file.data, row.Calendar, nil)
	if errs.Code(err) == errs.Invalid {
		return l.finishImport(ctx, id, meetings.SyncResult{}, err)
	}
	return err
}

// filePiece is the size of the pieces a file is stored in.
const filePiece = 1 << 20

// importData reads back the file of import id, a piece at a time into one
// buffer of its size (see fileBuffer).
func (l *Local) importData(ctx context.Context, id int64) (fileBuffer, error) {
	var size int
	err := l.DB.GetContext(ctx, &size, l.DB.Rebind(`SELECT COALESCE(SUM(length(data)), 0) FROM import_files WHERE import_id = ?`), id)
	if err != nil {
		return fileBuffer{}, fmt.Errorf("file of import %d: %w", id, err)
	}
	file := newFileBuffer(size)
	for seq := 0; len(file.data) < size; seq++ {
		var piece []byte
		err := l.DB.GetContext(ctx, &piece, l.DB.Rebind(`SELECT data FROM import_files WHERE import_id = ? AND seq = ?`), id, seq)
		if err != nil {
			file.release()
			return fileBuffer{}, fmt.Errorf("file of import %d, piece %d: %w", id, seq, err)
		}
		file.data = append(file.data, piece...) // past size (a piece grew meanwhile), onto the heap
	}
	return file, nil
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
	file, err := readImport(r)
	if err != nil {
		return meetings.SyncResult{}, fmt.Errorf("read %s: %w", name, err)
	}
	defer file.release()
	res, err := l.importFile(ctx, id, file.data, name, progress)
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

// checkParts is how many goroutines check a file, each a part of it:
// nothing can be stored before the whole file is checked, so the check
// is all an import does at first, and it has the machine to itself.
var checkParts = min(runtime.GOMAXPROCS(0), 4)

// An import keeps the events of a small file decoded from its check to
// store them, reading it once; a larger one it reads again as it stores
// it, so that it never sits in memory decoded (decoded, a file takes some
// three times its size). Small is at most keepBytes and keepEvents: a few
// lines of RRULE can make many events.
// (Variables, for a test to make imports read every file again.)
var (
	keepBytes  = 8 << 20
	keepEvents = 20000
)

// checked is what check learned of a file.
type checked struct {
	events int          // in the file, within the window
	kept   []ics.Series // all its series, in file order, if the file is small
}

// check reads the whole file as an import would store it and counts its
// events, keeping them decoded if there are few: a file refused here
// stores nothing.
func (l *Local) check(data []byte, name string, win ics.Options) (checked, error) {
	parts := make([]checkPart, checkParts)
	var kept atomic.Int64 // events kept by all parts; past keepEvents, none are
	if len(data) > keepBytes {
		kept.Store(int64(keepEvents) + 1) // as if past it already: keep none
	}
	err := ics.ScanParallel(data, win, len(parts), func(p int, s ics.Series) error {
		return parts[p].add(s, &kept)
	})
	var perr *ics.ParseError
	if errors.As(err, &perr) {
		return checked{}, errs.Errorf(errs.Invalid, "%s: %v", name, err)
	}
	if err != nil {
		return checked{}, fmt.Errorf("%s: %w", name, err)
	}
	var c checked
	for _, p := range parts {
		c.events += p.events
	}
	if kept.Load() <= int64(keepEvents) {
		for _, p := range parts {
			c.kept = append(c.kept, p.kept...)
		}
	}
	return c, nil
}

// checkPart is what one goroutine of check learned of its part.
type checkPart struct {
	v      *meetings.Validator
	events int
	kept   []ics.Series
}

// add checks s and keeps it while the file has kept few enough events.
func (p *checkPart) add(s ics.Series, kept *atomic.Int64) error {
	if p.v == nil {
		p.v = meetings.NewValidator()
	}
	p.events += len(s.Events)
	if limit := int64(keepEvents); kept.Load() <= limit && kept.Add(int64(len(s.Events))) <= limit {
		p.kept = append(p.kept, s)
	} else {
		p.kept = nil // the file is too large to keep: let them go
	}
	return p.v.Validate([]meetings.SeriesEvents{{UID: s.UID, Events: s.Events}})
}

// syncEvents is about how many events are handed to the meetings package
// at once: enough for its multi-row writes, few enough that only a small
// part of a large file is ever held decoded.
const syncEvents = 2000

// importFile stores the file of import id, then shows what it created. It
// checks all of the file first (a malformed file stores nothing); a large
// one it then reads again, a series at a time, so that it never sits in
// memory decoded.
func (l *Local) importFile(ctx context.Context, id int64, data []byte, name string, progress Progress) (meetings.SyncResult, error) {
	now := l.Clock.Now()
	win := l.window(now)
	chk, err := l.check(data, name, win)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	if err := l.setImport(ctx, id, `state = ?, total = ?, done = 0`, ImportRunning, chk.events); err != nil {
		return meetings.SyncResult{}, err
	}
	calID, err := Ensure(ctx, l.DB, KindICS, name, now)
	if err != nil {
		return meetings.SyncResult{}, err
	}
	w := &importWriter{l: l, id: id, total: chk.events, progress: progress, sync: l.Meetings.Staged(calID, id)}
	if chk.kept != nil {
		err = batches(win, each(chk.kept), func(b []meetings.SeriesEvents) error { return w.store(ctx, b) })
	} else {
		err = storeAhead(ctx, data, win, w)
	}
	if err != nil {
		return w.res, err
	}
	if err := l.Meetings.Reveal(ctx, id); err != nil {
		return w.res, err
	}
	return w.res, l.finishImport(ctx, id, w.res, nil)
}

// batches reads series with scan and hands them to fn in batches of about
// syncEvents events, whole series each. A batch is fn's only until fn
// returns.
func batches(win ics.Options, scan func(func(ics.Series) error) error, fn func([]meetings.SeriesEvents) error) error {
	var batch []meetings.SeriesEvents
	pending := 0
	err := scan(func(s ics.Series) error {
		batch = append(batch, meetings.SeriesEvents{UID: s.UID, Events: s.Events, From: win.From, To: win.To})
		if pending += len(s.Events); pending < syncEvents {
			return nil
		}
		err := fn(batch)
		batch, pending = batch[:0], 0
		return err
	})
	if err == nil && len(batch) > 0 {
		err = fn(batch)
	}
	return err
}

// each hands fn the series kept, as ics.Scan would hand them over.
func each(kept []ics.Series) func(fn func(ics.Series) error) error {
	return func(fn func(ics.Series) error) error {
		for _, s := range kept {
			if err := fn(s); err != nil {
				return err
			}
		}
		return nil
	}
}

// storeAhead reads the file again and stores it, reading on another
// goroutine a batch ahead of the one being written: decoding the next
// batch costs a fraction of writing this one, and takes the other CPU.
func storeAhead(ctx context.Context, data []byte, win ics.Options, w *importWriter) error {
	r := readAhead(data, win)
	// However storing ends, in a panic too, the reader is done with data
	// before the caller lets the file go.
	defer r.finish()
	for b := range r.ahead {
		if err := w.store(ctx, b); err != nil {
			return err
		}
	}
	out := r.finish()
	if out.panicked {
		panic(out.panic) // in the import's goroutine, as when it read the file itself
	}
	return out.err
}

// batchReader reads a file into batches on a goroutine of its own.
type batchReader struct {
	ahead chan []meetings.SeriesEvents // the batches read, closed at the end
	stop  chan struct{}                // closed when no more are wanted
	done  chan readOutcome
	once  sync.Once
	out   readOutcome
}

// readOutcome is how a batchReader ended.
type readOutcome struct {
	err      error
	panicked bool
	panic    any
}

// readAhead starts reading data.
func readAhead(data []byte, win ics.Options) *batchReader {
	r := &batchReader{ahead: make(chan []meetings.SeriesEvents, 1), stop: make(chan struct{}), done: make(chan readOutcome, 1)}
	go r.read(data, win)
	return r
}

func (r *batchReader) read(data []byte, win ics.Options) {
	defer close(r.ahead)
	defer func() {
		if p := recover(); p != nil {
			r.done <- readOutcome{panicked: true, panic: p}
		}
	}()
	err := batches(win, func(fn func(ics.Series) error) error { return ics.Scan(data, win, fn) },
		func(b []meetings.SeriesEvents) error {
			select {
			case r.ahead <- slices.Clone(b): // batches reuses b
				return nil
			case <-r.stop:
				return errStopped
			}
		})
	r.done <- readOutcome{err: err}
}

// finish stops the reader, waits for it to end, and says how it did.
func (r *batchReader) finish() readOutcome {
	r.once.Do(func() {
		close(r.stop)
		for range r.ahead {
		}
		r.out = <-r.done
	})
	return r.out
}

// errStopped ends a reader whose batches are no longer wanted.
var errStopped = errors.New("import stopped")

// importWriter stores an import's batches and reports its progress.
type importWriter struct {
	l        *Local
	id       int64
	total    int
	done     int
	progress Progress
	sync     *meetings.StagedSync
	res      meetings.SyncResult
}

func (w *importWriter) store(ctx context.Context, batch []meetings.SeriesEvents) error {
	part, err := w.sync.Sync(ctx, batch, func(events int) { w.stored(ctx, events) })
	w.res.Created, w.res.Updated, w.res.Cancelled, w.res.Skipped = w.res.Created+part.Created, w.res.Updated+part.Updated,
		w.res.Cancelled+part.Cancelled, w.res.Skipped+part.Skipped
	return err
}

// stored records that events more are stored.
func (w *importWriter) stored(ctx context.Context, events int) {
	w.done += events
	if w.progress != nil {
		w.progress(w.done, w.total)
	}
	if err := w.l.setImport(ctx, w.id, `done = ?`, w.done); err != nil {
		w.l.Log.WarnContext(ctx, "import progress not recorded", "import", w.id, "err", err)
	}
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
