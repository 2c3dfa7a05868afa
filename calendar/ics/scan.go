package ics

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"
)

// Scan reads an ICS file in pieces and calls fn with each Series as soon
// as it is built, in the order Parse would list them, holding in memory
// only one UID's components (plus the file's time zones) at a time besides
// data itself. It stops at the first error: a *ParseError with the file's
// physical line, exactly as Parse reports it, or fn's error, returned as is.
//
// Scan reads data twice. The first pass checks the whole file as Parse
// does before decoding anything, and notes where each VEVENT is, which
// other VEVENTs share its UID, and the calendars' own properties and
// VTIMEZONEs: about 40 bytes per VEVENT are kept (the UIDs only while the
// pass lasts). A file Parse refuses for its structure (lines, BEGIN/END
// nesting, parameters) or its calendars' time zones (X-WR-TIMEZONE) makes
// Scan fail before fn is called. The second pass decodes the VEVENTs of
// one UID at a time, so a malformed VEVENT, or a series that cannot be
// expanded, is found only when its turn comes: after fn has had the
// series before it. The error is still the one Parse reports, even when
// Parse would have found it in a VEVENT further down the file. A caller
// that must store nothing from a malformed file scans it twice, first
// with an fn that keeps nothing.
//
// data must not change during the call; the Series passed to fn do not
// refer to it.
func Scan(data []byte, opt Options, fn func(Series) error) error {
	sc, err := newScanner(data, opt, "Scan")
	if err != nil {
		return err
	}
	r := sc.reader()
	return r.run(0, len(sc.series), fn)
}

// ScanParallel is Scan on several goroutines: the file's series are cut
// into parts runs of about as many bytes each, read at the same time. fn
// learns which part a series is of; it is called concurrently for
// different parts, and in file order within one, every series of part p
// coming before those of part p+1 in the order Scan hands them over. The
// error is the one Scan returns: that of the first part (in file order)
// to fail, as Scan finds it. Once a part fails, those after it stop. A
// panic in a part is raised again in the caller, as Scan would raise it.
func ScanParallel(data []byte, opt Options, parts int, fn func(part int, s Series) error) error {
	sc, err := newScanner(data, opt, "ScanParallel")
	if err != nil {
		return err
	}
	bounds := sc.split(max(parts, 1))
	outcomes := make([]partOutcome, len(bounds)-1)
	var failed atomic.Int64 // the first part to fail so far; len(outcomes) if none
	failed.Store(int64(len(outcomes)))
	var wg sync.WaitGroup
	for p := range outcomes {
		wg.Go(func() {
			defer outcomes[p].catch(p, &failed)
			err := sc.reader().run(bounds[p], bounds[p+1], func(s Series) error {
				if failed.Load() < int64(p) {
					return errPartStopped // an earlier part's error is the one Scan returns
				}
				return fn(p, s)
			})
			outcomes[p].end(err, p, &failed)
		})
	}
	wg.Wait()
	for _, o := range outcomes {
		if o.panicked {
			panic(o.panic)
		}
		if o.err != nil && o.err != errPartStopped {
			return o.err
		}
	}
	return nil
}

// partOutcome is how a part of ScanParallel ended.
type partOutcome struct {
	err      error
	panicked bool
	panic    any
}

// end records err as part p's outcome; unless p stopped for an earlier
// part, p is then the first part to fail if none before it has.
func (o *partOutcome) end(err error, p int, failed *atomic.Int64) {
	o.err = err
	if err == nil || err == errPartStopped {
		return
	}
	for {
		first := failed.Load()
		if first <= int64(p) || failed.CompareAndSwap(first, int64(p)) {
			return
		}
	}
}

// catch, deferred, records a panic of part p as its outcome.
func (o *partOutcome) catch(p int, failed *atomic.Int64) {
	if r := recover(); r != nil {
		o.panicked, o.panic = true, r
		o.end(errPartPanicked, p, failed)
	}
}

// errPartPanicked marks a part that panicked as failed.
var errPartPanicked = errors.New("ics: a part panicked")

// errPartStopped stops a part of ScanParallel after an earlier one failed.
var errPartStopped = errors.New("ics: an earlier part failed")

// newScanner makes Scan's first pass over data and decodes its calendars.
func newScanner(data []byte, opt Options, caller string) (*scanner, error) {
	if !opt.To.After(opt.From) {
		return nil, fmt.Errorf("calendar: %s: empty window [%s, %s)", caller, opt.From.Format(time.RFC3339), opt.To.Format(time.RFC3339))
	}
	sc, perr := indexFile(data)
	if perr != nil {
		return nil, perr
	}
	sc.opt = opt
	if perr := sc.setUp(); perr != nil {
		return nil, perr
	}
	return sc, nil
}

// split cuts the series into parts runs of about as many bytes of the
// file each, and returns where each starts, and after them the end.
func (sc *scanner) split(parts int) []int {
	bounds := make([]int, parts+1)
	for p := 1; p < parts; p++ {
		at := p * len(sc.data) / parts
		bounds[p] = sort.Search(len(sc.series), func(i int) bool { return sc.events[sc.series[i]].begin.pos >= at })
	}
	bounds[parts] = len(sc.series)
	return bounds
}

// scanner is a file as Scan's first pass leaves it: where its VEVENTs are
// and the few lines of each VCALENDAR that are not in a VEVENT. The second
// pass only reads it, so several readers can share it.
type scanner struct {
	data      []byte // without its byte order mark
	opt       Options
	calendars []calendarRef
	events    []eventRef // every VEVENT directly in a VCALENDAR, in file order
	series    []int32    // the first VEVENT of each UID, in order of first appearance
}

// reader is one goroutine's second pass over a scanner, with the buffers
// it reuses from one VEVENT to the next: nothing read from them is kept.
type reader struct {
	*scanner
	lines []logicalLine
	fold  []byte
	dec   icalDecoder
}

func (sc *scanner) reader() *reader { return &reader{scanner: sc} }

// calendarRef is a VCALENDAR: the lines its events need, its own
// properties and its VTIMEZONEs, and once decoded the context they give.
type calendarRef struct {
	lines []logicalLine
	cx    *calContext
}

// eventRef locates a VEVENT in the file. The offsets, not the lines, are
// kept: unfolding the range again gives the same lines.
type eventRef struct {
	begin mark  // its BEGIN line
	end   int   // offset after its END line
	cal   int32 // index into calendars
	next  int32 // the next VEVENT with the same UID, -1 if none
}

// indexFile is Scan's first pass. It makes the checks Parse makes before
// decoding anything (decodeICS), in the same order, so that it finds the
// same error.
func indexFile(data []byte) (*scanner, *ParseError) {
	sc := &scanner{data: bytes.TrimPrefix(data, byteOrderMark)}
	ix := indexer{sc: sc, last: map[string]int32{}}
	u := unfolder{data: sc.data, mark: mark{n: 1}}
	var nest nesting
	var bad *ParseError // the first line whose parameters go-ical rejects
	empty := true
	for {
		l, start, ok := u.next()
		if !ok {
			break
		}
		empty = false
		name, comp, perr := nest.step(&l)
		if perr != nil {
			return nil, earlier(bad, perr)
		}
		if bad == nil {
			bad = badParams(l, name)
		}
		ix.add(l, name, comp, nest.depth(), start, u.pos)
	}
	if empty {
		return nil, errEmpty()
	}
	if perr := nest.finish(); perr != nil {
		return nil, earlier(bad, perr)
	}
	if bad != nil {
		return nil, bad
	}
	return sc, nil
}

// earlier is the line go-ical rejects if it comes before the structural
// problem perr, as decodeICS reports it; else perr.
func earlier(bad, perr *ParseError) *ParseError {
	if bad != nil && bad.Line < perr.Line {
		return bad
	}
	return perr
}

// indexer files the lines of the first pass.
type indexer struct {
	sc    *scanner
	last  map[string]int32 // UID → its last VEVENT so far
	child string           // the component directly in the VCALENDAR being read, if any
	ev    eventRef         // the VEVENT being read
	uid   string           // its UID
	uidAt bool             // whether its UID line has been read
}

// add files l, a line of the file whose property name is name (and
// component comp if it is a BEGIN or END line), at depth once read. start
// is where l starts in the file, end the offset after it.
func (ix *indexer) add(l logicalLine, name, comp string, depth int, start mark, end int) {
	sc := ix.sc
	switch {
	case name == "BEGIN" && depth == 1: // a VCALENDAR
		sc.calendars = append(sc.calendars, calendarRef{lines: []logicalLine{l}})
	case depth == 0 || (depth == 1 && comp == ""): // END:VCALENDAR, or a property of the calendar
		ix.keep(l)
	case name == "BEGIN" && depth == 2:
		ix.child = comp
		if comp == ical.CompEvent {
			ix.ev = eventRef{begin: start, cal: int32(len(sc.calendars) - 1), next: -1}
			ix.uid, ix.uidAt = "", false
		}
		ix.keepTimezone(l)
	case name == "END" && depth == 1:
		ix.keepTimezone(l)
		if ix.child == ical.CompEvent {
			ix.ev.end = end
			ix.endEvent()
		}
		ix.child = ""
	default: // within a component of the calendar
		ix.keepTimezone(l)
		if ix.child == ical.CompEvent && depth == 2 && name == ical.PropUID && !ix.uidAt {
			ix.uid, ix.uidAt = uidKey(l, name), true // the first, as go-ical's Props.Get
		}
	}
}

// keep adds l to the lines of the current VCALENDAR.
func (ix *indexer) keep(l logicalLine) {
	cal := &ix.sc.calendars[len(ix.sc.calendars)-1]
	cal.lines = append(cal.lines, l)
}

func (ix *indexer) keepTimezone(l logicalLine) {
	if ix.child == ical.CompTimezone {
		ix.keep(l)
	}
}

// endEvent files the VEVENT just read under its UID. One without a UID is
// a series of its own: reading it reports the missing UID.
func (ix *indexer) endEvent() {
	sc := ix.sc
	i := int32(len(sc.events))
	sc.events = append(sc.events, ix.ev)
	prev, seen := ix.last[ix.uid]
	switch {
	case ix.uid == "":
		sc.series = append(sc.series, i)
		return
	case seen:
		sc.events[prev].next = i
	default:
		sc.series = append(sc.series, i)
	}
	ix.last[ix.uid] = i
}

// uidKey is the UID of a UID line as parseEvent reads it: the series the
// VEVENT belongs to.
func uidKey(l logicalLine, name string) string {
	value := l.text[len(name)+1:]
	if l.text[len(name)] == ';' {
		p, err := decodeLine(l.text)
		if err != nil {
			return "" // the first pass reports the line
		}
		value = p.Value
	}
	// Not a slice of the line, which the index would keep alive.
	return strings.Clone(strings.TrimSpace(unescapeText(value)))
}

// setUp decodes each VCALENDAR's properties and VTIMEZONEs, as Parse does
// before reading its events. Parse reads every event of the calendars
// before one whose X-WR-TIMEZONE is broken; so does setUp, for their
// errors come first.
func (sc *scanner) setUp() *ParseError {
	r := sc.reader()
	for k := range sc.calendars {
		c := &sc.calendars[k]
		cal, idx, perr := decodeCalendar(c.lines, &r.dec)
		if perr == nil {
			c.cx, perr = newCalContext(propView{comp: cal.Component, idx: idx, lines: c.lines}, sc.opt)
		}
		if perr != nil {
			before := sort.Search(len(sc.events), func(i int) bool { return int(sc.events[i].cal) >= k })
			if first := r.firstEventError(before); first != nil {
				return first
			}
			return perr
		}
	}
	return nil
}

// run is Scan's second pass over the series from to end: UID by UID, it
// decodes the VEVENTs, builds the series and hands it to fn.
func (r *reader) run(from, end int, fn func(Series) error) error {
	sc := r.scanner
	for _, first := range sc.series[from:end] {
		var sp *seriesParts
		for i := first; i >= 0; i = sc.events[i].next {
			v, perr := r.parseEvent(int(i))
			if perr != nil {
				return r.firstError(int(i), perr)
			}
			if sp == nil {
				sp = &seriesParts{uid: v.ev.SeriesUID}
			}
			sp.add(v)
		}
		s, perr := sp.build(sc.opt)
		if perr != nil {
			// Parse reads every VEVENT before it builds any series.
			return r.firstError(len(sc.events), perr)
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// firstError is the error Parse reports when perr is the first found
// after reading the first n VEVENTs: that of one of them if one is
// malformed, as Parse reads them in file order, else perr.
func (r *reader) firstError(n int, perr *ParseError) error {
	if first := r.firstEventError(n); first != nil {
		return first
	}
	return perr
}

// firstEventError reads the first n VEVENTs and returns the first error.
// Errors are rare: it reads again the ones already read rather than
// remember which were.
func (r *reader) firstEventError(n int) *ParseError {
	for i := range n {
		if _, perr := r.parseEvent(i); perr != nil {
			return perr
		}
	}
	return nil
}

// parseEvent decodes the i-th VEVENT on its own, wrapped in a VCALENDAR
// for go-ical, and reads it in its calendar's context.
func (r *reader) parseEvent(i int) (*vevent, *ParseError) {
	sc := r.scanner
	ev := sc.events[i]
	// The VEVENT as one string, its lines slices of it: one allocation
	// rather than one a line, and no reference to data.
	raw := sc.data[ev.begin.pos:ev.end]
	u := unfolder{data: raw, str: string(raw), mark: mark{n: ev.begin.n}, buf: r.fold}
	lines := append(r.lines[:0], logicalLine{text: "BEGIN:" + ical.CompCalendar, line: ev.begin.n})
	for {
		l, _, ok := u.next()
		if !ok {
			break
		}
		lines = append(lines, l)
	}
	lines = append(lines, logicalLine{text: "END:" + ical.CompCalendar, line: lines[len(lines)-1].line})
	r.lines, r.fold = lines, u.buf
	cal, idx, perr := decodeCalendar(lines, &r.dec)
	if perr != nil {
		return nil, perr
	}
	if len(cal.Children) != 1 || len(idx.children) != 1 {
		return nil, &ParseError{Line: ev.begin.n, Reason: "VEVENT: cannot read it again"}
	}
	return sc.calendars[ev.cal].cx.parseEvent(propView{comp: cal.Children[0], idx: idx.children[0], lines: lines})
}

// decodeCalendar decodes the lines of one VCALENDAR, which the first pass
// has checked, with go-ical.
func decodeCalendar(lines []logicalLine, dec *icalDecoder) (*ical.Calendar, *compIndex, *ParseError) {
	index, perr := indexLines(lines)
	if perr != nil {
		return nil, nil, perr
	}
	cals, ok := decodeLines(lines)
	var err error
	if !ok {
		cals, err = dec.decode(lines) // for its error
	}
	switch {
	case err != nil:
		return nil, nil, &ParseError{Line: lines[0].line, Reason: strings.TrimPrefix(err.Error(), "ical: ")}
	case len(cals) != 1 || len(index) != 1:
		return nil, nil, &ParseError{Line: lines[0].line, Reason: fmt.Sprintf("decoded %d calendars, expected 1", len(cals))}
	}
	return cals[0], index[0], nil
}
