package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	gcalendar "google.golang.org/api/calendar/v3"
	"google.golang.org/api/docs/v1"
	"google.golang.org/api/drive/v3"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/meetings"
)

// Notes docs: one Google Doc per series, made once (a copy of the
// operator's template, or a blank doc), attached to the series' master
// event with a link line in its description as a fallback, shared with
// the attendees, and given a dated section per occurrence. The doc and
// meetingd then follow each other (mirror.go): what meetingd changes in an
// occurrence is written into its section, and what people write in the
// doc is read back. The master's and its exceptions' attendees are made
// optional by policy. On a series' first sync that is one copy, one
// batchUpdate (and a read of the headings' ids) and one patch, plus one
// permission per attendee: Drive grants one at a time.
//
// Only the calendar that organizes a meeting writes to it: an attendee's
// copy of an event cannot carry attachments for everyone. Meetings watched
// only from an attendee's calendar keep meetingd's own notes page.

func docURL(id string) string { return "https://docs.google.com/document/d/" + id + "/edit" }

// docRow is a series' Google Doc and what was done to it.
type docRow struct {
	SeriesID     int64  `db:"series_id"`
	DocID        string `db:"doc_id"`
	URL          string `db:"url"`
	Filled       bool   `db:"filled"`
	Shared       string `db:"shared"`
	MadeOptional string `db:"made_optional"`
	Title        string `db:"title"`
	ChangesSeen  int64  `db:"changes_seen"` // edits noticed at Google
	ChangesRead  int64  `db:"changes_read"` // of which read back
}

const docColumns = `series_id, doc_id, url, filled, shared, made_optional, title, changes_seen, changes_read`

// sectionRow is an occurrence's section as recorded.
type sectionRow struct {
	OccurrenceID int64  `db:"occurrence_id"`
	Confirmed    bool   `db:"confirmed"`
	HeadingID    string `db:"heading_id"`
	Mirrored     string `db:"mirrored"`
}

// docState is what the doc work knows about a series.
type docState struct {
	cal        calRow
	seriesID   int64
	uid        string
	title      string
	doc        *docRow
	master     *gcalendar.Event
	exceptions []*gcalendar.Event // the master's stored exceptions, not cancelled
	cancelled  map[string]bool    // ids of the master's cancelled instances
	occs       []meetings.OccurrenceRef
	sections   map[int64]*sectionRow // occurrences with a section (or one being added)
	pending    bool                  // a section was being added when a run stopped
	// live is false for a series deleted at Google: its doc keeps what it
	// has, with its sections marked cancelled, and nothing is shared or
	// attached any more.
	live bool
}

func (st *docState) sectioned(occID int64) bool { return st.sections[occID] != nil }

// occurrence is one of the series' occurrences by id.
func (st *docState) occurrence(id int64) (meetings.OccurrenceRef, bool) {
	for _, o := range st.occs {
		if o.ID == id {
			return o, true
		}
	}
	return meetings.OccurrenceRef{}, false
}

// event is the Google event of an occurrence: its exception if it has
// one, else the master.
func (st *docState) event(o meetings.OccurrenceRef) *gcalendar.Event {
	for _, x := range st.exceptions {
		if t, _ := eventTime(x.OriginalStartTime); !t.IsZero() && t.UTC().Format(time.RFC3339) == o.RecurrenceID {
			return x
		}
	}
	return st.master
}

// optedOut reports whether the series carries the opt-out marker.
func (st *docState) optedOut() bool {
	return strings.Contains(st.master.Description, meetings.OptOutMarker)
}

func (g *Source) runDoc(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "gseries:")
	if err != nil {
		return err
	}
	return g.EnsureDoc(ctx, id)
}

func (g *Source) runSection(ctx context.Context, j jobs.Job) error {
	seriesID, err := g.seriesOf(ctx, j.Subject)
	if err != nil || seriesID == 0 {
		return err
	}
	return g.EnsureDoc(ctx, seriesID)
}

// seriesOf is the series of the occurrence a "goccurrence:<id>" job is about.
func (g *Source) seriesOf(ctx context.Context, subject string) (int64, error) {
	occID, err := jobs.SubjectID(subject, "goccurrence:")
	if err != nil {
		return 0, err
	}
	return meetings.SeriesOf(ctx, g.DB, occID)
}

// occurrenceChanged makes the doc work of a changed occurrence's series
// due, on meetings.EventOccurrenceChanged: the change is mirrored into
// its section.
func (g *Source) occurrenceChanged(ctx context.Context, j jobs.Job) error {
	occID, err := meetings.ChangedOccurrence(j)
	if err != nil {
		return err
	}
	seriesID, err := meetings.SeriesOf(ctx, g.DB, occID)
	if err != nil || seriesID == 0 {
		return err
	}
	var n int
	if err := g.DB.GetContext(ctx, &n, g.DB.Rebind(`SELECT COUNT(*) FROM google_docs WHERE series_id = ?`), seriesID); err != nil {
		return fmt.Errorf("doc of series %d: %w", seriesID, err)
	}
	if n == 0 {
		return nil // not a Google Doc: nothing to mirror
	}
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		return jobs.Rearm(ctx, tx, g.Clock.Now(), jobs.Bulk, JobDoc, seriesSubject(seriesID))
	})
	if err == nil {
		g.wake()
	}
	return err
}

// EnsureDoc brings a series' Google Doc up to date: made, sectioned,
// mirrored both ways, attached, shared. Each step is recorded, so running
// it again costs nothing when nothing changed.
func (g *Source) EnsureDoc(ctx context.Context, seriesID int64) error {
	// One doc per series, however many replicas and runners get here:
	// the state is read, and the doc made, under the series' lock.
	unlock, err := g.hold(ctx, seriesSubject(seriesID))
	if err != nil {
		return err
	}
	defer unlock()
	st, ok, err := g.docState(ctx, seriesID)
	if err != nil || !ok {
		return err
	}
	cl, err := g.client(ctx, st.cal)
	if errors.Is(err, errNotConnected) {
		return nil
	}
	if err != nil {
		return err
	}
	return g.stopIfRevoked(ctx, st.cal, g.docWork(ctx, cl, st))
}

func (g *Source) docWork(ctx context.Context, cl *googleClient, st *docState) error {
	now := g.Clock.Now()
	ahead := st.live && slices.ContainsFunc(st.occs, func(o meetings.OccurrenceRef) bool { return !o.Cancelled && o.EndsAt.After(now) })
	if st.doc == nil {
		if !ahead {
			return nil // nothing ahead to take notes for: meetings already held keep what they have
		}
		var err error
		if st.doc, err = g.createDoc(ctx, cl, st); err != nil {
			return err
		}
	}
	// The doc first, even for a series with nothing ahead: edits made in it
	// after a meeting still reach meetingd, and cancellations are marked.
	if err := g.mirror(ctx, cl, st); err != nil {
		return err
	}
	if err := g.renameDoc(ctx, cl, st); err != nil {
		return err
	}
	if !ahead {
		return nil
	}
	// Attach first, then share: a share Drive refuses must not hold back
	// the attachment, the link or the attendance policy.
	if err := g.patchEvents(ctx, cl, st); err != nil {
		return err
	}
	if err := g.cancelHeldAsync(ctx, cl, st); err != nil {
		return err
	}
	if err := g.share(ctx, cl, st); err != nil {
		return err
	}
	return g.scheduleOccurrenceJobs(ctx, st)
}

// docState loads a series for the doc work; ok is false when there is
// none to do (not a Google series, not organized by its calendar, the
// calendar stopped, the series deleted before it had a doc).
func (g *Source) docState(ctx context.Context, seriesID int64) (*docState, bool, error) {
	st := &docState{seriesID: seriesID, sections: map[int64]*sectionRow{}, cancelled: map[string]bool{}}
	row, err := meetings.SeriesByID(ctx, g.DB, seriesID)
	if errs.Code(err) == errs.NotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	st.uid, st.title = row.UID, row.Title
	if st.cal, err = g.calendarRow(ctx, g.DB, row.CalendarID); err != nil {
		if errs.Code(err) == errs.NotFound {
			return nil, false, nil // another kind of calendar
		}
		return nil, false, err
	}
	if st.cal.StoppedAt != nil || !g.watched(st.cal) {
		return nil, false, nil
	}
	evs, err := storedSeries(ctx, g.DB, st.cal.ID, st.uid)
	if err != nil {
		return nil, false, err
	}
	for _, e := range evs {
		switch {
		case e.Id == st.uid:
			st.master = e
		case e.RecurringEventId == st.uid && e.Status != "cancelled":
			st.exceptions = append(st.exceptions, e)
		case e.RecurringEventId == st.uid:
			st.cancelled[e.Id] = true
		}
	}
	if st.master == nil || !organizedBy(st.master, st.cal.GoogleID) {
		return nil, false, nil
	}
	st.live = st.master.Status != "cancelled"
	var docs []docRow
	err = g.DB.SelectContext(ctx, &docs, g.DB.Rebind(`SELECT `+docColumns+` FROM google_docs WHERE series_id = ?`), seriesID)
	if err != nil {
		return nil, false, fmt.Errorf("doc of series %d: %w", seriesID, err)
	}
	if len(docs) == 1 {
		st.doc = &docs[0]
	}
	if st.doc == nil && !st.live {
		return nil, false, nil
	}
	if st.occs, err = meetings.SeriesOccurrences(ctx, g.DB, seriesID); err != nil {
		return nil, false, err
	}
	var secs []sectionRow
	if len(st.occs) > 0 {
		ids := make([]int64, len(st.occs))
		for i, o := range st.occs {
			ids[i] = o.ID
		}
		query, args, err := sqlx.In(`SELECT occurrence_id, confirmed, heading_id, mirrored FROM google_sections WHERE occurrence_id IN (?)`, ids)
		if err == nil {
			err = g.DB.SelectContext(ctx, &secs, g.DB.Rebind(query), args...)
		}
		if err != nil {
			return nil, false, fmt.Errorf("sections of series %d: %w", seriesID, err)
		}
	}
	for i := range secs {
		st.sections[secs[i].OccurrenceID] = &secs[i]
		st.pending = st.pending || !secs[i].Confirmed
	}
	return st, true, nil
}

// organizedBy reports whether the calendar organizes the event.
func organizedBy(e *gcalendar.Event, googleID string) bool {
	return e.Organizer != nil && (e.Organizer.Self || strings.EqualFold(e.Organizer.Email, googleID))
}

// docTitle is the name of a series' doc: it follows the event's title.
func docTitle(title string) string { return title + " — notes" }

// createDoc copies the template (or makes a blank doc) and records it.
func (g *Source) createDoc(ctx context.Context, cl *googleClient, st *docState) (*docRow, error) {
	name := docTitle(st.title)
	var id, url string
	if g.cfg.TemplateDoc != "" {
		var f *drive.File
		err := g.call(ctx, cl, "files.copy", func() (err error) {
			f, err = cl.drive.Files.Copy(g.cfg.TemplateDoc, &drive.File{Name: name}).
				Fields("id", "webViewLink").Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, err
		}
		id, url = f.Id, f.WebViewLink
	} else {
		var d *docs.Document
		err := g.call(ctx, cl, "documents.create", func() (err error) {
			d, err = cl.docs.Documents.Create(&docs.Document{Title: name}).Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, err
		}
		id = d.DocumentId
	}
	if url == "" {
		url = docURL(id)
	}
	row := &docRow{SeriesID: st.seriesID, DocID: id, URL: url, Filled: g.cfg.TemplateDoc == "", Title: name}
	now := g.Clock.Now()
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_docs (series_id, doc_id, url, filled, title, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), row.SeriesID, row.DocID, row.URL, row.Filled, row.Title, now, now)
		if err != nil {
			return fmt.Errorf("store doc of series %d: %w", st.seriesID, err)
		}
		return meetings.SetNotesDoc(ctx, tx, st.seriesID, Kind, id, url)
	})
	if err != nil {
		return nil, err
	}
	g.Log.InfoContext(ctx, "Google notes doc made", "series", st.uid, "doc", id)
	return row, nil
}

// renameDoc gives the doc the series' title when the event was renamed.
func (g *Source) renameDoc(ctx context.Context, cl *googleClient, st *docState) error {
	want := docTitle(st.title)
	if st.doc.Title == want {
		return nil
	}
	if st.doc.Title != "" { // "": made before titles were recorded; taken as it is
		err := g.call(ctx, cl, "files.update", func() error {
			_, err := cl.drive.Files.Update(st.doc.DocID, &drive.File{Name: want}).Fields("id").Context(ctx).Do()
			return err
		})
		if err != nil {
			return err
		}
		g.Log.InfoContext(ctx, "Google notes doc renamed", "series", st.uid, "doc", st.doc.DocID, "title", want)
	}
	st.doc.Title = want
	_, err := g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_docs SET title = ?, updated_at = ? WHERE series_id = ?`),
		want, g.Clock.Now(), st.seriesID)
	if err != nil {
		return fmt.Errorf("record title of series %d: %w", st.seriesID, err)
	}
	return nil
}

// fillRequests replace the template's placeholders.
func (g *Source) fillRequests(st *docState) []*docs.Request {
	m := st.master
	organizer := ""
	if m.Organizer != nil {
		organizer = m.Organizer.DisplayName
		if organizer == "" {
			organizer = m.Organizer.Email
		}
	}
	var people []string
	for _, a := range m.Attendees {
		if !a.Resource {
			people = append(people, a.Email)
		}
	}
	recurrence := "one-off"
	if len(m.Recurrence) > 0 {
		recurrence = strings.Join(m.Recurrence, "; ")
	}
	var out []*docs.Request
	for _, kv := range [][2]string{{"{{title}}", st.title}, {"{{organizer}}", organizer},
		{"{{attendees}}", strings.Join(people, ", ")}, {"{{recurrence}}", recurrence}} {
		out = append(out, &docs.Request{ReplaceAllText: &docs.ReplaceAllTextRequest{
			ContainsText: &docs.SubstringMatchCriteria{Text: kv[0], MatchCase: true},
			ReplaceText:  kv[1], ForceSendFields: []string{"ReplaceText"}}})
	}
	return out
}

// scheduleOccurrenceJobs arms each future occurrence's section, the
// read-backs of its Pre-read (shortly before each reminder and before the
// deadline, so neither goes out when the doc already holds a pre-read: a
// safety net under Drive's changes), and the read of its Meet conference.
func (g *Source) scheduleOccurrenceJobs(ctx context.Context, st *docState) error {
	now := g.Clock.Now()
	lead := max(g.Meetings.Cfg.Lead, g.Meetings.Cfg.MinLead)
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for _, o := range st.occs {
			if o.Cancelled || !o.EndsAt.After(now) {
				continue
			}
			if err := g.scheduleMeet(ctx, tx, now, st, o); err != nil {
				return err
			}
			if !o.StartsAt.After(now) {
				continue
			}
			subj := occSubject(o.ID)
			if !st.sectioned(o.ID) {
				if err := jobs.ScheduleIn(ctx, tx, now, jobs.Bulk, JobSection, subj, o.StartsAt.Add(-g.cfg.SectionAhead)); err != nil {
					return err
				}
				continue
			}
			if o.PreReadState != meetings.PreReadPending {
				continue
			}
			checks := map[string]time.Time{"deadline": o.StartsAt.Add(-lead)}
			for _, r := range g.Meetings.Cfg.Reminders {
				checks[r.String()] = o.StartsAt.Add(-r)
			}
			for name, at := range checks {
				at = at.Add(-g.cfg.PreReadCheckAhead)
				if !at.After(now) {
					continue
				}
				if err := jobs.ScheduleIn(ctx, tx, now, jobs.Bulk, JobPreRead+"@"+name, subj, at); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// mirrorOf decodes a section's mirrored state; ok is false when none was
// recorded (a section from before meetingd mirrored).
func mirrorOf(row *sectionRow) (mirror, bool) {
	var m mirror
	if row == nil || row.Mirrored == "" || json.Unmarshal([]byte(row.Mirrored), &m) != nil {
		return mirror{Fields: map[string]string{}}, false
	}
	if m.Fields == nil {
		m.Fields = map[string]string{}
	}
	return m, true
}
