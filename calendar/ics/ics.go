package ics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"meetingd/internal/people"
	"meetingd/meetings"
)

// Expansion limits, so that a rule such as FREQ=SECONDLY cannot hang an import.
const (
	maxInstances = 5000      // instances of one series within the window
	maxScanned   = 200_000   // occurrences of one rule examined, those before the window included
	maxInterval  = 1_000_000 // rrule-go overflows, or panics, on huge INTERVALs
)

// Options bounds the expansion of recurring series.
type Options struct {
	From, To time.Time // instances of recurring series starting in [From, To) are produced
}

// Calendar is a parsed calendar file.
type Calendar struct {
	Name   string   // X-WR-CALNAME (or NAME) if present
	Series []Series // one per UID, in file order
}

// Series is every instance of one UID within the window.
type Series struct {
	UID string
	// Recurring is set when the series had RRULE or RDATE, or when the file
	// holds only overridden instances (RECURRENCE-ID) of it.
	Recurring bool
	// Events is sorted by Start. An overridden instance (RECURRENCE-ID)
	// replaces the generated one; EXDATEd instances are absent; a cancelled
	// override or a cancelled series yields Events with Cancelled=true.
	Events []meetings.Event
}

// ParseError is a malformed calendar: the 1-based physical line of the file
// where the problem is and why.
type ParseError struct {
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// Parse reads an RFC 5545 calendar and returns the instances of its
// events that start in [opt.From, opt.To), grouped by UID. A malformed file
// yields a *ParseError.
//
// All-day events keep their calendar date: Start and End are midnight UTC
// and TimeZone is "UTC".
func Parse(r io.Reader, opt Options) (*Calendar, error) {
	if !opt.To.After(opt.From) {
		return nil, fmt.Errorf("calendar: Parse: empty window [%s, %s)", opt.From.Format(time.RFC3339), opt.To.Format(time.RFC3339))
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("calendar: reading ICS: %w", err)
	}
	doc, perr := decodeICS(data)
	if perr != nil {
		return nil, perr
	}
	im := &importer{opt: opt, lines: doc.lines, series: map[string]*seriesParts{}}
	for i, cal := range doc.cals {
		if perr := im.addCalendar(cal, doc.index[i]); perr != nil {
			return nil, perr
		}
	}
	return im.result()
}

// Expand produces the instances of a recurring master event between from
// and to, given its RRULE/RDATE/EXDATE lines as they appear in an ICS file
// (e.g. "RRULE:FREQ=WEEKLY;BYDAY=TU",
// "EXDATE;TZID=Europe/Berlin:20241231T100000"). The master's
// Start/End/TimeZone give DTSTART, the duration and the zone; each instance
// is a copy of master with Start/End moved and RecurrenceID set to its
// original start (UTC). Without RRULE or RDATE the master is returned as
// is, if it starts in the window.
func Expand(master meetings.Event, rules []string, from, to time.Time) ([]meetings.Event, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("recurrence: empty window [%s, %s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	z := utcZone
	if master.TimeZone != "" {
		var ok bool
		if z, ok = lookupZone(master.TimeZone); !ok {
			return nil, fmt.Errorf("recurrence: unknown time zone %q", master.TimeZone)
		}
	}
	dtstart := master.Start.In(z.loc)
	if master.AllDay {
		dtstart = dateOf(dtstart)
	}
	// Floating times in the lines are in the master's zone.
	cx := &calContext{zones: &zoneResolver{}, floating: z}
	var rec recurrence
	for i, text := range rules {
		if perr := cx.addRecurrenceLine(&rec, text, i+1, dtstart, master.AllDay, z); perr != nil {
			return nil, fmt.Errorf("recurrence: %q: %s", text, perr.Reason)
		}
	}
	if !rec.recurring() {
		if inWindow(master.Start, from, to) {
			return []meetings.Event{master}, nil
		}
		return nil, nil
	}
	starts, perr := occurrences(dtstart, &rec, from, to)
	if perr != nil {
		return nil, fmt.Errorf("recurrence: %q: %s", rules[perr.Line-1], perr.Reason)
	}
	dur := master.End.Sub(master.Start)
	out := make([]meetings.Event, 0, len(starts))
	for _, t := range starts {
		out = append(out, instanceAt(master, dur, t))
	}
	return out, nil
}

// --- Reading the file: unfolding, line index, go-ical ---

// logicalLine is an unfolded content line and the physical line it starts on.
type logicalLine struct {
	text string
	line int
}

// compIndex mirrors a go-ical component with the lines it came from, so
// that problems found after decoding can name their line.
type compIndex struct {
	name     string
	begin    int       // index into the lines of its BEGIN
	props    []propRef // in file order
	children []*compIndex
}

// propRef is a property of a component: its upper-case name and line index.
type propRef struct {
	name string
	li   int
}

func (c *compIndex) line(lines []logicalLine) int { return lines[c.begin].line }

// icsDocument is a decoded file: go-ical's calendars and their line index.
type icsDocument struct {
	lines []logicalLine
	cals  []*ical.Calendar
	index []*compIndex // index[i] mirrors cals[i]
}

// decodeICS unfolds and indexes the file, then decodes it with go-ical.
func decodeICS(data []byte) (*icsDocument, *ParseError) {
	lines := unfold(bytes.TrimPrefix(data, byteOrderMark))
	if len(lines) == 0 {
		return nil, errEmpty()
	}
	index, perr := indexLines(lines)
	if perr != nil {
		// A line go-ical rejects before the structural problem is the real one.
		if bad := firstBadLine(lines, perr.Line); bad != nil {
			return nil, bad
		}
		return nil, perr
	}
	cals, err := decodeAll(lines)
	if err != nil {
		if bad := firstBadLine(lines, math.MaxInt); bad != nil {
			return nil, bad
		}
		return nil, &ParseError{Line: lines[0].line, Reason: strings.TrimPrefix(err.Error(), "ical: ")}
	}
	if len(cals) != len(index) {
		return nil, &ParseError{Line: lines[0].line, Reason: fmt.Sprintf("decoded %d calendars, expected %d", len(cals), len(index))}
	}
	return &icsDocument{lines: lines, cals: cals, index: index}, nil
}

var byteOrderMark = []byte("\uFEFF")

func errEmpty() *ParseError {
	return &ParseError{Line: 1, Reason: "empty calendar: expected BEGIN:VCALENDAR"}
}

// unfold splits data into content lines.
func unfold(data []byte) []logicalLine {
	out := make([]logicalLine, 0, bytes.Count(data, []byte("\n"))+1)
	u := unfolder{data: data, str: string(data), mark: mark{n: 1}}
	for {
		l, _, ok := u.next()
		if !ok {
			return out
		}
		out = append(out, l)
	}
}

// mark is a position in a file: the offset of a physical line and its number.
type mark struct {
	pos, n int
}

// unfolder reads the content lines of a file one at a time, joining folded
// continuations (RFC 5545 section 3.1) and dropping blank lines, as
// go-ical's decoder does. Reading a range of the file again gives the same
// lines, which is what lets Scan keep offsets rather than lines.
type unfolder struct {
	data []byte
	str  string // data as a string, if the caller has it: lines are then slices of it
	mark        // the next physical line; the first one read never continues a line
	buf  []byte // a folded line being joined
}

// next returns the next content line and where its first physical line
// starts; ok is false at the end of the data.
func (u *unfolder) next() (l logicalLine, start mark, ok bool) {
	for u.pos < len(u.data) {
		start = u.mark
		text, line := u.physical()
		folded := u.continues()
		if folded {
			u.buf = append(u.buf[:0], text...)
			for u.continues() {
				more, n := u.physical()
				if len(u.buf) == 0 { // a blank line and its continuation: the line starts there
					line = n
				}
				u.buf = append(u.buf, more[1:]...)
			}
			text = u.buf
		}
		switch {
		case len(bytes.TrimSpace(text)) == 0:
			continue
		case u.str != "" && !folded:
			return logicalLine{text: u.str[start.pos : start.pos+len(text)], line: line}, start, true
		}
		return logicalLine{text: string(text), line: line}, start, true
	}
	return logicalLine{}, u.mark, false
}

// physical reads the next physical line, without its line ending.
func (u *unfolder) physical() ([]byte, int) {
	rest, n := u.data[u.pos:], u.n
	u.n++
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		u.pos += i + 1
		rest = rest[:i]
	} else {
		u.pos = len(u.data)
	}
	return bytes.TrimSuffix(rest, []byte("\r")), n
}

// continues says whether the next physical line folds into the current one.
func (u *unfolder) continues() bool {
	return u.pos < len(u.data) && (u.data[u.pos] == ' ' || u.data[u.pos] == '\t')
}

// indexLines checks that every line starts with a property name and that
// BEGIN and END nest, and builds the component tree go-ical will produce.
// It normalises BEGIN/END lines in place, as go-ical is strict about them.
func indexLines(lines []logicalLine) ([]*compIndex, *ParseError) {
	var roots, stack []*compIndex
	var nest nesting
	for i := range lines {
		name, comp, perr := nest.step(&lines[i])
		switch {
		case perr != nil:
			return nil, perr
		case comp == "":
			top := stack[len(stack)-1]
			top.props = append(top.props, propRef{name: name, li: i})
		case name == "BEGIN":
			c := &compIndex{name: comp, begin: i}
			if len(stack) == 0 {
				roots = append(roots, c)
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, c)
			}
			stack = append(stack, c)
		default:
			stack = stack[:len(stack)-1]
		}
	}
	if perr := nest.finish(); perr != nil {
		return nil, perr
	}
	return roots, nil
}

// nesting checks, one content line at a time, that every line starts with
// a property name, that BEGIN and END nest and that all is within a
// VCALENDAR. Parse runs it over the whole file at once, Scan as it reads.
type nesting struct {
	open    []openComp
	started bool // a VCALENDAR has begun
}

// openComp is a component whose END has not come yet.
type openComp struct {
	name string
	line int // of its BEGIN
}

func (c openComp) unclosed() *ParseError {
	return &ParseError{Line: c.line, Reason: fmt.Sprintf("BEGIN:%s has no matching END:%s", c.name, c.name)}
}

// step checks l and returns its upper-case property name and, for a BEGIN
// or END line, the component; it normalises BEGIN/END lines in place.
func (n *nesting) step(l *logicalLine) (name, comp string, perr *ParseError) {
	name, ok := propName(l.text)
	if !ok {
		return "", "", &ParseError{Line: l.line, Reason: fmt.Sprintf("malformed line %q: expected NAME:VALUE", clip(l.text))}
	}
	if name != "BEGIN" && name != "END" {
		if len(n.open) == 0 {
			return "", "", outside(l, n.started)
		}
		return name, "", nil
	}
	if comp, perr = normaliseBeginEnd(l, name); perr != nil {
		return "", "", perr
	}
	if name == "BEGIN" {
		if len(n.open) == 0 && comp != ical.CompCalendar {
			return "", "", outside(l, n.started)
		}
		for _, open := range n.open {
			if open.name == comp { // components never nest in their own kind
				return "", "", open.unclosed()
			}
		}
		n.started = true
		n.open = append(n.open, openComp{name: comp, line: l.line})
		return name, comp, nil
	}
	if len(n.open) == 0 {
		return "", "", &ParseError{Line: l.line, Reason: fmt.Sprintf("END:%s without BEGIN:%s", comp, comp)}
	}
	if top := n.open[len(n.open)-1]; top.name != comp {
		for _, open := range n.open {
			if open.name == comp {
				return "", "", top.unclosed()
			}
		}
		return "", "", &ParseError{Line: l.line, Reason: fmt.Sprintf("END:%s without BEGIN:%s", comp, comp)}
	}
	n.open = n.open[:len(n.open)-1]
	return name, comp, nil
}

// finish reports a component still open at the end of the file.
func (n *nesting) finish() *ParseError {
	if len(n.open) > 0 {
		return n.open[len(n.open)-1].unclosed()
	}
	return nil
}

// depth is how many components are open: 1 within a VCALENDAR's own properties.
func (n *nesting) depth() int { return len(n.open) }

// outside reports a line that is not within a VCALENDAR.
func outside(l *logicalLine, afterCalendar bool) *ParseError {
	if afterCalendar {
		return &ParseError{Line: l.line, Reason: fmt.Sprintf("%q after END:VCALENDAR", clip(l.text))}
	}
	return &ParseError{Line: l.line, Reason: fmt.Sprintf("expected BEGIN:VCALENDAR, got %q", clip(l.text))}
}

// normaliseBeginEnd rewrites a BEGIN or END line to NAME:COMPONENT and
// returns the component name.
func normaliseBeginEnd(l *logicalLine, name string) (string, *ParseError) {
	_, value, _ := strings.Cut(l.text, ":")
	comp := strings.ToUpper(strings.TrimSpace(value))
	if comp == "" {
		return "", &ParseError{Line: l.line, Reason: name + ": missing component name"}
	}
	if len(l.text) != len(name)+1+len(comp) || l.text[len(name)] != ':' || l.text[len(name)+1:] != comp {
		l.text = name + ":" + comp
	}
	return comp, nil
}

// propName returns the upper-case name of a content line, which must be
// letters, digits and dashes (and, leniently, underscores) followed by ';'
// or ':'.
func propName(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ';' || c == ':':
			if i == 0 {
				return "", false
			}
			return strings.ToUpper(s[:i]), true
		case c == '-' || c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z':
		default:
			return "", false
		}
	}
	return "", false
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// firstBadLine finds the first line before line `before` whose parameters
// go-ical rejects.
func firstBadLine(lines []logicalLine, before int) *ParseError {
	for _, l := range lines {
		if l.line >= before {
			break
		}
		if name, ok := propName(l.text); ok {
			if perr := badParams(l, name); perr != nil {
				return perr
			}
		}
	}
	return nil
}

// badParams is go-ical's complaint about the parameters of l, a line whose
// property name propName accepted; nil if it has none. Only lines with
// parameters can fail once propName accepted them.
func badParams(l logicalLine, name string) *ParseError {
	if paramsOK(l.text, len(name)) {
		return nil
	}
	if _, err := decodeLine(l.text); err != nil {
		return &ParseError{Line: l.line, Reason: fmt.Sprintf("%s: %v", name, err)}
	}
	return nil
}

// paramsOK says whether go-ical decodes the parameters of s, whose name
// ends at i, without error or panic. It follows go-ical's lineDecoder step
// by step, so that the costly decoder (a bufio.Reader per call) runs only
// on the rare lines it rejects, for its message.
func paramsOK(s string, i int) bool {
	for i < len(s) && s[i] == ';' {
		eq := strings.IndexByte(s[i+1:], '=') // anywhere further on, as go-ical looks
		if eq <= 0 {
			return false // no '=', or an empty parameter name
		}
		i += 1 + eq + 1
		for {
			if i < len(s) && s[i] == '"' {
				end := strings.IndexByte(s[i+1:], '"')
				if end < 0 {
					return false // unterminated quoted string
				}
				i += 1 + end + 1
			} else {
				for i < len(s) && s[i] != ';' && s[i] != ',' && s[i] != ':' {
					if s[i] == '"' {
						return false // illegal double-quote
					}
					i++
				}
			}
			if i == len(s) || (s[i] != ',' && s[i] != ';' && s[i] != ':') {
				return false // go-ical panics here
			}
			if s[i] != ',' {
				break
			}
			i++
		}
	}
	return i < len(s) && s[i] == ':'
}

// decodeLine decodes a single content line with go-ical.
func decodeLine(text string) (prop *ical.Prop, err error) {
	defer func() {
		if r := recover(); r != nil { // go-ical panics on some truncated parameter lists
			prop, err = nil, errors.New("malformed parameters: expected ':' after them")
		}
	}()
	cal, err := ical.NewDecoder(strings.NewReader("BEGIN:VCALENDAR\r\n" + text + "\r\nEND:VCALENDAR\r\n")).Decode()
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "ical: "))
	}
	for _, ps := range cal.Props {
		return &ps[0], nil
	}
	return nil, errors.New("no property")
}

// decodeAll decodes every VCALENDAR of the unfolded lines with go-ical.
func decodeAll(lines []logicalLine) ([]*ical.Calendar, error) {
	var d icalDecoder
	return d.decode(lines)
}

// icalDecoder decodes unfolded lines with go-ical. It keeps its buffers
// from one call to the next, for Scan decodes each VEVENT on its own: a
// bufio.Reader for each would be most of what Scan allocates.
type icalDecoder struct {
	text []byte
	r    bytes.Reader
	br   *bufio.Reader
}

func (d *icalDecoder) decode(lines []logicalLine) (cals []*ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cals, err = nil, fmt.Errorf("ical: %v", r)
		}
	}()
	n := 0
	for _, l := range lines {
		n += len(l.text) + 2
	}
	d.text = slices.Grow(d.text[:0], n)
	for _, l := range lines {
		d.text = append(append(d.text, l.text...), '\r', '\n')
	}
	d.r.Reset(d.text) // go-ical copies what it keeps
	if d.br == nil {
		d.br = bufio.NewReader(&d.r)
	}
	d.br.Reset(&d.r)
	dec := ical.NewDecoder(d.br) // which keeps d.br rather than wrap it in another
	for {
		cal, err := dec.Decode()
		if err == io.EOF {
			return cals, nil
		}
		if err != nil {
			return nil, err
		}
		cals = append(cals, cal)
	}
}

// propView reads the properties of a component along with their lines.
type propView struct {
	comp  *ical.Component
	idx   *compIndex
	lines []logicalLine
}

// lineOf is the line of the k-th property called name: go-ical keeps the
// values of each name in file order, as the index does.
func (pv propView) lineOf(name string, k int) int {
	for _, p := range pv.idx.props {
		if p.name == name {
			if k == 0 {
				return pv.lines[p.li].line
			}
			k--
		}
	}
	return pv.idx.line(pv.lines)
}

func (pv propView) first(name string) (*ical.Prop, int) {
	p := pv.comp.Props.Get(name)
	if p == nil {
		return nil, 0
	}
	return p, pv.lineOf(name, 0)
}

// text is the unescaped value of a TEXT property, "" if absent.
func (pv propView) text(name string) string {
	if p := pv.comp.Props.Get(name); p != nil {
		return unescapeText(p.Value)
	}
	return ""
}

// unescapeText decodes a TEXT value. go-ical's Prop.Text splits at
// unescaped commas and rejects unknown escapes, which loses text real
// exporters write; a single-valued property is taken whole here.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' || s[i] == 'N' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var caretEscapes = strings.NewReplacer("^n", "\n", "^N", "\n", "^'", `"`, "^^", "^")

// paramText decodes RFC 6868 caret escapes in a parameter value.
func paramText(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	return caretEscapes.Replace(s)
}

// --- Events ---

// importer turns decoded calendars into series.
type importer struct {
	opt    Options
	lines  []logicalLine
	name   string
	series map[string]*seriesParts
	order  []*seriesParts
}

// seriesParts collects the VEVENTs of one UID.
type seriesParts struct {
	uid       string
	master    *vevent
	overrides []*vevent
}

// calContext is what parsing an event needs from its VCALENDAR.
type calContext struct {
	lines       []logicalLine
	zones       *zoneResolver
	floating    zone        // zone of date-times with neither TZID nor Z
	floatingErr *ParseError // why floating is unusable, if it is
}

// vevent is one parsed VEVENT.
type vevent struct {
	ev           meetings.Event
	start        time.Time // DTSTART in its zone; midnight UTC for a date
	zone         zone
	duration     time.Duration
	recurrenceID time.Time // original start of an override, UTC; zero otherwise
	rec          recurrence
	sequence     int
	used         bool // override already matched to an instance
}

// recurrence is a master's RRULE, RDATE and EXDATE properties.
type recurrence struct {
	rules   []rule
	rdates  []time.Time
	exdates []timeValue
	lines   []string // the property lines, for display
}

// rule is a parsed RRULE and the line (or Expand argument) it came from.
type rule struct {
	r    *rrule.RRule
	line int
}

func (r *recurrence) recurring() bool { return len(r.rules) > 0 || len(r.rdates) > 0 }

func (im *importer) addCalendar(cal *ical.Calendar, idx *compIndex) *ParseError {
	pv := propView{comp: cal.Component, idx: idx, lines: im.lines}
	if im.name == "" {
		im.name = calendarName(pv)
	}
	cx, perr := newCalContext(pv, im.opt)
	if perr != nil {
		return perr
	}
	for i, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		v, perr := cx.parseEvent(propView{comp: c, idx: idx.children[i], lines: im.lines})
		if perr != nil {
			return perr
		}
		im.add(v)
	}
	return nil
}

// calendarName is X-WR-CALNAME, or NAME, of a VCALENDAR.
func calendarName(pv propView) string {
	if name := pv.text("X-WR-CALNAME"); name != "" {
		return name
	}
	return pv.text(ical.PropName)
}

// newCalContext reads what the events of a VCALENDAR need from it: its
// VTIMEZONEs and X-WR-TIMEZONE. Only its properties and VTIMEZONEs are
// looked at, which is all Scan decodes of it.
func newCalContext(pv propView, opt Options) (*calContext, *ParseError) {
	cx := &calContext{
		lines:    pv.lines,
		zones:    &zoneResolver{lines: pv.lines, vtimezones: map[string]vtimezone{}, horizon: zoneHorizon(opt.To)},
		floating: utcZone,
	}
	for i, c := range pv.comp.Children {
		if p := c.Props.Get(ical.PropTimezoneID); c.Name == ical.CompTimezone && p != nil {
			cx.zones.vtimezones[unescapeText(p.Value)] = vtimezone{comp: c, idx: pv.idx.children[i]}
		}
	}
	if p, line := pv.first("X-WR-TIMEZONE"); p != nil {
		z, ok, perr := cx.zones.resolve(strings.TrimSpace(p.Value))
		switch {
		case perr != nil:
			return nil, perr
		case ok:
			cx.floating = z
		default: // only an error if some date-time is floating
			cx.floating = zone{}
			cx.floatingErr = &ParseError{Line: line, Reason: fmt.Sprintf("X-WR-TIMEZONE: unknown time zone %q", p.Value)}
		}
	}
	return cx, nil
}

// add files v under its UID.
func (im *importer) add(v *vevent) {
	sp := im.series[v.ev.SeriesUID]
	if sp == nil {
		sp = &seriesParts{uid: v.ev.SeriesUID}
		im.series[sp.uid] = sp
		im.order = append(im.order, sp)
	}
	sp.add(v)
}

// add adds v, an event of the series. Of two copies of the same event the
// one with the higher SEQUENCE wins, or the later one.
func (sp *seriesParts) add(v *vevent) {
	if !v.recurrenceID.IsZero() {
		for i, o := range sp.overrides {
			if o.recurrenceID.Equal(v.recurrenceID) {
				if v.sequence >= o.sequence {
					sp.overrides[i] = v
				}
				return
			}
		}
		sp.overrides = append(sp.overrides, v)
		return
	}
	if sp.master == nil || v.sequence >= sp.master.sequence {
		sp.master = v
	}
}

func (im *importer) result() (*Calendar, error) {
	out := &Calendar{Name: im.name, Series: make([]Series, 0, len(im.order))}
	for _, sp := range im.order {
		s, perr := sp.build(im.opt)
		if perr != nil {
			return nil, perr
		}
		out.Series = append(out.Series, s)
	}
	return out, nil
}

// build expands a series within the window and applies its overrides.
func (sp *seriesParts) build(opt Options) (Series, *ParseError) {
	s := Series{UID: sp.uid}
	from, to := opt.From, opt.To
	overrides := make(map[int64]*vevent, len(sp.overrides))
	for _, o := range sp.overrides {
		overrides[o.recurrenceID.Unix()] = o
	}
	m := sp.master
	switch {
	case m == nil: // instances of a series defined elsewhere
		s.Recurring = true
	case !m.rec.recurring():
		if _, moved := overrides[m.start.Unix()]; !moved && inWindow(m.ev.Start, from, to) {
			s.Events = append(s.Events, m.ev)
		}
	default:
		s.Recurring = true
		starts, perr := occurrences(m.start, &m.rec, from, to)
		if perr != nil {
			return s, perr
		}
		for _, t := range starts {
			if o := overrides[t.Unix()]; o != nil {
				o.used = true
				s.Events = append(s.Events, o.event(m))
				continue
			}
			s.Events = append(s.Events, instanceAt(m.ev, m.duration, t))
		}
	}
	// Overrides of instances the rule does not produce here, or that moved
	// into the window, still count.
	for _, o := range sp.overrides {
		if !o.used && (inWindow(o.recurrenceID, from, to) || inWindow(o.ev.Start, from, to)) {
			s.Events = append(s.Events, o.event(m))
		}
	}
	if m != nil && m.ev.Cancelled {
		for i := range s.Events {
			s.Events[i].Cancelled = true
		}
	}
	slices.SortStableFunc(s.Events, func(a, b meetings.Event) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.RecurrenceID.Compare(b.RecurrenceID)
	})
	return s, nil
}

// event is an override as an instance of master's series.
func (v *vevent) event(master *vevent) meetings.Event {
	e := v.ev
	if master != nil {
		e.Recurrence = slices.Clone(master.rec.lines)
	}
	return e
}

// instanceAt is a copy of master moved to the original start t.
func instanceAt(master meetings.Event, dur time.Duration, t time.Time) meetings.Event {
	e := master
	e.Start = t.UTC()
	e.End = e.Start.Add(dur)
	e.RecurrenceID = e.Start
	e.Attendees = slices.Clone(master.Attendees) // instances must not share
	e.Recurrence = slices.Clone(master.Recurrence)
	return e
}

func inWindow(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// parseEvent reads one VEVENT.
func (cx *calContext) parseEvent(pv propView) (*vevent, *ParseError) {
	v := &vevent{}
	begin := pv.idx.line(pv.lines)
	p, line := pv.first(ical.PropUID)
	if p == nil {
		return nil, &ParseError{Line: begin, Reason: "VEVENT: missing UID"}
	}
	if v.ev.SeriesUID = strings.TrimSpace(unescapeText(p.Value)); v.ev.SeriesUID == "" {
		return nil, &ParseError{Line: line, Reason: "UID: empty"}
	}
	if perr := cx.parseWhen(pv, v, begin); perr != nil {
		return nil, perr
	}
	if p, line := pv.first(ical.PropRecurrenceID); p != nil {
		rid, perr := cx.parseTime(p, p.Value, line, v.zone)
		if perr != nil {
			return nil, perr
		}
		v.recurrenceID = rid.t.UTC()
		v.ev.RecurrenceID = v.recurrenceID
	} else if perr := cx.parseRecurrence(pv, v); perr != nil {
		return nil, perr
	}
	v.ev.Title = pv.text(ical.PropSummary)
	v.ev.Description = pv.text(ical.PropDescription)
	v.ev.Cancelled = strings.EqualFold(strings.TrimSpace(pv.text(ical.PropStatus)), string(ical.EventCancelled))
	switch strings.ToUpper(strings.TrimSpace(pv.text(ical.PropClass))) {
	case "PRIVATE", "CONFIDENTIAL":
		v.ev.Private = true
	}
	v.sequence, _ = strconv.Atoi(strings.TrimSpace(pv.text(ical.PropSequence)))
	v.ev.Organizer, v.ev.Attendees = eventPeople(pv.comp)
	return v, nil
}

// parseWhen reads DTSTART, DTEND and DURATION.
func (cx *calContext) parseWhen(pv propView, v *vevent, begin int) *ParseError {
	sp, line := pv.first(ical.PropDateTimeStart)
	if sp == nil {
		return &ParseError{Line: begin, Reason: "VEVENT: missing DTSTART"}
	}
	st, perr := cx.parseTime(sp, sp.Value, line, cx.floating)
	if perr != nil {
		return perr
	}
	v.start, v.zone = st.t, st.zone
	v.ev.Start = st.t.UTC()
	v.ev.AllDay = st.date
	v.ev.TimeZone = st.zone.eventName()
	if ep, line := pv.first(ical.PropDateTimeEnd); ep != nil {
		et, perr := cx.parseTime(ep, ep.Value, line, st.zone)
		if perr != nil {
			return perr
		}
		if et.t.Before(st.t) {
			return &ParseError{Line: line, Reason: fmt.Sprintf("DTEND %s is before DTSTART %s", et.t.UTC().Format(time.RFC3339), v.ev.Start.Format(time.RFC3339))}
		}
		v.duration = et.t.Sub(st.t)
	} else if dp, line := pv.first(ical.PropDuration); dp != nil {
		d, err := dp.Duration()
		switch {
		case err != nil:
			return &ParseError{Line: line, Reason: fmt.Sprintf("DURATION: cannot parse %q as a duration", dp.Value)}
		case d < 0:
			return &ParseError{Line: line, Reason: fmt.Sprintf("DURATION: %q is negative", dp.Value)}
		}
		v.duration = d
	} else if st.date {
		v.duration = 24 * time.Hour // RFC 5545 3.6.1: a date without DTEND lasts the day
	}
	v.ev.End = v.ev.Start.Add(v.duration)
	return nil
}

// parseRecurrence reads a master's RRULE, RDATE and EXDATE lines, in file order.
func (cx *calContext) parseRecurrence(pv propView, v *vevent) *ParseError {
	seen := map[string]int{}
	for _, ref := range pv.idx.props {
		switch ref.name {
		case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates:
		default:
			continue
		}
		p := &pv.comp.Props[ref.name][seen[ref.name]]
		seen[ref.name]++
		l := pv.lines[ref.li]
		if perr := cx.addRecurrence(&v.rec, p, l.line, v.start, v.ev.AllDay, v.zone); perr != nil {
			return perr
		}
		v.rec.lines = append(v.rec.lines, l.text)
	}
	v.ev.Recurrence = v.rec.lines
	return nil
}

// addRecurrenceLine adds one of Expand's lines to rec; ref numbers it.
func (cx *calContext) addRecurrenceLine(rec *recurrence, text string, ref int, dtstart time.Time, allDay bool, z zone) *ParseError {
	name, ok := propName(text)
	if strings.ContainsAny(text, "\r\n") || !ok ||
		(name != ical.PropRecurrenceRule && name != ical.PropRecurrenceDates && name != ical.PropExceptionDates) {
		return &ParseError{Line: ref, Reason: "expected an RRULE, RDATE or EXDATE line"}
	}
	p, err := decodeLine(text)
	if err != nil {
		return &ParseError{Line: ref, Reason: fmt.Sprintf("%s: %v", name, err)}
	}
	if perr := cx.addRecurrence(rec, p, ref, dtstart, allDay, z); perr != nil {
		return perr
	}
	rec.lines = append(rec.lines, text)
	return nil
}

// addRecurrence adds an RRULE, RDATE or EXDATE property to rec. Floating
// dates in it are in z, the zone of the series.
func (cx *calContext) addRecurrence(rec *recurrence, p *ical.Prop, line int, dtstart time.Time, allDay bool, z zone) *ParseError {
	if p.Name == ical.PropRecurrenceRule {
		r, perr := parseRule(p.Value, line, dtstart, allDay)
		if perr != nil {
			return perr
		}
		rec.rules = append(rec.rules, rule{r: r, line: line})
		return nil
	}
	tvs, perr := cx.parseTimes(p, line, z)
	if perr != nil {
		return perr
	}
	if p.Name == ical.PropExceptionDates {
		rec.exdates = append(rec.exdates, tvs...)
		return nil
	}
	for _, tv := range tvs {
		t := tv.t
		switch {
		case tv.date && !allDay: // a date in a timed series: at the series' time of day
			h, m, s := dtstart.Clock()
			t = time.Date(t.Year(), t.Month(), t.Day(), h, m, s, 0, dtstart.Location())
		case !tv.date && allDay:
			t = dateOf(t)
		}
		rec.rdates = append(rec.rdates, t)
	}
	return nil
}

// eventPeople reads ORGANIZER and ATTENDEE.
func eventPeople(c *ical.Component) (meetings.EventPerson, []meetings.EventAttendee) {
	var org meetings.EventPerson
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		org = meetings.EventPerson{Email: people.NormalizeEmail(p.Value), Name: paramText(p.Params.Get(ical.ParamCommonName))}
	}
	var out []meetings.EventAttendee
	if n := len(c.Props.Values(ical.PropAttendee)); n > 0 {
		out = make([]meetings.EventAttendee, 0, n) // not grown one by one
	}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		role, ok := attendeeRoles[strings.ToUpper(p.Params.Get(ical.ParamRole))]
		if !ok {
			role = meetings.RoleRequired // x-name roles
		}
		if role == "" {
			continue // NON-PARTICIPANT: in copy for information only
		}
		rsvp, ok := attendeeRSVPs[strings.ToUpper(p.Params.Get(ical.ParamParticipationStatus))]
		if !ok {
			rsvp = meetings.RSVPNeedsAction
		}
		cutype := strings.ToUpper(p.Params.Get(ical.ParamCalendarUserType))
		out = append(out, meetings.EventAttendee{
			EventPerson: meetings.EventPerson{Email: people.NormalizeEmail(p.Value), Name: paramText(p.Params.Get(ical.ParamCommonName))},
			Role:        role,
			RSVP:        rsvp,
			Resource:    cutype == "ROOM" || cutype == "RESOURCE",
		})
	}
	if len(out) == 0 {
		out = nil // none, as when there was no ATTENDEE to make room for
	}
	return org, out
}

var attendeeRoles = map[string]string{
	"CHAIR":           meetings.RoleSpeaker,
	"REQ-PARTICIPANT": meetings.RoleRequired,
	"":                meetings.RoleRequired,
	"OPT-PARTICIPANT": meetings.RoleOptional,
	"NON-PARTICIPANT": "",
}

var attendeeRSVPs = map[string]string{
	"ACCEPTED":     meetings.RSVPAccepted,
	"DECLINED":     meetings.RSVPDeclined,
	"TENTATIVE":    meetings.RSVPTentative,
	"NEEDS-ACTION": meetings.RSVPNeedsAction,
}

// --- Date-times ---

// timeValue is a parsed DATE or DATE-TIME.
type timeValue struct {
	t    time.Time // in its zone; a date is midnight UTC
	date bool
	zone zone
}

// parseTimes parses the comma-separated values of an RDATE or EXDATE.
func (cx *calContext) parseTimes(p *ical.Prop, line int, floating zone) ([]timeValue, *ParseError) {
	var out []timeValue
	for v := range strings.SplitSeq(p.Value, ",") {
		tv, perr := cx.parseTime(p, v, line, floating)
		if perr != nil {
			return nil, perr
		}
		out = append(out, tv)
	}
	return out, nil
}

// parseTime parses one DATE or DATE-TIME value of p, in p's TZID, in UTC
// for a trailing Z, else in floating.
func (cx *calContext) parseTime(p *ical.Prop, value string, line int, floating zone) (timeValue, *ParseError) {
	value = strings.TrimSpace(value)
	vt := strings.ToUpper(p.Params.Get(ical.ParamValue))
	if vt == string(ical.ValuePeriod) { // RDATE periods: the start is what recurs
		value, _, _ = strings.Cut(value, "/")
		vt = ""
	}
	date := vt == string(ical.ValueDate) || (vt == "" && len(value) == 8)
	bad := func() *ParseError {
		kind := "date-time"
		if date {
			kind = "date"
		}
		return &ParseError{Line: line, Reason: fmt.Sprintf("%s: cannot parse %q as a %s", p.Name, value, kind)}
	}
	if date != (len(value) == 8) {
		return timeValue{}, bad()
	}
	z := utcZone
	if !date && !strings.HasSuffix(value, "Z") {
		var perr *ParseError
		if z, perr = cx.zoneOf(p, line, floating); perr != nil {
			return timeValue{}, perr
		}
	}
	// A nameless property makes go-ical tell dates from date-times by length.
	t, err := (&ical.Prop{Value: value}).DateTime(z.loc)
	if err != nil {
		return timeValue{}, bad()
	}
	return timeValue{t: t, date: date, zone: z}, nil
}

// zoneOf is the zone of a local date-time of p.
func (cx *calContext) zoneOf(p *ical.Prop, line int, floating zone) (zone, *ParseError) {
	tzid := p.Params.Get(ical.ParamTimezoneID)
	if tzid == "" {
		if floating.loc == nil {
			return zone{}, cx.floatingErr
		}
		return floating, nil
	}
	z, ok, perr := cx.zones.resolve(tzid)
	if perr != nil {
		return zone{}, perr
	}
	if !ok {
		return zone{}, &ParseError{Line: line, Reason: fmt.Sprintf("%s: unknown TZID %q", p.Name, tzid)}
	}
	return z, nil
}

// dateOf is t's calendar date as midnight UTC.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// --- Recurrence ---

// parseRule parses an RRULE value for a series starting at dtstart,
// evaluated in dtstart's zone so that local times survive DST changes.
func parseRule(value string, line int, dtstart time.Time, allDay bool) (*rrule.RRule, *ParseError) {
	bad := func(why string) *ParseError {
		return &ParseError{Line: line, Reason: fmt.Sprintf("RRULE: invalid rule %q: %s", value, why)}
	}
	v := strings.ToUpper(strings.TrimRight(strings.TrimSpace(value), ";"))
	opt, err := rrule.StrToROptionInLocation(v, dtstart.Location())
	if err != nil {
		return nil, bad(err.Error())
	}
	if opt.Interval > maxInterval {
		return nil, bad(fmt.Sprintf("INTERVAL above %d", maxInterval))
	}
	opt.Dtstart = dtstart
	switch {
	case opt.Until.IsZero() && opt.Count == 0:
		// rrule-go otherwise stops 292 years after DTSTART, too early for
		// Outlook's VTIMEZONEs (DTSTART 1601) and Apple's birthdays (1604).
		opt.Until = endOfTime
	case !allDay && untilIsDate(v): // a date UNTIL includes its whole day
		opt.Until = opt.Until.AddDate(0, 0, 1).Add(-time.Second)
	}
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, bad(err.Error())
	}
	if err := checkTermination(opt); err != nil {
		return nil, bad(err.Error())
	}
	return r, nil
}

var endOfTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

func untilIsDate(rule string) bool {
	for part := range strings.SplitSeq(rule, ";") {
		if v, ok := strings.CutPrefix(part, "UNTIL="); ok {
			return len(v) == 8
		}
	}
	return false
}

// checkTermination rejects sub-daily rules rrule-go would search forever:
// its iterator checks COUNT and UNTIL only on a match, and steps through
// the times of day until one passes BYHOUR, BYMINUTE and BYSECOND. Coarser
// rules give up at the year 9999 at worst, which takes milliseconds.
func checkTermination(o *rrule.ROption) error {
	if o.Freq < rrule.HOURLY {
		return nil
	}
	if len(o.Bysetpos) > 0 {
		return fmt.Errorf("BYSETPOS with FREQ=%s is not supported", o.Freq)
	}
	if !timeReachable(o) {
		return errors.New("BYHOUR, BYMINUTE and BYSECOND never match at this INTERVAL")
	}
	if !dateReachable(o) {
		return errors.New("no date matches its BYxxx parts")
	}
	return nil
}

// timeReachable says whether a sub-daily rule's steps ever land on a time
// of day its BYHOUR/BYMINUTE/BYSECOND allow.
func timeReachable(o *rrule.ROption) bool {
	h0, m0, s0 := o.Dtstart.Clock()
	all := func(n int) []int {
		r := make([]int, n)
		for i := range r {
			r[i] = i
		}
		return r
	}
	hours, minutes, seconds := o.Byhour, []int{0}, []int{0}
	if len(hours) == 0 {
		hours = all(24)
	}
	steps, start := 24, h0 // the iterator's unit and where it starts, per day
	if o.Freq >= rrule.MINUTELY {
		steps, start = steps*60, start*60+m0
		if minutes = o.Byminute; len(minutes) == 0 {
			minutes = all(60)
		}
	}
	if o.Freq == rrule.SECONDLY {
		steps, start = steps*60, start*60+s0
		if seconds = o.Bysecond; len(seconds) == 0 {
			seconds = all(60)
		}
	}
	g := gcd(max(o.Interval, 1), steps)
	for _, h := range hours {
		for _, m := range minutes {
			for _, s := range seconds {
				pos := h
				if o.Freq >= rrule.MINUTELY {
					pos = pos*60 + m
				}
				if o.Freq == rrule.SECONDLY {
					pos = pos*60 + s
				}
				if ((pos-start)%g+g)%g == 0 {
					return true
				}
			}
		}
	}
	return false
}

// dateReachable probes the rule's date parts with a DAILY rule, which
// rrule-go gives up on within milliseconds.
func dateReachable(o *rrule.ROption) (ok bool) {
	if len(o.Bymonth)+len(o.Bymonthday)+len(o.Byyearday)+len(o.Byweekno)+len(o.Byweekday)+len(o.Byeaster) == 0 {
		return true
	}
	probe := rrule.ROption{
		Freq: rrule.DAILY, Dtstart: o.Dtstart, Wkst: o.Wkst, Count: 1,
		Bymonth: o.Bymonth, Bymonthday: o.Bymonthday, Byyearday: o.Byyearday,
		Byweekno: o.Byweekno, Byeaster: o.Byeaster,
	}
	for _, w := range o.Byweekday { // ordinals mean nothing below MONTHLY
		probe.Byweekday = append(probe.Byweekday, rruleWeekdays[w.Day()])
	}
	r, err := rrule.NewRRule(probe)
	if err != nil {
		return true // NewRRule on the rule itself reports it
	}
	defer func() {
		if recover() != nil {
			ok = true // expanding the rule itself will report it
		}
	}()
	_, ok = r.Iterator()()
	return ok
}

var rruleWeekdays = []rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// occurrences returns the original starts in [from, to), sorted, of a
// series starting at dtstart: DTSTART itself (RFC 5545 counts it even if
// the rule does not match it), the RRULEs and RDATEs, less the EXDATEs.
func occurrences(dtstart time.Time, rec *recurrence, from, to time.Time) (out []time.Time, perr *ParseError) {
	line := 0
	defer func() {
		if r := recover(); r != nil { // rrule-go panics on some extreme rules
			out, perr = nil, &ParseError{Line: line, Reason: fmt.Sprintf("RRULE: cannot expand: %v", r)}
		}
	}()
	add := func(t time.Time) {
		if inWindow(t, from, to) {
			out = append(out, t)
		}
	}
	add(dtstart)
	for _, t := range rec.rdates {
		add(t)
	}
	generated := 0
	for _, ru := range rec.rules {
		line = ru.line
		next := ru.r.Iterator()
		for scanned := 0; ; scanned++ {
			t, ok := next()
			if !ok || !t.Before(to) {
				break
			}
			if scanned == maxScanned {
				return nil, &ParseError{Line: ru.line, Reason: fmt.Sprintf("RRULE: more than %d occurrences before %s", maxScanned, to.Format(time.RFC3339))}
			}
			if t.Before(from) {
				continue
			}
			if generated++; generated > maxInstances {
				return nil, &ParseError{Line: ru.line, Reason: fmt.Sprintf("RRULE: more than %d instances between %s and %s", maxInstances, from.Format(time.RFC3339), to.Format(time.RFC3339))}
			}
			out = append(out, t)
		}
	}
	out = removeExdates(out, rec.exdates, dtstart.Location())
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal), nil
}

// removeExdates drops the starts an EXDATE names: by instant, or by date
// (in the series' zone) for a DATE EXDATE.
func removeExdates(starts []time.Time, exdates []timeValue, loc *time.Location) []time.Time {
	if len(exdates) == 0 {
		return starts
	}
	instants := map[int64]bool{}
	dates := map[int64]bool{}
	for _, ex := range exdates {
		if ex.date {
			dates[dateOf(ex.t).Unix()] = true
		} else {
			instants[ex.t.Unix()] = true
		}
	}
	return slices.DeleteFunc(starts, func(t time.Time) bool {
		return instants[t.Unix()] || dates[dateOf(t.In(loc)).Unix()]
	})
}

// zoneHorizon is how far VTIMEZONE rules are expanded: far enough for any
// meeting, and past the window.
func zoneHorizon(to time.Time) time.Time {
	h := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if to.After(h) {
		return to.AddDate(1, 0, 0)
	}
	return h
}
