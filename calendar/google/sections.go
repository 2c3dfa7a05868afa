package google

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/jmoiron/sqlx"
	"google.golang.org/api/docs/v1"

	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/meetings"
)

// An occurrence's section in the doc: a dated heading linking to the
// occurrence in meetingd (the link is how the section is found again,
// whatever people do to the heading's text), the attendees with their
// roles, then the five headings with the notes template's placeholders.
// Docs counts positions in UTF-16 code units, and so does this file.

// sectionHeadings are the headings of a section, by meetings' field names.
var sectionHeadings = []struct{ field, title string }{
	{"pre_read", "Pre-read"}, {"agenda", "Agenda"}, {"notes", "Notes"},
	{"decisions", "Decisions"}, {"action_items", "Action items"},
}

// occurrenceLink is the URL the section's heading links to.
func (g *Source) occurrenceLink(occID int64) string {
	base := g.cfg.BaseURL
	if base == "" {
		base = strings.TrimRight(g.Meetings.Cfg.BaseURL, "/")
	}
	return fmt.Sprintf("%s/meetings/%d", base, occID)
}

func u16len(s string) int64 { return int64(len(utf16.Encode([]rune(s)))) }

// sectionRequests insert o's section at the top of the doc and style it.
// The inserted text would inherit the style of what it lands before (a
// previous section's linked heading), so it is reset first.
func (g *Source) sectionRequests(o meetings.OccurrenceRef) []*docs.Request {
	loc, err := clock.Zone(o.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	type block struct {
		text  string
		style string
	}
	blocks := []block{{fmt.Sprintf("%s – %s", o.StartsAt.In(loc).Format("Mon 2 Jan 2006, 15:04"),
		o.EndsAt.In(loc).Format("15:04 MST")), "HEADING_2"}}
	var people []string
	for _, a := range o.Attendees {
		name := a.Email
		if a.Name != "" {
			name = a.Name + " <" + a.Email + ">"
		}
		people = append(people, fmt.Sprintf("%s (%s)", name, a.Role))
	}
	blocks = append(blocks, block{"Attendees: " + strings.Join(people, ", "), "NORMAL_TEXT"})
	for _, h := range sectionHeadings {
		blocks = append(blocks, block{h.title, "HEADING_3"}, block{g.Meetings.Placeholder(h.field), "NORMAL_TEXT"})
	}
	var text strings.Builder
	var styled []*docs.Request
	pos := int64(1)
	for i, b := range blocks {
		text.WriteString(b.text + "\n")
		end := pos + u16len(b.text)
		if b.style != "NORMAL_TEXT" {
			styled = append(styled, paragraphStyle(pos, end+1, b.style))
		}
		if i == 0 {
			styled = append(styled, &docs.Request{UpdateTextStyle: &docs.UpdateTextStyleRequest{
				Range:     &docs.Range{StartIndex: pos, EndIndex: end},
				TextStyle: &docs.TextStyle{Link: &docs.Link{Url: g.occurrenceLink(o.ID)}}, Fields: "link"}})
		}
		pos = end + 1
	}
	all := &docs.Range{StartIndex: 1, EndIndex: pos}
	return append([]*docs.Request{
		{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: 1}, Text: text.String()}},
		{UpdateTextStyle: &docs.UpdateTextStyleRequest{Range: all, TextStyle: &docs.TextStyle{}, Fields: "*"}},
		paragraphStyle(1, pos, "NORMAL_TEXT"),
	}, styled...)
}

func paragraphStyle(start, end int64, style string) *docs.Request {
	return &docs.Request{UpdateParagraphStyle: &docs.UpdateParagraphStyleRequest{
		Range:          &docs.Range{StartIndex: start, EndIndex: end},
		ParagraphStyle: &docs.ParagraphStyle{NamedStyleType: style}, Fields: "namedStyleType"}}
}

// --- Reading a doc back ---

// docPara is a paragraph of a doc: [start, end) with its text (closing
// newline included) and the first link in it.
type docPara struct {
	start, end int64
	text, link string
}

func paragraphs(d *docs.Document) []docPara {
	if d.Body == nil {
		return nil
	}
	var out []docPara
	for _, el := range d.Body.Content {
		if el.Paragraph == nil {
			continue
		}
		p := docPara{start: el.StartIndex, end: el.EndIndex}
		var b strings.Builder
		for _, pe := range el.Paragraph.Elements {
			if pe.TextRun == nil {
				continue
			}
			b.WriteString(pe.TextRun.Content)
			if p.link == "" && pe.TextRun.TextStyle != nil && pe.TextRun.TextStyle.Link != nil {
				p.link = pe.TextRun.TextStyle.Link.Url
			}
		}
		p.text = b.String()
		out = append(out, p)
	}
	return out
}

// docSection is an occurrence's section as found in a doc: each heading
// and the paragraphs under it.
type docSection struct {
	headings map[string]docPara
	content  map[string][]docPara
}

// text is what a heading holds, trimmed.
func (s *docSection) text(field string) string {
	var b strings.Builder
	for _, p := range s.content[field] {
		b.WriteString(p.text)
	}
	return strings.TrimSpace(b.String())
}

// findSection finds the section whose heading links to link: it runs to
// the next heading that links to an occurrence.
func findSection(paras []docPara, link string) *docSection {
	prefix := link[:strings.LastIndex(link, "/")+1]
	start := -1
	for i, p := range paras {
		if p.link == link {
			start = i
			break
		}
	}
	if start < 0 {
		return nil
	}
	s := &docSection{headings: map[string]docPara{}, content: map[string][]docPara{}}
	field := ""
	for _, p := range paras[start+1:] {
		if strings.HasPrefix(p.link, prefix) {
			break
		}
		if f := headingField(p.text); f != "" && s.headings[f].end == 0 {
			field = f
			s.headings[f] = p
			continue
		}
		if field != "" {
			s.content[field] = append(s.content[field], p)
		}
	}
	return s
}

func headingField(text string) string {
	t := strings.TrimSpace(text)
	for _, h := range sectionHeadings {
		if strings.EqualFold(t, h.title) {
			return h.field
		}
	}
	return ""
}

func (g *Source) getDoc(ctx context.Context, cl *googleClient, id string) (*docs.Document, error) {
	var d *docs.Document
	err := g.call(ctx, cl, "documents.get", func() (err error) {
		d, err = cl.docs.Documents.Get(id).Context(ctx).Do()
		return err
	})
	return d, err
}

// --- Pre-reads written in the doc ---

func (g *Source) runPreRead(ctx context.Context, j jobs.Job) error {
	seriesID, err := g.seriesOf(ctx, j.Subject)
	if err != nil || seriesID == 0 {
		return err
	}
	return g.CheckPreReads(ctx, seriesID)
}

// CheckPreReads reads a series' doc once and hands each waiting
// occurrence's Pre-read section to meetings, which makes the pre-read
// ready when it holds more than the placeholder.
func (g *Source) CheckPreReads(ctx context.Context, seriesID int64) error {
	st, ok, err := g.docState(ctx, seriesID)
	if err != nil || !ok || st.doc == nil {
		return err
	}
	now := g.Clock.Now()
	var waiting []meetings.OccurrenceRef
	for _, o := range st.occs {
		if !o.Cancelled && st.sectioned[o.ID] && o.StartsAt.After(now) &&
			(o.PreReadState == meetings.PreReadPending || o.PreReadState == meetings.PreReadMissing) {
			waiting = append(waiting, o)
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	cl, err := g.client(ctx, st.cal)
	if err != nil {
		return err
	}
	d, err := g.getDoc(ctx, cl, st.doc.DocID)
	if err != nil {
		return g.stopIfRevoked(ctx, st.cal, err)
	}
	paras := paragraphs(d)
	for _, o := range waiting {
		sec := findSection(paras, g.occurrenceLink(o.ID))
		if sec == nil {
			g.Log.WarnContext(ctx, "occurrence's section not found in its Google Doc", "occurrence", o.ID, "doc", st.doc.DocID)
			continue
		}
		text := sec.text("pre_read")
		if text == "" || text == strings.TrimSpace(o.Section.PreRead) {
			continue
		}
		if err := g.Meetings.SetPreReadFromDoc(ctx, o.ID, text); err != nil {
			g.Log.WarnContext(ctx, "pre-read from the Google Doc not taken", "occurrence", o.ID, "err", err)
		}
	}
	return nil
}

// --- Closed decisions ---

// decisionFinished queues a finished decision's outcome for its
// occurrence's doc, on decisions.EventFinished.
func (g *Source) decisionFinished(ctx context.Context, j jobs.Job) error {
	d, err := decisions.Finished(ctx, g.DB, j.Subject)
	if err != nil || d.OccurrenceID == nil {
		return err
	}
	return g.WriteDecision(ctx, *d.OccurrenceID, d.OutcomeLine())
}

// WriteDecision queues a closed decision for the Decisions section of an
// occurrence's Google Doc; a job writes it. Writing the same text twice
// is a no-op. Occurrences without a Google Doc are left alone.
func (g *Source) WriteDecision(ctx context.Context, occID int64, text string) error {
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error { return g.QueueDecision(ctx, tx, occID, text) })
	if err == nil {
		g.wake()
	}
	return err
}

// QueueDecision is WriteDecision inside the caller's transaction.
func (g *Source) QueueDecision(ctx context.Context, q db.Queryer, occID int64, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	now := g.Clock.Now()
	sum := sha256.Sum256([]byte(text))
	var ids []int64
	err := q.SelectContext(ctx, &ids, q.Rebind(`INSERT INTO google_decisions (occurrence_id, text_hash, text, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (occurrence_id, text_hash) DO NOTHING RETURNING id`),
		occID, hex.EncodeToString(sum[:]), text, now)
	if err != nil {
		return fmt.Errorf("queue decision for occurrence %d: %w", occID, err)
	}
	if len(ids) == 0 {
		return nil
	}
	return jobs.ScheduleIn(ctx, q, now, jobs.Bulk, JobDecision, fmt.Sprintf("gdecision:%d", ids[0]), now)
}

func (g *Source) runDecision(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "gdecision:")
	if err != nil {
		return err
	}
	var row struct {
		OccurrenceID int64      `db:"occurrence_id"`
		Text         string     `db:"text"`
		WrittenAt    *time.Time `db:"written_at"`
	}
	err = g.DB.GetContext(ctx, &row, g.DB.Rebind(`SELECT occurrence_id, text, written_at FROM google_decisions WHERE id = ?`), id)
	if db.IsNoRows(err) || (err == nil && row.WrittenAt != nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("decision %d: %w", id, err)
	}
	seriesID, err := meetings.SeriesOf(ctx, g.DB, row.OccurrenceID)
	if err != nil || seriesID == 0 {
		return err
	}
	st, ok, err := g.docState(ctx, seriesID)
	if err != nil {
		return err
	}
	if ok && st.doc != nil && st.sectioned[row.OccurrenceID] {
		cl, err := g.client(ctx, st.cal)
		if err != nil {
			return err
		}
		if err := g.stopIfRevoked(ctx, st.cal, g.writeDecision(ctx, cl, st.doc.DocID, row.OccurrenceID, row.Text)); err != nil {
			return err
		}
	}
	_, err = g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_decisions SET written_at = ? WHERE id = ?`), g.Clock.Now(), id)
	return err
}

// writeDecision adds text under the section's Decisions heading: in place
// of the placeholder if that is all it holds, else as a new paragraph
// after what is there. The revision guard makes a concurrent edit fail
// the request rather than land text in the wrong place; the job retries.
func (g *Source) writeDecision(ctx context.Context, cl *googleClient, docID string, occID int64, text string) error {
	d, err := g.getDoc(ctx, cl, docID)
	if err != nil {
		return err
	}
	sec := findSection(paragraphs(d), g.occurrenceLink(occID))
	if sec == nil || sec.headings["decisions"].end == 0 {
		g.Log.WarnContext(ctx, "decision not written: no Decisions heading for the occurrence", "occurrence", occID, "doc", docID)
		return nil
	}
	have := sec.text("decisions")
	if strings.Contains(have, text) {
		return nil
	}
	var reqs []*docs.Request
	n := u16len(text)
	content := sec.content["decisions"]
	placeholder := strings.TrimSpace(g.Meetings.Placeholder("decisions"))
	if len(content) > 0 && (have == "" || have == placeholder) {
		start, end := content[0].start, content[len(content)-1].end-1
		if end > start {
			reqs = append(reqs, &docs.Request{DeleteContentRange: &docs.DeleteContentRangeRequest{
				Range: &docs.Range{StartIndex: start, EndIndex: end}}})
		}
		reqs = append(reqs, &docs.Request{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: start}, Text: text}},
			paragraphStyle(start, start+n+1, "NORMAL_TEXT"),
			&docs.Request{UpdateTextStyle: &docs.UpdateTextStyleRequest{Range: &docs.Range{StartIndex: start, EndIndex: start + n},
				TextStyle: &docs.TextStyle{}, Fields: "*"}})
	} else {
		last := sec.headings["decisions"]
		if len(content) > 0 {
			last = content[len(content)-1]
		}
		// A newline before the last paragraph's own makes a new paragraph
		// after it: [last.end, last.end+n+1).
		reqs = append(reqs, &docs.Request{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: last.end - 1}, Text: "\n" + text}},
			paragraphStyle(last.end, last.end+n+1, "NORMAL_TEXT"),
			&docs.Request{UpdateTextStyle: &docs.UpdateTextStyleRequest{Range: &docs.Range{StartIndex: last.end, EndIndex: last.end + n},
				TextStyle: &docs.TextStyle{}, Fields: "*"}})
	}
	return g.call(ctx, cl, "documents.batchUpdate", func() error {
		_, err := cl.docs.Documents.BatchUpdate(docID, &docs.BatchUpdateDocumentRequest{Requests: reqs,
			WriteControl: &docs.WriteControl{RequiredRevisionId: d.RevisionId}}).Context(ctx).Do()
		return err
	})
}
