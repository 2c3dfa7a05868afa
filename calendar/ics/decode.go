package ics

import (
	"strings"

	"github.com/emersion/go-ical"
)

// decodeLines builds from lines the calendars go-ical's Decoder makes of
// them, without rendering the lines as text for it to read back and
// without its way of copying parameter values a byte at a time (most of
// what Scan allocated). It takes only lines checked first: each with a
// property name (propName), parameters go-ical decodes (paramsOK), and
// BEGIN and END lines normalised and nesting (indexLines). Anything else
// it leaves to go-ical, saying ok is false. Components without properties
// and properties without parameters get nil maps where go-ical makes empty
// ones: they read the same.
func decodeLines(lines []logicalLine) (cals []*ical.Calendar, ok bool) {
	d := lineDecoder{lines: lines}
	for d.next < len(lines) {
		comp, ok := d.component()
		if !ok || comp.Name != ical.CompCalendar {
			return nil, false
		}
		cals = append(cals, &ical.Calendar{Component: comp})
	}
	return cals, true
}

// lineDecoder reads components from checked lines.
type lineDecoder struct {
	lines []logicalLine
	next  int
}

// component reads a component from its BEGIN line to its END line.
func (d *lineDecoder) component() (*ical.Component, bool) {
	begin, ok := d.prop()
	if !ok || begin.Name != "BEGIN" {
		return nil, false
	}
	comp := &ical.Component{Name: strings.ToUpper(begin.Value)}
	for d.next < len(d.lines) {
		if strings.HasPrefix(d.lines[d.next].text, "BEGIN:") {
			child, ok := d.component()
			if !ok {
				return nil, false
			}
			comp.Children = append(comp.Children, child)
			continue
		}
		p, ok := d.prop()
		switch {
		case !ok:
			return nil, false
		case p.Name == "END":
			return comp, strings.EqualFold(p.Value, comp.Name)
		}
		if comp.Props == nil {
			comp.Props = ical.Props{}
		}
		comp.Props[p.Name] = append(comp.Props[p.Name], p)
	}
	return nil, false // no END
}

// prop decodes the next line as go-ical's lineDecoder does.
func (d *lineDecoder) prop() (ical.Prop, bool) {
	s := d.lines[d.next].text
	d.next++
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return ical.Prop{}, false
	}
	p := ical.Prop{Name: strings.ToUpper(s[:i])}
	s = s[i:]
	for len(s) > 0 && s[0] == ';' {
		name, values, rest, ok := param(s[1:])
		if !ok {
			return ical.Prop{}, false
		}
		if p.Params == nil {
			p.Params = ical.Params{}
		}
		p.Params[name] = append(p.Params[name], values...)
		s = rest
	}
	if len(s) == 0 || s[0] != ':' {
		return ical.Prop{}, false
	}
	p.Value = s[1:]
	return p, true
}

// param decodes NAME=VALUE[,VALUE...] at the start of s, up to the ';'
// or ':' after it.
func param(s string) (name string, values []string, rest string, ok bool) {
	eq := strings.IndexByte(s, '=')
	if eq <= 0 {
		return "", nil, "", false
	}
	name, s = strings.ToUpper(s[:eq]), s[eq+1:]
	for {
		var v string
		if len(s) > 0 && s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return "", nil, "", false
			}
			v, s = s[1:1+end], s[2+end:]
		} else {
			end := strings.IndexAny(s, "\";,:")
			if end < 0 || s[end] == '"' {
				return "", nil, "", false
			}
			v, s = s[:end], s[end:]
		}
		values = append(values, v)
		switch {
		case len(s) > 0 && s[0] == ',':
			s = s[1:]
		case len(s) > 0 && (s[0] == ';' || s[0] == ':'):
			return name, values, s, true
		default:
			return "", nil, "", false // go-ical panics
		}
	}
}
