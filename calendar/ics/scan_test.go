package ics

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// scanAll collects what Scan hands over.
func scanAll(data []byte, opt Options) ([]Series, error) {
	var out []Series
	err := Scan(data, opt, func(s Series) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// scanParallelAll collects what ScanParallel hands over, part after part.
func scanParallelAll(data []byte, opt Options, parts int) ([]Series, error) {
	got := make([][]Series, parts)
	err := ScanParallel(data, opt, parts, func(part int, s Series) error {
		got[part] = append(got[part], s)
		return nil
	})
	return concat(got...), err
}

// scanMismatch says how Scan, or ScanParallel, disagrees with Parse on
// data, "" if neither does.
func scanMismatch(data []byte, opt Options) string {
	if m := scanMismatchWith(data, opt, "Scan", scanAll); m != "" {
		return m
	}
	for _, parts := range []int{2, 3} {
		scan := func(data []byte, opt Options) ([]Series, error) { return scanParallelAll(data, opt, parts) }
		if m := scanMismatchWith(data, opt, fmt.Sprintf("ScanParallel(%d)", parts), scan); m != "" {
			return m
		}
	}
	return ""
}

func scanMismatchWith(data []byte, opt Options, name string, scan func([]byte, Options) ([]Series, error)) string {
	cal, perr := Parse(bytes.NewReader(data), opt)
	got, serr := scan(data, opt)
	switch {
	case perr != nil:
		var want, have *ParseError
		if errors.As(perr, &want) != errors.As(serr, &have) || serr == nil ||
			(want != nil && *want != *have) {
			return fmt.Sprintf("Parse: %v\n %s: %v", perr, name, serr)
		}
	case serr != nil:
		return fmt.Sprintf("Parse succeeded, %s: %v", name, serr)
	case len(cal.Series) != len(got) || (len(got) > 0 && !reflect.DeepEqual(cal.Series, got)):
		return fmt.Sprintf("series differ:\nParse %+v\n %s %+v", cal.Series, name, got)
	}
	return ""
}

func checkScanMatchesParse(t *testing.T, name string, data []byte, opt Options) {
	t.Helper()
	if m := scanMismatch(data, opt); m != "" {
		t.Errorf("%s: %s", name, m)
	}
}

var scanWindows = []Options{
	{From: march, To: may},
	{From: march, To: june},
	{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
}

func testdataFiles(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob("testdata/*.ics")
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	out := map[string][]byte{}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(name)] = data
	}
	return out
}

// scanDocs are files whose series or errors depend on what Scan does
// differently from Parse: reading VEVENTs UID by UID, several calendars,
// and reporting the error Parse finds first.
var scanDocs = map[string]string{
	"overrides before and after the master, between other series": doc(
		"BEGIN:VEVENT", "UID:w", "RECURRENCE-ID:20240319T100000Z", "DTSTART:20240320T100000Z", "SUMMARY:moved", "END:VEVENT",
		"BEGIN:VEVENT", "UID:single", "DTSTART:20240312T120000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:w", "DTSTART:20240305T100000Z", "RRULE:FREQ=WEEKLY;COUNT=6", "SUMMARY:weekly", "END:VEVENT",
		"BEGIN:VEVENT", "UID:orphan", "RECURRENCE-ID:20240401T090000Z", "DTSTART:20240401T090000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:w", "RECURRENCE-ID:20240326T100000Z", "DTSTART:20240326T100000Z", "STATUS:CANCELLED", "END:VEVENT",
		"BEGIN:VEVENT", "UID:w", "SEQUENCE:2", "RECURRENCE-ID:20240319T100000Z", "DTSTART:20240321T100000Z", "SUMMARY:moved again", "END:VEVENT",
		"BEGIN:VEVENT", "UID:w", "SEQUENCE:1", "RECURRENCE-ID:20240319T100000Z", "DTSTART:20240322T100000Z", "SUMMARY:stale", "END:VEVENT",
	),
	"duplicates by SEQUENCE": doc(
		"BEGIN:VEVENT", "UID:d", "SEQUENCE:3", "DTSTART:20240312T100000Z", "SUMMARY:v3", "END:VEVENT",
		"BEGIN:VEVENT", "UID:d", "SEQUENCE:1", "DTSTART:20240313T100000Z", "SUMMARY:v1", "END:VEVENT",
		"BEGIN:VEVENT", "UID:d", "SEQUENCE:3", "DTSTART:20240314T100000Z", "SUMMARY:v3 again", "END:VEVENT",
	),
	"UIDs as parseEvent reads them": doc(
		"BEGIN:VEVENT", "uid:  spaced  ", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID;X-KIND=\"a;b:c\":spaced", "DTSTART:20240313T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", `UID:esc\,aped\;uid`, "DTSTART:20240314T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:esc,aped;u", " id", "DTSTART:20240315T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "BEGIN:VALARM", "UID:alarm", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM",
		"UID:after-alarm", "UID:second", "DTSTART:20240316T100000Z", "END:VEVENT",
		"BEGIN:VTODO", "UID:todo", "BEGIN:VALARM", "ACTION:DISPLAY", "END:VALARM", "END:VTODO",
		"BEGIN:VEVENT", "UID:alarm", "DTSTART:20240317T100000Z", "END:VEVENT",
	),
	"blank lines, a blank line's continuation and odd BEGIN lines": "\uFEFFBEGIN:VCALENDAR\n\nbegin : vevent \r\nUID:a\r\n\r\n DTSTART:20240312T100000Z\n\t\r\nSUMMARY:x\r\n  y\r\nEND:VEVENT\r\n\r\nEND:VCALENDAR",
	"time zones defined after the events": doc(
		"X-WR-TIMEZONE:Customized Time Zone",
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTART;TZID=Customized Time Zone:20240401T100000", "RRULE:FREQ=DAILY;COUNT=3", "END:VEVENT",
		"BEGIN:VTIMEZONE", "TZID:Customized Time Zone",
		"BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT",
		"END:VTIMEZONE",
	),
	"two calendars sharing a UID, each with its own zones": strings.Join([]string{
		"BEGIN:VCALENDAR", "X-WR-TIMEZONE:Europe/Berlin", "X-WR-CALNAME:One",
		"BEGIN:VEVENT", "UID:shared", "DTSTART:20240305T100000", "RRULE:FREQ=WEEKLY;COUNT=4", "END:VEVENT",
		"BEGIN:VEVENT", "UID:first", "DTSTART:20240306T100000", "END:VEVENT",
		"END:VCALENDAR",
		"BEGIN:VCALENDAR", "X-WR-TIMEZONE:America/New_York",
		"BEGIN:VEVENT", "UID:second", "DTSTART:20240307T100000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:shared", "RECURRENCE-ID;TZID=Europe/Berlin:20240312T100000", "DTSTART:20240312T100000", "END:VEVENT",
		"END:VCALENDAR", ""}, "\r\n"),
	"a broken series first, a malformed VEVENT last": doc(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "RRULE:FREQ=MINUTELY", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:c", "DTSTART:20240312T100000Z", "DTEND:20240312T090000Z", "END:VEVENT",
	),
	"two broken series": doc(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTART:20240312T100000Z", "RRULE:FREQ=MINUTELY", "END:VEVENT",
		"BEGIN:VEVENT", "UID:c", "DTSTART:20240312T100000Z", "RRULE:FREQ=SECONDLY", "END:VEVENT",
	),
	"a later UID's malformed VEVENT before an earlier UID's": doc(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "RRULE:FREQ=DAILY;COUNT=3", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTART:20240312T100000Z", "DURATION:nope", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20240313T100000Z", "DTSTART:later", "END:VEVENT",
	),
	"a VEVENT without UID between others": doc(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20240313T100000Z", "DTSTART:20240313T100000", "END:VEVENT",
	),
	"an empty UID, then a real one": doc(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID: ", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT",
	),
	"a broken X-WR-TIMEZONE in the second calendar, a malformed VEVENT in the first": strings.Join([]string{
		"BEGIN:VCALENDAR",
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTART:someday", "END:VEVENT",
		"END:VCALENDAR",
		"BEGIN:VCALENDAR", "X-WR-TIMEZONE:Broken",
		"BEGIN:VTIMEZONE", "TZID:Broken", "BEGIN:STANDARD", "DTSTART:16010101T000000", "TZOFFSETFROM:+0100", "END:STANDARD", "END:VTIMEZONE",
		"END:VCALENDAR", ""}, "\r\n"),
	"a broken X-WR-TIMEZONE in the second calendar": strings.Join([]string{
		"BEGIN:VCALENDAR",
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT",
		"END:VCALENDAR",
		"BEGIN:VCALENDAR", "X-WR-TIMEZONE:Broken",
		"BEGIN:VTIMEZONE", "TZID:Broken", "BEGIN:STANDARD", "DTSTART:16010101T000000", "TZOFFSETFROM:+0100", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:b", "DTSTART:someday", "END:VEVENT",
		"END:VCALENDAR", ""}, "\r\n"),
	"bad parameters after a structural error": doc(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VTODO",
		"ATTENDEE;CN=\"x:mailto:a@example.com", "END:VEVENT"),
	"bad parameters before a structural error": doc(
		"BEGIN:VEVENT", "UID:a", "ATTENDEE;CN=\"x:mailto:a@example.com", "DTSTART:20240312T100000Z", "END:VTODO", "END:VEVENT"),
	"bad parameters in a later VEVENT, a malformed one before": doc(
		"BEGIN:VEVENT", "UID:a", "DTSTART:bad", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTART:20240312T100000Z", "ATTENDEE;CN=x;ROLE:mailto:a@example.com", "END:VEVENT"),
	"bad parameters in a BEGIN line": doc(
		"BEGIN;X=\"q:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT"),
}

// TestScanMatchesParse runs Scan and Parse over the test files, the inline
// documents and the error table: same series in the same order, or the
// same error.
func TestScanMatchesParse(t *testing.T) {
	inputs := map[string][]byte{}
	for name, data := range testdataFiles(t) {
		inputs[name] = data
	}
	for name, text := range scanDocs {
		inputs[name] = []byte(text)
	}
	for _, tc := range parseErrorTests {
		inputs["error table: "+tc.name] = []byte(tc.input)
	}
	for name, data := range inputs {
		for _, opt := range scanWindows {
			checkScanMatchesParse(t, fmt.Sprintf("%s [%s, %s)", name, opt.From.Format(time.DateOnly), opt.To.Format(time.DateOnly)), data, opt)
		}
	}
}

// TestScanMatchesParseMutated breaks the test files and documents line by
// line (dropping a line, cutting the file short, repeating a line, swapping
// it with the next) so that errors turn up everywhere: Scan must still
// agree with Parse. Each line of a test file is broken one way only, in
// turn: some runs of them take 35 ms, building Outlook's VTIMEZONEs.
func TestScanMatchesParseMutated(t *testing.T) {
	inputs := testdataFiles(t)
	for name, text := range scanDocs {
		inputs[name] = []byte(text)
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			lines := strings.SplitAfter(string(data), "\n")
			for i := range lines {
				variants := map[string][]string{
					"without": concat(lines[:i], lines[i+1:]),
					"cut at":  lines[:i],
					"twice":   concat(lines[:i+1], lines[i:]),
					"swapped": concat(lines[:i], lines[min(i+1, len(lines)):min(i+2, len(lines))], lines[i:i+1], lines[min(i+2, len(lines)):]),
				}
				only := ""
				if strings.HasSuffix(name, ".ics") {
					only = []string{"without", "cut at", "twice", "swapped"}[i%4]
				}
				for how, v := range variants {
					if only == "" || how == only {
						checkScanMatchesParse(t, fmt.Sprintf("%s line %d", how, i+1), []byte(strings.Join(v, "")), Options{From: march, To: may})
					}
				}
			}
		})
	}
}

func concat[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func FuzzScanMatchesParse(f *testing.F) {
	for _, data := range testdataFiles(f) {
		f.Add(data)
	}
	for _, text := range scanDocs {
		f.Add([]byte(text))
	}
	for _, tc := range parseErrorTests {
		f.Add([]byte(tc.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			t.Skip()
		}
		if m := scanMismatch(data, Options{From: march, To: may}); m != "" {
			t.Error(m)
		}
	})
}

// paramsOK must accept exactly the lines go-ical decodes: every short
// line over the characters that matter to it, and some longer ones.
func TestParamsOKMatchesGoICal(t *testing.T) {
	check := func(line string) {
		if name, ok := propName(line); ok {
			_, err := decodeLine(line)
			if got := paramsOK(line, len(name)); got != (err == nil) {
				t.Errorf("paramsOK(%q) = %v, go-ical says %v", line, got, err)
			}
		}
	}
	alphabet := []byte{';', ':', ',', '=', '"', 'a'}
	var walk func(prefix []byte, depth int)
	walk = func(prefix []byte, depth int) {
		check("X" + string(prefix))
		if depth > 0 {
			for _, c := range alphabet {
				walk(append(prefix, c), depth-1)
			}
		}
	}
	walk(nil, 6)
	for _, line := range []string{
		`X;a="",a:`, `X;a=a,"a":`, `X;a="a"a:`, `X;a="a",:`, `X;a:b=c`, `X;a="a:b";c=d:e`, `X;a=b;c="d`,
		`ATTENDEE;CN="Vogel, Lena";ROLE=REQ-PARTICIPANT:mailto:l@example.com`, `DTSTART;TZID=Europe/Berlin`,
		`DTSTART;TZID="Europe/Berlin:20240312T100000`, `X;A=B;C`, `X;A=B,C;D=E:`,
	} {
		check(line)
	}
}

func FuzzParamsOK(f *testing.F) {
	f.Add(`DTSTART;TZID="Europe/Berlin":20240312T100000`)
	f.Add(`ATTENDEE;CN="A, B";ROLE=REQ-PARTICIPANT,X:mailto:a@example.com`)
	f.Fuzz(func(t *testing.T, line string) {
		name, ok := propName(line)
		// BEGIN and END lines are normalised, without parameters, before
		// their parameters are looked at; wrapped by decodeLine they end
		// its VCALENDAR.
		if !ok || name == "BEGIN" || name == "END" || strings.ContainsAny(line, "\r\n") {
			t.Skip()
		}
		if _, err := decodeLine(line); paramsOK(line, len(name)) != (err == nil) {
			t.Errorf("paramsOK(%q) = %v, go-ical says %v", line, err != nil, err)
		}
	})
}

// Problems Parse finds before decoding events stop Scan before fn.
func TestScanChecksFileFirst(t *testing.T) {
	event := []string{"BEGIN:VEVENT", "UID:a", "DTSTART:20240312T100000Z", "END:VEVENT"}
	for name, text := range map[string]string{
		"nesting at the end":  doc(append(event, "BEGIN:VEVENT", "UID:b")...),
		"bad line at the end": doc(append(event, "what is this")...),
		"bad parameter at the end": doc(append(event, "BEGIN:VEVENT", "UID:b", "DTSTART;TZID=\"Europe/Berlin:20240312T100000",
			"END:VEVENT")...),
		"trailing content":         doc(event...) + "X-AFTER:1\r\n",
		"broken X-WR-TIMEZONE":     doc(append([]string{"X-WR-TIMEZONE:B", "BEGIN:VTIMEZONE", "TZID:B", "END:VTIMEZONE"}, event...)...),
		"malformed VEVENT in view": doc(append(event, "BEGIN:VEVENT", "UID:b", "END:VEVENT")...),
	} {
		calls := 0
		err := Scan([]byte(text), Options{From: march, To: may}, func(Series) error {
			calls++
			return nil
		})
		var perr *ParseError
		if !errors.As(err, &perr) {
			t.Errorf("%s: err = %v, want a *ParseError", name, err)
		}
		// A malformed VEVENT is found when its UID's turn comes.
		if want := 0; name == "malformed VEVENT in view" {
			if calls != 1 {
				t.Errorf("%s: fn called %d times, want 1", name, calls)
			}
		} else if calls != want {
			t.Errorf("%s: fn called %d times before %v", name, calls, err)
		}
	}
}

func TestScanStopsAtFnError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := Scan(testdataFiles(t)["google.ics"], Options{From: march, To: may}, func(Series) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("err = %v after %d calls, want fn's error after 1", err, calls)
	}
}

// A part's fn error is ScanParallel's error when no part before it fails;
// the parts after it stop.
func TestScanParallelStopsAtFnError(t *testing.T) {
	data := meetingsICS(400, march)
	opt := Options{From: march, To: june}
	stop := errors.New("stop")
	var mu sync.Mutex
	calls := map[int]int{}
	err := ScanParallel(data, opt, 3, func(part int, s Series) error {
		mu.Lock()
		defer mu.Unlock()
		calls[part]++
		if part == 1 && s.UID == "bench-200@example.com" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("err = %v, want fn's", err)
	}
	sc, err := newScanner(data, opt, "test")
	if err != nil {
		t.Fatal(err)
	}
	bounds := sc.split(3)
	if bounds[1] > 200 || bounds[2] <= 200 {
		t.Fatalf("parts %v: bench-200 is not in part 1", bounds)
	}
	if calls[0] != bounds[1] {
		t.Errorf("part 0 handed %d series, want all its %d", calls[0], bounds[1])
	}
	if calls[1] != 200-bounds[1]+1 {
		t.Errorf("part 1 handed %d series, want those up to the failing one", calls[1])
	}
}

// A part's panic is raised again in ScanParallel's caller.
func TestScanParallelRaisesPanics(t *testing.T) {
	defer func() {
		if r := recover(); r != "part 1" {
			t.Errorf("recovered %v, want part 1's panic", r)
		}
	}()
	ScanParallel(meetingsICS(400, march), Options{From: march, To: june}, 3, func(part int, s Series) error {
		if part == 1 {
			panic("part 1")
		}
		return nil
	})
	t.Error("no panic")
}

func TestScanEmptyWindow(t *testing.T) {
	err := Scan([]byte(doc()), Options{From: may, To: march}, func(Series) error { return nil })
	var perr *ParseError
	if err == nil || errors.As(err, &perr) {
		t.Errorf("err = %v, want a non-ParseError", err)
	}
}

// What fn gets must not change with data afterwards.
func TestScanDoesNotAliasData(t *testing.T) {
	data := testdataFiles(t)["outlook.ics"]
	want, err := scanAll(bytes.Clone(data), Options{From: march, To: may})
	if err != nil {
		t.Fatal(err)
	}
	got, err := scanAll(data, Options{From: march, To: may})
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("series changed with data")
	}
}
