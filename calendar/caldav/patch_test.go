package caldav

import (
	"strings"
	"testing"

	"github.com/emersion/go-ical"
)

const patchObject = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:20261105T100000Z\r\nDTEND:20261105T110000Z\r\n" +
	"SUMMARY:Planning\r\nDESCRIPTION:Bring numbers, please; ask Cy\r\nORGANIZER:mailto:ana@example.com\r\n" +
	"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:ana@example.com\r\n" +
	"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:ben@example.com\r\n" +
	"ATTENDEE:mailto:cy@example.com\r\n" +
	"ATTENDEE;ROLE=CHAIR:mailto:dee@example.com\r\n" +
	"ATTENDEE;CUTYPE=ROOM:mailto:room4@example.com\r\n" +
	"ATTENDEE;ROLE=OPT-PARTICIPANT:mailto:eve@example.com\r\n" +
	"END:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20261001T000000Z\r\nRECURRENCE-ID:20261112T100000Z\r\nDTSTART:20261112T120000Z\r\n" +
	"DTEND:20261112T130000Z\r\nSUMMARY:Planning moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func decode(t *testing.T, s string) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(strings.NewReader(s)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func encode(t *testing.T, cal *ical.Calendar) string {
	t.Helper()
	var b strings.Builder
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func roles(cal *ical.Calendar) map[string]string {
	out := map[string]string{}
	for _, a := range master(cal).Props.Values(ical.PropAttendee) {
		out[mailto(a.Value)] = a.Params.Get(ical.ParamRole)
	}
	return out
}

// The policy makes optional whoever is neither the organizer, a chair, a
// room nor optional already; the link is added once, the user's text and
// the override left alone; with the policy off, only those meetingd made
// optional are required again.
func TestPatchMaster(t *testing.T) {
	const url = "https://meetingd.test/notes/7"
	cal := decode(t, patchObject)
	made, changed := patchMaster(cal, url, true, nil)
	if !changed || made != "ben@example.com\ncy@example.com" {
		t.Fatalf("made %q changed %v", made, changed)
	}
	want := map[string]string{"ana@example.com": "REQ-PARTICIPANT", "ben@example.com": "OPT-PARTICIPANT",
		"cy@example.com": "OPT-PARTICIPANT", "dee@example.com": "CHAIR", "room4@example.com": "", "eve@example.com": "OPT-PARTICIPANT"}
	for k, v := range want {
		if roles(cal)[k] != v {
			t.Errorf("%s: role %q, want %q", k, roles(cal)[k], v)
		}
	}
	text := encode(t, cal)
	for _, w := range []string{"ATTACH;VALUE=URI:" + url, `DESCRIPTION:Bring numbers, please; ask Cy\n\nNotes (meetingd): ` + url,
		"SUMMARY:Planning moved"} {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in\n%s", w, text)
		}
	}
	again := decode(t, text)
	if made2, changed := patchMaster(again, url, true, lineSet(made)); changed || made2 != made {
		t.Fatalf("patched twice: %q %v", made2, changed)
	}
	made3, changed := patchMaster(again, url, false, lineSet(made))
	if !changed || made3 != "" {
		t.Fatalf("policy off: %q %v", made3, changed)
	}
	if r := roles(again); r["ben@example.com"] != "REQ-PARTICIPANT" || r["cy@example.com"] != "REQ-PARTICIPANT" || r["eve@example.com"] != "OPT-PARTICIPANT" {
		t.Fatalf("policy off: %v", r)
	}
}

// A cancelled event, or an object of overrides alone, is not written.
func TestPatchMasterLeavesCancelledEvents(t *testing.T) {
	cal := decode(t, strings.Replace(patchObject, "SUMMARY:Planning\r\n", "SUMMARY:Planning\r\nSTATUS:CANCELLED\r\n", 1))
	if _, changed := patchMaster(cal, "https://meetingd.test/notes/7", true, nil); changed {
		t.Fatal("a cancelled event was patched")
	}
}
