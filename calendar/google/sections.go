package google

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
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

// occurrenceLinkPrefix is what every occurrence's link starts with.
func (g *Source) occurrenceLinkPrefix() string {
	l := g.occurrenceLink(0)
	return l[:strings.LastIndex(l, "/")+1]
}

func u16len(s string) int64 { return int64(len(utf16.Encode([]rune(s)))) }

// norm is a heading's text as compared: line ends and Docs' soft line
// breaks as newlines, no trailing blanks.
func norm(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\v", "\n").Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// docSafe drops what Docs will not take in text (control characters but
// newlines and tabs).
func docSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
}

// fieldText is what an occurrence's section shows under a heading: what
// meetingd holds, or the template's placeholder when that is empty.
func (g *Source) fieldText(o meetings.OccurrenceRef, field string) string {
	var v string
	switch field {
	case "pre_read":
		v = o.Section.PreRead
	case "agenda":
		v = o.Section.Agenda
	case "notes":
		v = o.Section.Notes
	case "decisions":
		v = o.Section.Decisions
	case "action_items":
		v = o.Section.ActionItems
	}
	if v = norm(docSafe(v)); v == "" {
		v = norm(g.Meetings.Placeholder(field))
	}
	if field == "action_items" {
		if lines := itemLines(o); len(lines) > 0 {
			if v == norm(g.Meetings.Placeholder(field)) {
				v = ""
			}
			v = norm(v + "\n" + strings.Join(lines, "\n"))
		}
	}
	return v
}

// itemLines are the lines the Action items heading shows for the action
// items meetingd tracks apart from its text (added through the API or the
// dashboard): those that came from a line of the text are there already.
// They are not read back into the text, which would make them action items
// a second time when the notes are shared.
func itemLines(o meetings.OccurrenceRef) []string {
	loc, err := clock.Zone(o.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var out []string
	for _, it := range o.ActionItems {
		if strings.Contains(o.Section.ActionItems, it.Text) {
			continue
		}
		line := fmt.Sprintf("%s — %s — due %s", it.Text, it.OwnerEmail, it.DueAt.In(loc).Format("Mon 2 Jan 2006"))
		if it.DoneAt != nil {
			line += " (done)"
		}
		out = append(out, norm(docSafe(line)))
	}
	return out
}

// withoutItemLines is text read from an Action items heading without the
// lines itemLines put there.
func withoutItemLines(o meetings.OccurrenceRef, text string) string {
	drop := map[string]bool{}
	for _, l := range itemLines(o) {
		drop[l] = true
	}
	var keep []string
	for _, l := range strings.Split(text, "\n") {
		if !drop[strings.TrimSpace(l)] {
			keep = append(keep, l)
		}
	}
	return norm(strings.Join(keep, "\n"))
}

// sectionHeading is an occurrence's dated heading: its time in its own
// zone, and why it is not held when it is not.
func (st *docState) sectionHeading(o meetings.OccurrenceRef) string {
	loc, err := clock.Zone(o.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	h := fmt.Sprintf("%s – %s", o.StartsAt.In(loc).Format("Mon 2 Jan 2006, 15:04"), o.EndsAt.In(loc).Format("15:04 MST"))
	switch {
	case !o.Cancelled:
	case st.live && st.optedOut():
		h += " — not managed by meetingd (" + meetings.OptOutMarker + ")"
	default:
		h += " — cancelled"
	}
	return h
}

// attendeesLine lists an occurrence's attendees with their roles, and
// their attendance once recorded.
func attendeesLine(o meetings.OccurrenceRef) string {
	var people []string
	for _, a := range o.Attendees {
		name := a.Email
		if a.Name != "" {
			name = a.Name + " <" + a.Email + ">"
		}
		detail := a.Role
		if a.Attendance != "" {
			detail += ", " + a.Attendance
			if a.MinutesJoined != nil && a.Attendance == meetings.Present {
				detail += fmt.Sprintf(" %d min", *a.MinutesJoined)
			}
		}
		people = append(people, fmt.Sprintf("%s (%s)", name, detail))
	}
	return norm(docSafe("Attendees: " + strings.Join(people, ", ")))
}

// mirrorFor is what an occurrence's section holds when meetingd writes it
// whole.
func (g *Source) mirrorFor(st *docState, o meetings.OccurrenceRef) mirror {
	m := mirror{Heading: st.sectionHeading(o), Attendees: attendeesLine(o), Fields: map[string]string{}}
	for _, h := range sectionHeadings {
		m.Fields[h.field] = g.fieldText(o, h.field)
	}
	return m
}

// sectionsAt is where a new section goes: before the newest section, at
// the top of the list, or after whatever the doc holds (the template's
// header) when it has none yet. lead says the doc's last paragraph has
// text: the section then starts with a newline of its own, after it.
func (g *Source) sectionsAt(paras []docPara) (at int64, lead bool) {
	prefix := g.occurrenceLinkPrefix()
	for _, p := range paras {
		if strings.HasPrefix(p.link, prefix) {
			return p.start, false
		}
	}
	if len(paras) == 0 {
		return 1, false
	}
	last := paras[len(paras)-1]
	if strings.TrimSpace(last.text) == "" {
		return last.start, false
	}
	return last.end, true
}

// sectionRequests insert o's section at at and style it, holding what
// meetingd holds (m); lead puts it after the paragraph ending at at. The
// inserted text would inherit the style of what it lands before (a
// previous section's linked heading), so it is reset first.
func (g *Source) sectionRequests(o meetings.OccurrenceRef, m mirror, at int64, lead bool) []*docs.Request {
	type block struct {
		text  string
		style string
	}
	blocks := []block{{m.Heading, "HEADING_2"}, {m.Attendees, "NORMAL_TEXT"}}
	for _, h := range sectionHeadings {
		blocks = append(blocks, block{h.title, "HEADING_3"}, block{m.Fields[h.field], "NORMAL_TEXT"})
	}
	var text strings.Builder
	var styled []*docs.Request
	pos := at
	for i, b := range blocks {
		if i > 0 || lead {
			text.WriteString("\n")
		}
		text.WriteString(b.text)
		end := pos + u16len(b.text)
		if b.style != "NORMAL_TEXT" {
			styled = append(styled, paragraphStyle(pos, end+1, b.style))
		}
		if i == 0 {
			styled = append(styled, linkStyle(pos, end, g.occurrenceLink(o.ID)))
		}
		pos = end + 1
	}
	// The reset covers the section's last newline too, which would
	// otherwise keep the link of the heading it was inserted before; but
	// not the body's final newline, which a lead section ends with.
	insertAt, resetEnd := at, pos
	if lead {
		insertAt, resetEnd = at-1, pos-1 // before the last paragraph's newline, which then ends the section
	} else {
		text.WriteString("\n")
	}
	return append([]*docs.Request{
		{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: insertAt}, Text: text.String()}},
		plainStyle(at, resetEnd),
		paragraphStyle(at, pos, "NORMAL_TEXT"),
	}, styled...)
}

func linkStyle(start, end int64, url string) *docs.Request {
	return &docs.Request{UpdateTextStyle: &docs.UpdateTextStyleRequest{
		Range:     &docs.Range{StartIndex: start, EndIndex: end},
		TextStyle: &docs.TextStyle{Link: &docs.Link{Url: url}}, Fields: "link"}}
}

func plainStyle(start, end int64) *docs.Request {
	return &docs.Request{UpdateTextStyle: &docs.UpdateTextStyleRequest{
		Range: &docs.Range{StartIndex: start, EndIndex: end}, TextStyle: &docs.TextStyle{}, Fields: "*"}}
}

func paragraphStyle(start, end int64, style string) *docs.Request {
	return &docs.Request{UpdateParagraphStyle: &docs.UpdateParagraphStyleRequest{
		Range:          &docs.Range{StartIndex: start, EndIndex: end},
		ParagraphStyle: &docs.ParagraphStyle{NamedStyleType: style}, Fields: "namedStyleType"}}
}

// --- Reading a doc back ---

// docPara is a paragraph of a doc: [start, end) with its text (closing
// newline included), the first link in it, and a heading's id.
type docPara struct {
	start, end int64
	text, link string
	headingID  string
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
		if ps := el.Paragraph.ParagraphStyle; ps != nil {
			p.headingID = ps.HeadingId
		}
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

// docSection is an occurrence's section as found in a doc: its dated
// heading, its attendees line (if still there), each heading and the
// paragraphs under it.
type docSection struct {
	head      docPara
	attendees *docPara
	headings  map[string]docPara
	content   map[string][]docPara
}

// text is what a heading holds, trimmed.
func (s *docSection) text(field string) string {
	var b strings.Builder
	for _, p := range s.content[field] {
		b.WriteString(p.text)
	}
	return norm(b.String())
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
	s := &docSection{head: paras[start], headings: map[string]docPara{}, content: map[string][]docPara{}}
	field := ""
	for _, p := range paras[start+1:] {
		if strings.HasPrefix(p.link, prefix) {
			break
		}
		if field == "" && len(s.headings) == 0 && s.attendees == nil && strings.HasPrefix(p.text, "Attendees:") {
			s.attendees = &p
			continue
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

// CheckPreReads makes sure, before each reminder and the deadline of an
// occurrence still waiting for its pre-read, that an edit of its doc was
// not missed (a push notification lost): the calendar owner's Drive
// changes are read, one call whatever the doc's size, and a doc changed
// since is read back, where meetings finds a pre-read in its section.
func (g *Source) CheckPreReads(ctx context.Context, seriesID int64) error {
	if g.cfg.WebhookURL == "" {
		return nil // without push, Drive's changes are read every DocPoll anyway
	}
	st, ok, err := g.docState(ctx, seriesID)
	if err != nil || !ok || st.doc == nil {
		return err
	}
	now := g.Clock.Now()
	if !slices.ContainsFunc(st.occs, func(o meetings.OccurrenceRef) bool {
		return !o.Cancelled && st.sectioned(o.ID) && o.StartsAt.After(now) &&
			(o.PreReadState == meetings.PreReadPending || o.PreReadState == meetings.PreReadMissing)
	}) {
		return nil
	}
	return g.ReadDriveChanges(ctx, st.cal.ID)
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
	if ok && st.doc != nil && st.sectioned(row.OccurrenceID) {
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
			paragraphStyle(start, start+n+1, "NORMAL_TEXT"), plainStyle(start, start+n))
	} else {
		last := sec.headings["decisions"]
		if len(content) > 0 {
			last = content[len(content)-1]
		}
		// A newline before the last paragraph's own makes a new paragraph
		// after it: [last.end, last.end+n+1).
		reqs = append(reqs, &docs.Request{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: last.end - 1}, Text: "\n" + text}},
			paragraphStyle(last.end, last.end+n+1, "NORMAL_TEXT"), plainStyle(last.end, last.end+n))
	}
	return g.call(ctx, cl, "documents.batchUpdate", func() error {
		_, err := cl.docs.Documents.BatchUpdate(docID, &docs.BatchUpdateDocumentRequest{Requests: reqs,
			WriteControl: &docs.WriteControl{RequiredRevisionId: d.RevisionId}}).Context(ctx).Do()
		return err
	})
}
