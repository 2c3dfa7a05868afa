package ics

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-ical"
)

// decodeMismatch says how decodeLines disagrees with go-ical on data's
// lines, "" if it does not: where it decodes them it must give go-ical's
// calendars, and it may leave to go-ical only lines it cannot read.
func decodeMismatch(data []byte) string {
	lines := unfold(bytes.TrimPrefix(data, byteOrderMark))
	if len(lines) == 0 {
		return ""
	}
	if _, perr := indexLines(lines); perr != nil {
		return "" // decodeLines never sees these
	}
	got, ok := decodeLines(lines)
	want, err := decodeAll(lines)
	switch {
	case !ok && err == nil:
		return "decodeLines gave up on lines go-ical decodes"
	case ok && err != nil:
		return "decodeLines took lines go-ical refuses: " + err.Error()
	case ok && !reflect.DeepEqual(got, withoutEmptyParams(want)):
		return "calendars differ"
	}
	return ""
}

// withoutEmptyParams is cals with go-ical's empty Props and Params maps
// nil, as decodeLines leaves them.
func withoutEmptyParams(cals []*ical.Calendar) []*ical.Calendar {
	var walk func(c *ical.Component)
	walk = func(c *ical.Component) {
		if len(c.Props) == 0 {
			c.Props = nil
		}
		for _, ps := range c.Props {
			for i := range ps {
				if len(ps[i].Params) == 0 {
					ps[i].Params = nil
				}
			}
		}
		for _, child := range c.Children {
			walk(child)
		}
	}
	for _, cal := range cals {
		walk(cal.Component)
	}
	return cals
}

func TestDecodeLinesMatchesGoICal(t *testing.T) {
	inputs := testdataFiles(t)
	for name, text := range scanDocs {
		inputs[name] = []byte(text)
	}
	for _, tc := range parseErrorTests {
		inputs["error table: "+tc.name] = []byte(tc.input)
	}
	inputs["parameters"] = []byte(doc("BEGIN:VEVENT", "UID:a", `ATTENDEE;CN="Vogel, Lena";ROLE=REQ-PARTICIPANT,X;cn=Again:mailto:l@example.com`,
		`X-EMPTY;A=;B="":`, `DTSTART;TZID="Europe/Berlin":20240312T100000`, "x-lower;value=date:20240312", "END:VEVENT"))
	for name, data := range inputs {
		lines := strings.SplitAfter(string(data), "\n")
		for i := range lines { // and every file cut short
			if m := decodeMismatch([]byte(strings.Join(lines[:i+1], ""))); m != "" {
				t.Errorf("%s, first %d lines: %s", name, i+1, m)
			}
		}
	}
}

func FuzzDecodeLinesMatchesGoICal(f *testing.F) {
	for _, data := range testdataFiles(f) {
		f.Add(data)
	}
	for _, text := range scanDocs {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			t.Skip()
		}
		if m := decodeMismatch(data); m != "" {
			t.Error(m)
		}
	})
}
