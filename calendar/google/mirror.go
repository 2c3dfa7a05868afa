package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
	"google.golang.org/api/docs/v1"
	"google.golang.org/api/googleapi"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// The doc follows meetingd, and meetingd follows the doc. Each section
// records what the two last agreed it holds (its mirror): the dated
// heading, the attendees line and the text under each heading. A run
// compares the doc, meetingd and the mirror:
//
//   - what meetingd changed (a move, a cancellation, attendees or their
//     attendance, a published pre-read, an action item, a recording) is
//     written into the section, in place: the heading's or the line's
//     text replaced, the text under a heading replaced, or lines added
//     below it when meetingd only added lines;
//   - what people changed in the doc is taken into meetingd, where the
//     pre-read rule sees it (a Pre-read section with content makes the
//     pre-read ready);
//   - when both changed the same heading, the doc's text stands and the
//     lines meetingd added that it lacks are added below it.
//
// All of a run's writes to a doc go in one batchUpdate, guarded by the
// revision read, so an edit made meanwhile makes it read again rather than
// land text in the wrong place; the doc is never written whole. The doc is
// read only when it was edited (Drive's changes say so) or meetingd has
// something to write.

// mirror is what meetingd and the doc last agreed a section holds.
type mirror struct {
	Heading   string            `json:"h"`
	Attendees string            `json:"a"`
	Fields    map[string]string `json:"f"`
}

func (m mirror) equal(o mirror) bool {
	if m.Heading != o.Heading || m.Attendees != o.Attendees || len(m.Fields) != len(o.Fields) {
		return false
	}
	for k, v := range m.Fields {
		if o.Fields[k] != v {
			return false
		}
	}
	return true
}

func (m mirror) clone() mirror {
	c := m
	c.Fields = make(map[string]string, len(m.Fields))
	for k, v := range m.Fields {
		c.Fields[k] = v
	}
	return c
}

// edit is a change to one place of a doc, whose requests touch only
// indexes from at on: applied from the bottom of the doc up, each leaves
// the indexes of those still to come as they were read.
type edit struct {
	at   int64
	reqs []*docs.Request
}

// mirrorPlan is what one read of a doc calls for.
type mirrorPlan struct {
	edits    []edit
	mirrors  map[int64]mirror                // sections whose mirror changes
	headings map[int64]string                // sections whose heading id was learnt
	takes    map[int64]meetings.SectionPatch // what meetingd takes from the doc
}

// mirror brings the series' doc and meetingd in line: new sections added,
// changes written and read back, the template filled.
func (g *Source) mirror(ctx context.Context, cl *googleClient, st *docState) error {
	seen := st.doc.ChangesSeen
	dirty := seen > st.doc.ChangesRead
	for attempt := 0; ; attempt++ {
		retry, err := g.mirrorOnce(ctx, cl, st, dirty || st.pending || g.mirrorStale(st))
		if err != nil {
			return err
		}
		if !retry {
			break
		}
		if attempt == 2 {
			return fmt.Errorf("doc %s of series %d keeps changing while it is written: %w", st.doc.DocID, st.seriesID, errLaterDoc)
		}
	}
	if !dirty {
		return nil
	}
	_, err := g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_docs SET changes_read = ? WHERE series_id = ? AND changes_read < ?`),
		seen, st.seriesID, seen)
	if err != nil {
		return fmt.Errorf("record doc of series %d read: %w", st.seriesID, err)
	}
	st.doc.ChangesRead = seen
	return nil
}

// errLaterDoc wraps a doc that changed under every write: the job runs again.
var errLaterDoc = errors.New("the doc is being edited")

// mirrorStale reports whether meetingd holds something a section lacks.
func (g *Source) mirrorStale(st *docState) bool {
	for _, o := range st.occs {
		row := st.sections[o.ID]
		if row == nil || !row.Confirmed {
			continue
		}
		m, known := mirrorOf(row)
		if !known || row.HeadingID == "" || !m.equal(g.mirrorFor(st, o)) {
			return true
		}
	}
	return false
}

// mirrorOnce reads the doc if it must, and writes what is owed; retry
// says the doc changed between the read and the write.
func (g *Source) mirrorOnce(ctx context.Context, cl *googleClient, st *docState, mustRead bool) (retry bool, err error) {
	due := g.dueSections(st)
	var d *docs.Document
	if mustRead || len(due) > 0 { // a new section goes where the doc's sections are
		if d, err = g.getDoc(ctx, cl, st.doc.DocID); err != nil {
			return false, err
		}
		if st.pending {
			if err := g.confirmSections(ctx, st, d); err != nil {
				return false, err
			}
		}
	}
	if st.pending {
		due = g.dueSections(st) // some were there after all
	}
	plan := mirrorPlan{mirrors: map[int64]mirror{}, headings: map[int64]string{}, takes: map[int64]meetings.SectionPatch{}}
	if d != nil {
		g.planMirror(ctx, st, paragraphs(d), &plan)
	}
	sort.Slice(plan.edits, func(i, j int) bool { return plan.edits[i].at > plan.edits[j].at })
	var reqs []*docs.Request
	for _, e := range plan.edits {
		reqs = append(reqs, e.reqs...)
	}
	// New sections at the top of the list, above every edit: oldest first,
	// each at the top, so the next meeting ends up first.
	added := map[int64]mirror{}
	if len(due) > 0 {
		at, lead := g.sectionsAt(paragraphs(d))
		for _, o := range due {
			added[o.ID] = g.mirrorFor(st, o)
			reqs = append(reqs, g.sectionRequests(o, added[o.ID], at, lead)...)
			lead = false // the next goes before this one
		}
	}
	if !st.doc.Filled {
		reqs = append(reqs, g.fillRequests(st)...)
	}
	if len(reqs) > 0 {
		if err := g.markSections(ctx, st, due, nil); err != nil {
			return false, err
		}
		req := &docs.BatchUpdateDocumentRequest{Requests: reqs}
		if d != nil {
			req.WriteControl = &docs.WriteControl{RequiredRevisionId: d.RevisionId}
		}
		err := g.call(ctx, cl, "documents.batchUpdate", func() error {
			_, err := cl.docs.Documents.BatchUpdate(st.doc.DocID, req).Context(ctx).Do()
			return err
		})
		if isRevisionConflict(err) {
			g.Log.InfoContext(ctx, "Google Doc edited while meetingd wrote to it; reading it again", "doc", st.doc.DocID)
			return true, g.unmarkSections(ctx, st, due)
		}
		if err != nil {
			return false, err
		}
		if err := g.markSections(ctx, st, due, added); err != nil {
			return false, err
		}
	}
	// New headings' ids, for links straight to each section, are learnt
	// on the next read: the write itself is a Drive change that makes one.
	return false, g.applyPlan(ctx, st, plan)
}

// dueSections are the occurrences whose section falls due now: ahead, and
// within SectionAhead.
func (g *Source) dueSections(st *docState) []meetings.OccurrenceRef {
	if !st.live {
		return nil
	}
	now := g.Clock.Now()
	var due []meetings.OccurrenceRef
	for _, o := range st.occs {
		if !o.Cancelled && !st.sectioned(o.ID) && o.EndsAt.After(now) && o.StartsAt.Before(now.Add(g.cfg.SectionAhead)) {
			due = append(due, o)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].StartsAt.Before(due[j].StartsAt) })
	return due
}

// planMirror compares each section in the doc with meetingd and its mirror.
func (g *Source) planMirror(ctx context.Context, st *docState, paras []docPara, plan *mirrorPlan) {
	for _, o := range st.occs {
		row := st.sections[o.ID]
		if row == nil || !row.Confirmed {
			continue
		}
		sec := findSection(paras, g.occurrenceLink(o.ID))
		if sec == nil {
			g.Log.WarnContext(ctx, "occurrence's section not found in its Google Doc", "occurrence", o.ID, "doc", st.doc.DocID)
			continue
		}
		if id := sec.head.headingID; id != "" && id != row.HeadingID {
			plan.headings[o.ID] = id
		}
		want := g.mirrorFor(st, o)
		m, known := mirrorOf(row)
		if !known {
			// A section from before meetingd mirrored: the doc's text
			// stands and meetingd takes it.
			m = want.clone()
			m.Heading = norm(sec.head.text)
			if sec.attendees != nil {
				m.Attendees = norm(sec.attendees.text)
			}
		}
		before := m.clone()
		if want.Heading != m.Heading {
			plan.edits = append(plan.edits, replaceParagraph(sec.head, want.Heading, "HEADING_2", g.occurrenceLink(o.ID)))
			m.Heading = want.Heading
		}
		if want.Attendees != m.Attendees {
			if sec.attendees != nil {
				plan.edits = append(plan.edits, replaceParagraph(*sec.attendees, want.Attendees, "NORMAL_TEXT", ""))
			} else {
				plan.edits = append(plan.edits, insertAfter(sec.head, want.Attendees))
			}
			m.Attendees = want.Attendees
		}
		var take meetings.SectionPatch
		took := false
		for _, h := range sectionHeadings {
			head, ok := sec.headings[h.field]
			if !ok {
				continue // someone removed the heading: neither side is told of the other
			}
			content := sec.content[h.field]
			inDoc, ours, base := sec.text(h.field), want.Fields[h.field], m.Fields[h.field]
			switch docChanged, ourChanged := inDoc != base, ours != base; {
			case !docChanged && !ourChanged:
			case docChanged && (!ourChanged || inDoc == ours):
				m.Fields[h.field] = inDoc
				if inDoc != ours {
					setPatch(&take, h.field, g.sectionText(o, h.field, inDoc))
					took = true
				}
			case !docChanged:
				// Lines added after the agreed text are added to the doc;
				// anything else replaces the heading's text.
				if base != "" && strings.HasPrefix(ours, base+"\n") && inDoc != norm(g.Meetings.Placeholder(h.field)) {
					plan.edits = append(plan.edits, appendLines(head, content, strings.TrimPrefix(ours, base+"\n")))
				} else {
					plan.edits = append(plan.edits, replaceContent(head, content, ours))
				}
				m.Fields[h.field] = ours
			default:
				// Both changed: the doc's text stands, with the lines
				// meetingd added that it lacks below it.
				added := newLines(ours, base, inDoc)
				merged := inDoc
				if len(added) > 0 {
					plan.edits = append(plan.edits, appendLines(head, content, strings.Join(added, "\n")))
					merged = norm(inDoc + "\n" + strings.Join(added, "\n"))
				}
				m.Fields[h.field] = merged
				if merged != ours {
					setPatch(&take, h.field, g.sectionText(o, h.field, merged))
					took = true
				}
			}
		}
		if took {
			plan.takes[o.ID] = take
		}
		if !known || !m.equal(before) {
			plan.mirrors[o.ID] = m
		}
	}
}

// applyPlan hands meetingd what it takes from the doc, then records the
// new mirrors: a failure in between leaves the old mirror, and the next
// run finds both sides agree.
func (g *Source) applyPlan(ctx context.Context, st *docState, plan mirrorPlan) error {
	ids := make([]int64, 0, len(plan.takes))
	for id := range plan.takes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		_, err := g.Meetings.UpdateSection(ctx, people.Actor{Operator: true}, id, plan.takes[id])
		if errs.Code(err) == errs.Invalid || errs.Code(err) == errs.Conflict {
			// Text meetingd refuses (too long, say) stays in the doc only.
			g.Log.WarnContext(ctx, "text from the Google Doc not taken", "occurrence", id, "doc", st.doc.DocID, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		g.Log.InfoContext(ctx, "section read back from the Google Doc", "occurrence", id, "doc", st.doc.DocID)
	}
	return g.saveMirrors(ctx, st, plan.mirrors, plan.headings)
}

// saveMirrors records sections' mirrors and heading ids; a heading id
// also becomes the occurrence's notes link.
func (g *Source) saveMirrors(ctx context.Context, st *docState, mirrors map[int64]mirror, headings map[int64]string) error {
	if len(mirrors) == 0 && len(headings) == 0 {
		return nil
	}
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for id, m := range mirrors {
			raw, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_sections SET mirrored = ? WHERE occurrence_id = ?`), string(raw), id); err != nil {
				return fmt.Errorf("record section of occurrence %d: %w", id, err)
			}
			if row := st.sections[id]; row != nil {
				row.Mirrored = string(raw)
			}
		}
		for id, h := range headings {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_sections SET heading_id = ? WHERE occurrence_id = ?`), h, id); err != nil {
				return fmt.Errorf("record heading of occurrence %d: %w", id, err)
			}
			if err := meetings.SetSectionURL(ctx, tx, id, headingURL(st.doc.URL, h)); err != nil {
				return err
			}
			if row := st.sections[id]; row != nil {
				row.HeadingID = h
			}
		}
		return nil
	})
}

// headingURL links to a heading of a Google Doc: Docs scrolls to
// "#heading=<id>" (it ignores other fragments).
func headingURL(docURL, headingID string) string {
	base, _, _ := strings.Cut(docURL, "#")
	return base + "#heading=" + headingID
}

// markSections records sections as being added (mirrors nil), or as
// added, with what they hold.
func (g *Source) markSections(ctx context.Context, st *docState, occs []meetings.OccurrenceRef, mirrors map[int64]mirror) error {
	now := g.Clock.Now()
	confirmed := mirrors != nil
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for _, o := range occs {
			raw := ""
			if m, ok := mirrors[o.ID]; ok {
				b, err := json.Marshal(m)
				if err != nil {
					return err
				}
				raw = string(b)
			}
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_sections (occurrence_id, doc_id, confirmed, inserted_at, mirrored)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (occurrence_id) DO UPDATE SET confirmed = excluded.confirmed, mirrored = excluded.mirrored`),
				o.ID, st.doc.DocID, confirmed, now, raw)
			if err != nil {
				return fmt.Errorf("record section of occurrence %d: %w", o.ID, err)
			}
			st.sections[o.ID] = &sectionRow{OccurrenceID: o.ID, Confirmed: confirmed, Mirrored: raw}
		}
		if !confirmed {
			return nil
		}
		st.doc.Filled = true
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_docs SET filled = TRUE, updated_at = ? WHERE series_id = ?`), now, st.seriesID)
		if err != nil {
			return fmt.Errorf("record doc of series %d: %w", st.seriesID, err)
		}
		return nil
	})
}

// unmarkSections forgets sections whose batchUpdate Google refused.
func (g *Source) unmarkSections(ctx context.Context, st *docState, occs []meetings.OccurrenceRef) error {
	for _, o := range occs {
		_, err := g.DB.ExecContext(ctx, g.DB.Rebind(`DELETE FROM google_sections WHERE occurrence_id = ? AND confirmed = FALSE`), o.ID)
		if err != nil {
			return fmt.Errorf("forget section of occurrence %d: %w", o.ID, err)
		}
		delete(st.sections, o.ID)
	}
	return nil
}

// confirmSections settles sections whose batchUpdate may or may not have
// happened (the run stopped in between): the doc says which are there. A
// section found holds what meetingd wrote then; its mirror is learnt on
// this read as for a section from before mirroring.
func (g *Source) confirmSections(ctx context.Context, st *docState, d *docs.Document) error {
	paras := paragraphs(d)
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for id, row := range st.sections {
			if row.Confirmed {
				continue
			}
			q := `UPDATE google_sections SET confirmed = TRUE WHERE occurrence_id = ?`
			if findSection(paras, g.occurrenceLink(id)) == nil {
				q = `DELETE FROM google_sections WHERE occurrence_id = ? AND confirmed = FALSE`
				delete(st.sections, id)
			} else {
				row.Confirmed = true
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
				return fmt.Errorf("settle section of occurrence %d: %w", id, err)
			}
		}
		return nil
	})
	st.pending = false
	return err
}

// isRevisionConflict reports a batchUpdate refused because the doc
// changed since the revision it was planned on.
func isRevisionConflict(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusBadRequest {
		return false
	}
	for _, e := range ge.Errors {
		if e.Reason == "failedPrecondition" {
			return true
		}
	}
	return strings.Contains(ge.Body, "FAILED_PRECONDITION")
}

// sectionText is what meetingd keeps of a heading's text read from the
// doc: the Action items lines of tracked action items are not kept.
func (g *Source) sectionText(o meetings.OccurrenceRef, field, text string) string {
	if field != "action_items" {
		return text
	}
	return withoutItemLines(o, text)
}

func setPatch(p *meetings.SectionPatch, field, text string) {
	t := text
	switch field {
	case "pre_read":
		p.PreRead = &t
	case "agenda":
		p.Agenda = &t
	case "notes":
		p.Notes = &t
	case "decisions":
		p.Decisions = &t
	case "action_items":
		p.ActionItems = &t
	}
}

// newLines are the lines of ours that base lacks and inDoc lacks too.
func newLines(ours, base, inDoc string) []string {
	have := map[string]bool{}
	for _, l := range strings.Split(base+"\n"+inDoc, "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var out []string
	for _, l := range strings.Split(ours, "\n") {
		if t := strings.TrimSpace(l); t != "" && !have[t] {
			out = append(out, l)
		}
	}
	return out
}

// --- Edits ---

// replaceParagraph replaces a paragraph's text, styled anew.
func replaceParagraph(p docPara, text, style, link string) edit {
	n := u16len(text)
	var reqs []*docs.Request
	if p.end-1 > p.start {
		reqs = append(reqs, &docs.Request{DeleteContentRange: &docs.DeleteContentRangeRequest{
			Range: &docs.Range{StartIndex: p.start, EndIndex: p.end - 1}}})
	}
	if n > 0 {
		reqs = append(reqs, &docs.Request{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: p.start}, Text: text}})
	}
	reqs = append(reqs, paragraphStyle(p.start, p.start+n+1, style))
	if n > 0 {
		reqs = append(reqs, plainStyle(p.start, p.start+n))
		if link != "" {
			reqs = append(reqs, linkStyle(p.start, p.start+n, link))
		}
	}
	return edit{at: p.start, reqs: reqs}
}

// replaceContent replaces what is under a heading with text.
func replaceContent(head docPara, content []docPara, text string) edit {
	if len(content) == 0 {
		return insertAfter(head, text)
	}
	start, end := content[0].start, content[len(content)-1].end-1
	n := u16len(text)
	var reqs []*docs.Request
	if end > start {
		reqs = append(reqs, &docs.Request{DeleteContentRange: &docs.DeleteContentRangeRequest{
			Range: &docs.Range{StartIndex: start, EndIndex: end}}})
	}
	if n > 0 {
		reqs = append(reqs, &docs.Request{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: start}, Text: text}})
	}
	reqs = append(reqs, paragraphStyle(start, start+n+1, "NORMAL_TEXT"))
	if n > 0 {
		reqs = append(reqs, plainStyle(start, start+n))
	}
	return edit{at: start, reqs: reqs}
}

// appendLines adds text as new paragraphs after what is under a heading.
func appendLines(head docPara, content []docPara, text string) edit {
	last := head
	if len(content) > 0 {
		last = content[len(content)-1]
	}
	return insertAfter(last, text)
}

// insertAfter adds text as a new paragraph after p: a newline before p's
// own makes one, [p.end, p.end+n+1).
func insertAfter(p docPara, text string) edit {
	n := u16len(text)
	return edit{at: p.end - 1, reqs: []*docs.Request{
		{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: p.end - 1}, Text: "\n" + text}},
		paragraphStyle(p.end, p.end+n+1, "NORMAL_TEXT"), plainStyle(p.end, p.end+n)}}
}
