package meetings_test

import (
	"reflect"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// insightsScope is the week before t0's and t0's own (t0 is a Monday).
func insightsScope(end time.Time) meetings.InsightScope {
	monday := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	return meetings.InsightScope{Weeks: []time.Time{monday.AddDate(0, 0, -7), monday}, End: end}
}

// seedInsights holds three meetings that week: "one" with its pre-read on
// time, "two" late and "three" missing; ana present at one and two, ben
// absent at one and present at two, cy async at one; dee is invited to
// three only. A decision from one is contested, with contributions from
// ana (present), ben (absent) and cy (async).
func seedInsights(t *testing.T) (*harness, map[string]int64, decisions.Decision) {
	h := newHarness(t)
	third := event("three", t0.Add(74*time.Hour))
	third.Attendees = append(third.Attendees, meetings.EventAttendee{EventPerson: meetings.EventPerson{Email: "dee@example.com"}, Role: meetings.RoleRequired})
	h.sync(event("one", t0.Add(26*time.Hour)), event("two", t0.Add(50*time.Hour)), third)
	for email, zone := range map[string]string{"ana@example.com": "Europe/Berlin", "ben@example.com": "America/New_York", "dee@example.com": "Asia/Tokyo"} {
		h.DB.MustExec(`UPDATE people SET time_zone = ? WHERE email = ?`, zone, email)
	}
	occ := map[string]int64{"one": h.occurrence("one").ID, "two": h.occurrence("two").ID, "three": h.occurrence("three").ID}
	ana := h.actor("ana@example.com")
	text := "Read this."
	if _, err := h.svc.Publish(ctx, ana, occ["one"], &text); err != nil {
		t.Fatal(err)
	}
	h.at(t0.Add(30 * time.Hour)) // past two's deadline
	if _, err := h.svc.Publish(ctx, ana, occ["two"], &text); err != nil {
		t.Fatal(err)
	}
	h.attend(occ["one"], map[string]string{"ana@example.com": "present", "ben@example.com": "absent", "cy@example.com": "async"})
	h.attend(occ["two"], map[string]string{"ana@example.com": "present", "ben@example.com": "present"})
	d, err := h.svc.OpenDecision(ctx, ana, occ["one"], decisions.Input{Title: "Ship it", Proposal: "Friday.", Window: "48h"})
	if err != nil {
		t.Fatal(err)
	}
	for who, kind := range map[string]string{"ana@example.com": "comment", "ben@example.com": "object", "cy@example.com": "support"} {
		if _, err := h.Decisions.Contribute(ctx, h.actor(who), d.ID, kind, "Noted."); err != nil {
			t.Fatal(err)
		}
	}
	h.at(t0.Add(78 * time.Hour)) // the decision closes, over ben's objection
	h.at(t0.Add(96 * time.Hour)) // three has started without a pre-read
	return h, occ, d
}

func (h *harness) attend(occ int64, who map[string]string) {
	h.t.Helper()
	for email, state := range who {
		if _, err := h.svc.RecordAttendance(ctx, operator, occ, meetings.AttendancePatch{Email: email, Attendance: &state}); err != nil {
			h.t.Fatal(err)
		}
	}
}

func TestInsightsOfMeetings(t *testing.T) {
	h, _, _ := seedInsights(t)
	got, err := h.svc.Insights(ctx, operator, insightsScope(t0.Add(96*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	// Present or not recorded counts as time in the meeting; absent and async do not.
	hours := map[string][2]float64{}
	for _, z := range got.Hours {
		if z.Week != 1 {
			t.Fatalf("meeting hours in week %d: %+v", z.Week, z)
		}
		hours[z.Zone] = [2]float64{float64(z.People), z.Seconds / 3600}
	}
	want := map[string][2]float64{"Europe/Berlin": {1, 3}, "America/New_York": {1, 2}, "UTC": {1, 2}, "Asia/Tokyo": {1, 1}}
	if !reflect.DeepEqual(hours, want) {
		t.Fatalf("hours by zone %v, want %v", hours, want)
	}
	if !reflect.DeepEqual(got.PreRead, map[string]int{"ready": 1, "late": 1, "missing": 1}) || got.Occurrences != 3 {
		t.Fatalf("pre-reads %v of %d", got.PreRead, got.Occurrences)
	}
	if !reflect.DeepEqual(got.Attendance, map[string]int{"present": 3, "absent": 1, "async": 1, "": 5}) {
		t.Fatalf("attendance %v", got.Attendance)
	}
}

// People see the numbers of the meetings they are invited to; a series'
// page, those of its meetings.
func TestInsightsOfMeetingsByAccessAndSeries(t *testing.T) {
	h, _, _ := seedInsights(t)
	sc := insightsScope(t0.Add(96 * time.Hour))
	dee, err := h.svc.Insights(ctx, h.actor("dee@example.com"), sc)
	if err != nil {
		t.Fatal(err)
	}
	if dee.Occurrences != 1 || !reflect.DeepEqual(dee.PreRead, map[string]int{"missing": 1}) || !reflect.DeepEqual(dee.Attendance, map[string]int{"": 4}) {
		t.Fatalf("dee sees %d meetings, pre-reads %v, attendance %v", dee.Occurrences, dee.PreRead, dee.Attendance)
	}
	if stranger, _ := h.svc.Insights(ctx, h.Person("zed@example.com").Actor(), sc); stranger.Occurrences != 0 || len(stranger.Hours) != 0 {
		t.Fatalf("someone invited to nothing sees %+v", stranger)
	}
	if _, err := h.svc.SeriesTitle(ctx, h.actor("dee@example.com"), h.occurrence("one").SeriesID); err == nil {
		t.Fatal("dee read the title of a series she is not invited to")
	}
	sc.SeriesID = h.occurrence("one").SeriesID
	one, _ := h.svc.Insights(ctx, operator, sc)
	if one.Occurrences != 1 || !reflect.DeepEqual(one.PreRead, map[string]int{"ready": 1}) || len(one.Hours) != 1 || one.Hours[0].Zone != "Europe/Berlin" {
		t.Fatalf("series one: %+v", one)
	}
	list, _ := h.svc.InsightSeries(ctx, h.actor("dee@example.com"), sc, 10)
	if len(list) != 1 || list[0].ID != h.occurrence("three").SeriesID {
		t.Fatalf("dee may pick %+v, want series three only", list)
	}
}

// The decisions package counts contributions from people not recorded
// present with the condition this package gives it, and a series' page
// counts its own decisions only.
func TestInsightsOfDecisionsFromMeetings(t *testing.T) {
	h, _, _ := seedInsights(t)
	sc := decisions.InsightScope{From: t0.AddDate(0, 0, -7), To: t0.Add(96 * time.Hour), Attended: meetings.Attended}
	got, err := h.Decisions.Insights(ctx, operator, sc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Closed["contested"] != 1 || got.Contributions != 3 || got.FromAbsentees != 2 || got.MedianClose != 48*time.Hour {
		t.Fatalf("decisions %+v, want one contested, 3 contributions, 2 of them from absentees, median 48h", got)
	}
	sc.Occurrences = meetings.InSeries(h.occurrence("two").SeriesID)
	if two, _ := h.Decisions.Insights(ctx, operator, sc); len(two.Closed) != 0 || two.Contributions != 0 {
		t.Fatalf("series two counts decisions of one: %+v", two)
	}
	if dee, _ := h.Decisions.Insights(ctx, people.Actor{PersonID: h.Person("dee@example.com").ID}, decisions.InsightScope{From: sc.From, To: sc.To}); len(dee.Closed) != 0 {
		t.Fatalf("dee sees a decision of a meeting she was not at: %+v", dee)
	}
}
