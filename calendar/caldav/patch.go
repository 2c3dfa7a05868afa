package caldav

import (
	"sort"
	"strings"

	"github.com/emersion/go-ical"

	"meetingd/internal/people"
)

// What the write-back changes in a series' master event, as the Google
// source does with its events.patch: the notes link as an attachment
// (ATTACH;VALUE=URI) and as a line in the DESCRIPTION, for clients that
// show no attachments; and, by the optional-attendance policy, every
// attendee but the organizer, chairs (meetingd's speakers), non-participants
// and rooms becomes ROLE=OPT-PARTICIPANT. With the policy off, those
// meetingd made optional are required again. Everything else in the
// object, the user's own text and overrides, is left as it is.

// notesLine introduces the link in the description.
const notesLine = "Notes (meetingd): "

// patchMaster changes cal's master event as the policy wants; it reports
// who meetingd has made optional (one a line) and whether anything
// changed.
func patchMaster(cal *ical.Calendar, docURL string, policy bool, made map[string]bool) (string, bool) {
	m := master(cal)
	if m == nil || strings.EqualFold(strings.TrimSpace(propValue(m, ical.PropStatus)), "CANCELLED") {
		return joinLines(made), false
	}
	changed := false
	attached := false
	for _, p := range m.Props.Values(ical.PropAttach) {
		attached = attached || strings.TrimSpace(p.Value) == docURL
	}
	if !attached {
		m.Props.Add(&ical.Prop{Name: ical.PropAttach, Params: ical.Params{"VALUE": []string{"URI"}}, Value: docURL})
		changed = true
	}
	// The description is extended as written, escapes and all: decoding
	// and encoding it again would lose what sloppy writers put there
	// (go-ical splits text at unescaped commas).
	if d := m.Props.Get(ical.PropDescription); d == nil {
		m.Props.SetText(ical.PropDescription, notesLine+docURL)
		changed = true
	} else if !strings.Contains(d.Value, docURL) && !strings.Contains(d.Value, escapeText(docURL)) {
		if strings.TrimSpace(d.Value) == "" {
			d.Value = escapeText(notesLine + docURL)
		} else {
			d.Value += `\n\n` + escapeText(notesLine+docURL)
		}
		m.Props.Set(d)
		changed = true
	}
	organizer := people.NormalizeEmail(mailto(propValue(m, ical.PropOrganizer)))
	atts := m.Props[ical.PropAttendee]
	nowMade := map[string]bool{}
	for i := range atts {
		a := &atts[i]
		email := people.NormalizeEmail(mailto(a.Value))
		role := strings.ToUpper(a.Params.Get(ical.ParamRole))
		cutype := strings.ToUpper(a.Params.Get(ical.ParamCalendarUserType))
		switch {
		case email == "" || email == organizer, cutype == "ROOM" || cutype == "RESOURCE",
			role == "CHAIR" || role == "NON-PARTICIPANT":
		case policy && role != "OPT-PARTICIPANT":
			a.Params.Set(ical.ParamRole, "OPT-PARTICIPANT")
			nowMade[email], changed = true, true
		case policy && made[email]:
			nowMade[email] = true // made optional before, and still is
		case !policy && made[email] && role == "OPT-PARTICIPANT":
			a.Params.Set(ical.ParamRole, "REQ-PARTICIPANT")
			changed = true
		}
	}
	return joinLines(nowMade), changed
}

// master is the object's event without RECURRENCE-ID, or nil.
func master(cal *ical.Calendar) *ical.Component {
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent && c.Props.Get(ical.PropRecurrenceID) == nil {
			return c
		}
	}
	return nil
}

func propValue(c *ical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

// mailto is the address of a "mailto:" calendar user.
func mailto(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		return v[7:]
	}
	return v
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11).
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(s)
}

func lineSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out[l] = true
		}
	}
	return out
}

func joinLines(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for k, ok := range set {
		if ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
