package googlefake

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
)

// document is a Google Doc's body as a string of UTF-16 code units (Docs
// indexes in those), with a link per unit and a paragraph style on each
// paragraph's closing newline. Index i of the API is unit i-1: the body
// starts at 1, after the section break.
type document struct {
	id, title string
	text      []uint16
	link      []string
	style     []string
	// heading is the headingId of a heading paragraph, on its closing
	// newline as its style is: Docs gives every heading an id when it
	// becomes one, and keeps it while the paragraph stays a heading, so
	// links to "#heading=<id>" survive edits of its text.
	heading  []string
	nextHead *int // shared by a document's clones: ids are never reused
	revision int
}

func newDocument(id, title string) *document {
	return &document{id: id, title: title, text: []uint16{'\n'}, link: []string{""}, style: []string{"NORMAL_TEXT"},
		heading: []string{""}, nextHead: new(int), revision: 1}
}

func (d *document) clone() *document {
	return &document{id: d.id, title: d.title, text: slices.Clone(d.text), link: slices.Clone(d.link),
		style: slices.Clone(d.style), heading: slices.Clone(d.heading), nextHead: d.nextHead, revision: d.revision}
}

// nameHeadings gives each heading paragraph without an id one, and takes
// it from paragraphs that are no longer headings.
func (d *document) nameHeadings() {
	for i, u := range d.text {
		if u != '\n' {
			continue
		}
		switch {
		case !strings.HasPrefix(d.style[i], "HEADING_"):
			d.heading[i] = ""
		case d.heading[i] == "":
			*d.nextHead++
			d.heading[i] = fmt.Sprintf("h.%s%04d", strings.TrimPrefix(d.id, "file"), *d.nextHead)
		}
	}
}

// paraEnd is the position of the newline closing the paragraph holding pos.
func (d *document) paraEnd(pos int) int {
	for pos < len(d.text)-1 && d.text[pos] != '\n' {
		pos++
	}
	return pos
}

// splice replaces n units at pos with units, each new unit linked to link
// and each new newline styled as the paragraph it lands in.
func (d *document) splice(pos, n int, units []uint16, link string) {
	style := d.style[d.paraEnd(pos+n)]
	links := make([]string, len(units))
	styles := make([]string, len(units))
	headings := make([]string, len(units)) // a new paragraph is a new heading
	for i := range units {
		links[i] = link
		if units[i] == '\n' {
			styles[i] = style
		}
	}
	d.text = slices.Concat(d.text[:pos], units, d.text[pos+n:])
	d.link = slices.Concat(d.link[:pos], links, d.link[pos+n:])
	d.style = slices.Concat(d.style[:pos], styles, d.style[pos+n:])
	d.heading = slices.Concat(d.heading[:pos], headings, d.heading[pos+n:])
}

// insert adds text at index. Like Docs, the new text takes the link of the
// character before it in its paragraph, or else of the one after.
func (d *document) insert(index int, text string) error {
	if index < 1 || index > len(d.text) {
		return fmt.Errorf("index %d must be between 1 and %d", index, len(d.text))
	}
	pos := index - 1
	link := ""
	switch {
	case pos > 0 && d.text[pos-1] != '\n':
		link = d.link[pos-1]
	case d.text[pos] != '\n':
		link = d.link[pos]
	}
	d.splice(pos, 0, utf16.Encode([]rune(text)), link)
	return nil
}

func (d *document) checkRange(start, end int) error {
	if start < 1 || end <= start || end > len(d.text) {
		return fmt.Errorf("range [%d, %d) is outside the body [1, %d) or empty (the final newline cannot be deleted)", start, end, len(d.text))
	}
	return nil
}

func (d *document) delete(start, end int) error {
	if err := d.checkRange(start, end); err != nil {
		return err
	}
	last := d.paraEnd(end - 1)
	keep, keepHeading := d.style[last], d.heading[last]
	d.splice(start-1, end-start, nil, "")
	d.style[d.paraEnd(start-1)], d.heading[d.paraEnd(start-1)] = keep, keepHeading
	return nil
}

func (d *document) replaceAll(find, repl string, matchCase bool) int {
	needle := utf16.Encode([]rune(find))
	if len(needle) == 0 {
		return 0
	}
	fold := func(u uint16) uint16 {
		if matchCase {
			return u
		}
		return uint16(unicode.ToLower(rune(u)))
	}
	var at []int
	for i := 0; i+len(needle) <= len(d.text); i++ {
		ok := true
		for j := range needle {
			if fold(d.text[i+j]) != fold(needle[j]) {
				ok = false
				break
			}
		}
		if ok {
			at = append(at, i)
			i += len(needle) - 1
		}
	}
	units := utf16.Encode([]rune(repl))
	for k := len(at) - 1; k >= 0; k-- {
		d.splice(at[k], len(needle), units, d.link[at[k]])
	}
	return len(at)
}

func (d *document) setParagraphStyle(start, end int, style string) {
	last := d.paraEnd(max(end-2, start-1))
	for i := start - 1; i <= last; i++ {
		if d.text[i] == '\n' {
			d.style[i] = style
		}
	}
}

func (d *document) setLink(start, end int, url string) {
	for i := start - 1; i < end-1; i++ {
		d.link[i] = url
	}
}

// Paragraph is a paragraph of a fake document, for tests.
type Paragraph struct {
	Start, End int    // API indexes: [Start, End)
	Text       string // with its closing newline
	Style      string // namedStyleType
	Link       string // the link of its first linked run, if any
	HeadingID  string // a heading's id
}

func (d *document) paragraphs() []Paragraph {
	var out []Paragraph
	start := 0
	for i, u := range d.text {
		if u != '\n' {
			continue
		}
		p := Paragraph{Start: start + 1, End: i + 2, Text: string(utf16.Decode(d.text[start : i+1])), Style: d.style[i], HeadingID: d.heading[i]}
		for j := start; j <= i; j++ {
			if d.link[j] != "" {
				p.Link = d.link[j]
				break
			}
		}
		out = append(out, p)
		start = i + 1
	}
	return out
}

// content is the body as documents.get returns it.
func (d *document) content() []any {
	out := []any{map[string]any{"endIndex": 1, "sectionBreak": map[string]any{"sectionStyle": map[string]any{
		"columnSeparatorStyle": "NONE", "contentDirection": "LEFT_TO_RIGHT", "sectionType": "CONTINUOUS"}}}}
	start := 0
	for i, u := range d.text {
		if u != '\n' {
			continue
		}
		var elems []any
		runStart := start
		for j := start; j <= i; j++ {
			if j == i || d.link[j+1] != d.link[runStart] {
				style := map[string]any{}
				if d.link[runStart] != "" {
					style["link"] = map[string]any{"url": d.link[runStart]}
				}
				elems = append(elems, map[string]any{"startIndex": runStart + 1, "endIndex": j + 2,
					"textRun": map[string]any{"content": string(utf16.Decode(d.text[runStart : j+1])), "textStyle": style}})
				runStart = j + 1
			}
		}
		ps := map[string]any{"namedStyleType": d.style[i], "direction": "LEFT_TO_RIGHT"}
		if d.heading[i] != "" {
			ps["headingId"] = d.heading[i]
		}
		out = append(out, map[string]any{"startIndex": start + 1, "endIndex": i + 2, "paragraph": map[string]any{
			"elements": elems, "paragraphStyle": ps}})
		start = i + 1
	}
	return out
}

func (d *document) view() map[string]any {
	return map[string]any{"documentId": d.id, "title": d.title, "revisionId": d.revisionID(),
		"suggestionsViewMode": "SUGGESTIONS_INLINE", "body": map[string]any{"content": d.content()}}
}

func (d *document) revisionID() string { return fmt.Sprintf("rev-%s-%d", d.id, d.revision) }

// DocText returns a document's body text.
func (s *Server) DocText(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(utf16.Decode(s.docs[id].text))
}

// DocParagraphs returns a document's paragraphs.
func (s *Server) DocParagraphs(id string) []Paragraph {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.docs[id].paragraphs()
}

// EditDoc replaces [start, end) of a document with text, as a person
// typing in it would (start == end inserts).
func (s *Server) EditDoc(id string, start, end int, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[id]
	if end > start {
		if err := d.delete(start, end); err != nil {
			return err
		}
	}
	d.revision++
	if err := d.insert(start, text); err != nil {
		return err
	}
	d.nameHeadings()
	s.touch(id)
	return nil
}

func (s *Server) docFor(c *call, need int) (*document, error) {
	f := s.files[c.path["documentId"]]
	d := s.docs[c.path["documentId"]]
	if f == nil || d == nil || f.role(c.who) == 0 {
		return nil, errorf(404, "notFound", "Requested entity was not found.")
	}
	if f.role(c.who) < need {
		return nil, errorf(403, "forbidden", "The caller does not have permission")
	}
	return d, nil
}

func (s *Server) documentsCreate(c *call) (int, any, error) {
	title, _ := c.body["title"].(string)
	if title == "" {
		title = "Untitled document"
	}
	f := s.newFile(title, docMime, c.who)
	d := newDocument(f.id, title)
	s.docs[f.id] = d
	s.touch(f.id)
	return 200, d.view(), nil
}

func (s *Server) documentsGet(c *call) (int, any, error) {
	d, err := s.docFor(c, roleRank["reader"])
	if err != nil {
		return 0, nil, err
	}
	return 200, d.view(), nil
}

func (s *Server) documentsBatchUpdate(c *call) (int, any, error) {
	d, err := s.docFor(c, roleRank["writer"])
	if err != nil {
		return 0, nil, err
	}
	if wc, ok := c.body["writeControl"].(map[string]any); ok {
		if rev, ok := wc["requiredRevisionId"].(string); ok && rev != d.revisionID() {
			return 0, nil, errorf(400, "failedPrecondition", "The document was modified after revision %s.", rev)
		}
	}
	reqs, _ := c.body["requests"].([]any)
	work := d.clone()
	replies := make([]any, 0, len(reqs))
	w := DocWrite{DocID: d.id, Before: len(d.text)}
	for i, r := range reqs {
		reply, err := s.apply(work, r.(map[string]any))
		if err != nil {
			return 0, nil, errorf(400, "invalid", "Invalid requests[%d]: %v", i, err)
		}
		replies = append(replies, reply)
		if del, ok := r.(map[string]any)["deleteContentRange"].(map[string]any); ok {
			start, end := rangeOf(del)
			w.Deleted += end - start
		}
	}
	if len(reqs) > 0 {
		work.revision++
		work.nameHeadings()
		s.touch(d.id)
		w.After = len(work.text)
		s.docWrites = append(s.docWrites, w)
	}
	s.docs[d.id] = work
	return 200, map[string]any{"documentId": d.id, "replies": replies,
		"writeControl": map[string]any{"requiredRevisionId": work.revisionID()}}, nil
}

// DocWrite is one batchUpdate applied to a doc, in UTF-16 code units:
// the doc's length before and after, and how much of it was deleted. A
// write that deletes about all of Before rewrote the doc whole.
type DocWrite struct {
	DocID                  string
	Before, After, Deleted int
}

// DocWrites returns the batchUpdates applied since the last ResetCalls,
// oldest first.
func (s *Server) DocWrites() []DocWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DocWrite(nil), s.docWrites...)
}

// apply runs one batchUpdate request on d.
func (s *Server) apply(d *document, r map[string]any) (map[string]any, error) {
	if len(r) != 1 {
		return nil, fmt.Errorf("a request must set exactly one kind, not %d", len(r))
	}
	for kind, v := range r {
		body, _ := v.(map[string]any)
		switch kind {
		case "insertText":
			text, _ := body["text"].(string)
			if loc, ok := body["location"].(map[string]any); ok {
				return map[string]any{}, d.insert(intOf(loc["index"]), text)
			}
			if _, ok := body["endOfSegmentLocation"]; ok {
				return map[string]any{}, d.insert(len(d.text), text)
			}
			return nil, fmt.Errorf("insertText needs location or endOfSegmentLocation")
		case "deleteContentRange":
			start, end := rangeOf(body)
			return map[string]any{}, d.delete(start, end)
		case "replaceAllText":
			crit, _ := body["containsText"].(map[string]any)
			find, _ := crit["text"].(string)
			matchCase, _ := crit["matchCase"].(bool)
			repl, _ := body["replaceText"].(string)
			n := d.replaceAll(find, repl, matchCase)
			return map[string]any{"replaceAllText": map[string]any{"occurrencesChanged": n}}, nil
		case "updateParagraphStyle":
			start, end := rangeOf(body)
			if start < 1 || end <= start || end > len(d.text)+1 {
				return nil, fmt.Errorf("range [%d, %d) is outside the body", start, end)
			}
			fields, _ := body["fields"].(string)
			ps, _ := body["paragraphStyle"].(map[string]any)
			style, _ := ps["namedStyleType"].(string)
			switch {
			case fields == "":
				return nil, fmt.Errorf("updateParagraphStyle needs fields")
			case fields == "*" && style == "":
				style = "NORMAL_TEXT"
			case !strings.Contains(fields, "namedStyleType") && fields != "*":
				return map[string]any{}, nil
			}
			d.setParagraphStyle(start, end, style)
			return map[string]any{}, nil
		case "updateTextStyle":
			start, end := rangeOf(body)
			if start < 1 || end <= start || end > len(d.text)+1 {
				return nil, fmt.Errorf("range [%d, %d) is outside the body", start, end)
			}
			fields, _ := body["fields"].(string)
			if fields == "" {
				return nil, fmt.Errorf("updateTextStyle needs fields")
			}
			if fields == "*" || slices.Contains(strings.Split(fields, ","), "link") {
				ts, _ := body["textStyle"].(map[string]any)
				link, _ := ts["link"].(map[string]any)
				url, _ := link["url"].(string)
				d.setLink(start, end, url)
			}
			return map[string]any{}, nil
		default:
			s.violations = append(s.violations, "docs.documents.batchUpdate: request kind "+kind+" is not implemented by googlefake")
			return nil, fmt.Errorf("%s is not implemented by googlefake", kind)
		}
	}
	return nil, nil
}

func rangeOf(body map[string]any) (int, int) {
	r, _ := body["range"].(map[string]any)
	return intOf(r["startIndex"]), intOf(r["endIndex"])
}

func intOf(v any) int {
	f, _ := v.(float64)
	return int(f)
}
