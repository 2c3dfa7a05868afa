package google

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
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
// operator's template, or a blank doc), shared with the attendees,
// attached to the series' master event with a link line in its
// description as a fallback, and given a dated section per occurrence.
// The master's attendees are made optional by policy in the same patch.
// On a series' first sync that is one copy, one batchUpdate and one patch
// (plus one permission per attendee: Drive grants one at a time); an
// occurrence later costs its section's batchUpdate and nothing more.
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
}

// docState is what the doc work knows about a series.
type docState struct {
	cal       calRow
	seriesID  int64
	uid       string
	title     string
	doc       *docRow
	master    *gcalendar.Event
	occs      []meetings.OccurrenceRef
	sectioned map[int64]bool // occurrences with a section (or one being added)
	pending   bool           // a section was being added when a run stopped
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

// EnsureDoc brings a series' Google Doc up to date: made, filled,
// sectioned, shared, attached. Each step is recorded, so running it again
// costs nothing when nothing changed.
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
	if !slices.ContainsFunc(st.occs, func(o meetings.OccurrenceRef) bool { return !o.Cancelled && o.EndsAt.After(now) }) {
		return nil // nothing ahead to take notes for: meetings already held keep what they have
	}
	if st.doc == nil {
		var err error
		if st.doc, err = g.createDoc(ctx, cl, st); err != nil {
			return err
		}
	}
	if err := g.writeSections(ctx, cl, st); err != nil {
		return err
	}
	if err := g.share(ctx, cl, st); err != nil {
		return err
	}
	if err := g.patchMaster(ctx, cl, st); err != nil {
		return err
	}
	return g.scheduleOccurrenceJobs(ctx, st)
}

// docState loads a series for the doc work; ok is false when there is
// none to do (not a Google series, not organized by its calendar, the
// calendar stopped, the series deleted).
func (g *Source) docState(ctx context.Context, seriesID int64) (*docState, bool, error) {
	st := &docState{seriesID: seriesID, sectioned: map[int64]bool{}}
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
	if st.master, err = storedEvent(ctx, g.DB, st.cal.ID, st.uid); err != nil {
		return nil, false, err
	}
	if st.master == nil || st.master.Status == "cancelled" || !organizedBy(st.master, st.cal.GoogleID) {
		return nil, false, nil
	}
	var docs []docRow
	err = g.DB.SelectContext(ctx, &docs, g.DB.Rebind(`SELECT series_id, doc_id, url, filled, shared, made_optional
		FROM google_docs WHERE series_id = ?`), seriesID)
	if err != nil {
		return nil, false, fmt.Errorf("doc of series %d: %w", seriesID, err)
	}
	if len(docs) == 1 {
		st.doc = &docs[0]
	}
	if st.occs, err = meetings.SeriesOccurrences(ctx, g.DB, seriesID); err != nil {
		return nil, false, err
	}
	var secs []struct {
		ID        int64 `db:"occurrence_id"`
		Confirmed bool  `db:"confirmed"`
	}
	if len(st.occs) > 0 {
		ids := make([]int64, len(st.occs))
		for i, o := range st.occs {
			ids[i] = o.ID
		}
		query, args, err := sqlx.In(`SELECT occurrence_id, confirmed FROM google_sections WHERE occurrence_id IN (?)`, ids)
		if err == nil {
			err = g.DB.SelectContext(ctx, &secs, g.DB.Rebind(query), args...)
		}
		if err != nil {
			return nil, false, fmt.Errorf("sections of series %d: %w", seriesID, err)
		}
	}
	for _, s := range secs {
		st.sectioned[s.ID] = true
		st.pending = st.pending || !s.Confirmed
	}
	return st, true, nil
}

// organizedBy reports whether the calendar organizes the event.
func organizedBy(e *gcalendar.Event, googleID string) bool {
	return e.Organizer != nil && (e.Organizer.Self || strings.EqualFold(e.Organizer.Email, googleID))
}

// createDoc copies the template (or makes a blank doc) and records it.
func (g *Source) createDoc(ctx context.Context, cl *googleClient, st *docState) (*docRow, error) {
	name := st.title + " — notes"
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
	row := &docRow{SeriesID: st.seriesID, DocID: id, URL: url, Filled: g.cfg.TemplateDoc == ""}
	now := g.Clock.Now()
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_docs (series_id, doc_id, url, filled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`), row.SeriesID, row.DocID, row.URL, row.Filled, now, now)
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

// writeSections fills the template's placeholders (once) and adds the
// sections that fell due, all in one batchUpdate.
func (g *Source) writeSections(ctx context.Context, cl *googleClient, st *docState) error {
	if st.pending {
		if err := g.confirmSections(ctx, cl, st); err != nil {
			return err
		}
	}
	now := g.Clock.Now()
	var due []meetings.OccurrenceRef
	for _, o := range st.occs {
		if !o.Cancelled && !st.sectioned[o.ID] && o.EndsAt.After(now) && o.StartsAt.Before(now.Add(g.cfg.SectionAhead)) {
			due = append(due, o)
		}
	}
	var reqs []*docs.Request
	if !st.doc.Filled {
		reqs = append(reqs, g.fillRequests(st)...)
	}
	// Oldest first, each at the top: the next meeting ends up first.
	sort.Slice(due, func(i, j int) bool { return due[i].StartsAt.Before(due[j].StartsAt) })
	for _, o := range due {
		reqs = append(reqs, g.sectionRequests(o)...)
	}
	if len(reqs) == 0 {
		return nil
	}
	if err := g.markSections(ctx, st, due, false); err != nil {
		return err
	}
	err := g.call(ctx, cl, "documents.batchUpdate", func() error {
		_, err := cl.docs.Documents.BatchUpdate(st.doc.DocID, &docs.BatchUpdateDocumentRequest{Requests: reqs}).Context(ctx).Do()
		return err
	})
	if err != nil {
		return err
	}
	st.doc.Filled = true
	return g.markSections(ctx, st, due, true)
}

// markSections records sections as being added, or as added.
func (g *Source) markSections(ctx context.Context, st *docState, occs []meetings.OccurrenceRef, confirmed bool) error {
	now := g.Clock.Now()
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for _, o := range occs {
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_sections (occurrence_id, doc_id, confirmed, inserted_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (occurrence_id) DO UPDATE SET confirmed = excluded.confirmed`),
				o.ID, st.doc.DocID, confirmed, now)
			if err != nil {
				return fmt.Errorf("record section of occurrence %d: %w", o.ID, err)
			}
			st.sectioned[o.ID] = true
		}
		if !confirmed {
			return nil
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_docs SET filled = TRUE, updated_at = ? WHERE series_id = ?`), now, st.seriesID)
		if err != nil {
			return fmt.Errorf("record doc of series %d: %w", st.seriesID, err)
		}
		return nil
	})
}

// confirmSections settles sections whose batchUpdate may or may not have
// happened (the run stopped in between): the doc says which are there.
func (g *Source) confirmSections(ctx context.Context, cl *googleClient, st *docState) error {
	d, err := g.getDoc(ctx, cl, st.doc.DocID)
	if err != nil {
		return err
	}
	found := map[int64]bool{}
	for _, o := range st.occs {
		found[o.ID] = findSection(paragraphs(d), g.occurrenceLink(o.ID)) != nil
	}
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for _, o := range st.occs {
			if !st.sectioned[o.ID] {
				continue
			}
			q := `UPDATE google_sections SET confirmed = TRUE WHERE occurrence_id = ?`
			if !found[o.ID] {
				q = `DELETE FROM google_sections WHERE occurrence_id = ? AND confirmed = FALSE`
				delete(st.sectioned, o.ID)
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), o.ID); err != nil {
				return fmt.Errorf("settle section of occurrence %d: %w", o.ID, err)
			}
		}
		return nil
	})
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

// scheduleOccurrenceJobs arms each future occurrence's section and the
// read-backs of its Pre-read: shortly before each reminder and before the
// deadline, so neither goes out when the doc already holds a pre-read.
func (g *Source) scheduleOccurrenceJobs(ctx context.Context, st *docState) error {
	now := g.Clock.Now()
	lead := max(g.Meetings.Cfg.Lead, g.Meetings.Cfg.MinLead)
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for _, o := range st.occs {
			if o.Cancelled || !o.StartsAt.After(now) {
				continue
			}
			subj := occSubject(o.ID)
			if !st.sectioned[o.ID] {
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
