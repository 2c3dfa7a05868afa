package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// insightsEvent creates a one-hour meeting of ana's through the API and
// returns its occurrence.
func insightsEvent(t *testing.T, ta *testApp, title string, start time.Time, with ...string) int64 {
	t.Helper()
	var out map[string]any
	var attendees []map[string]string
	for _, e := range with {
		attendees = append(attendees, map[string]string{"email": e})
	}
	body := map[string]any{"title": title, "start": start, "end": start.Add(time.Hour), "time_zone": "Europe/Berlin", "attendees": attendees}
	if code := ta.Call("POST", "/api/v1/events", ta.Token("ana@example.com"), "", body, &out); code != 201 {
		t.Fatalf("create %s: %d %v", title, code, out)
	}
	occs, _ := out["occurrences"].([]any)
	if len(occs) != 1 {
		t.Fatalf("create %s made occurrences %v", title, out["occurrences"])
	}
	return int64(occs[0].(float64))
}

// seedInsightsWeek holds three meetings this week: "One" with its pre-read
// on time, "Two" late, "Three" missing (and dee invited to it alone). At
// One ana is present, ben absent, cy async; at Two ana and ben present. A
// decision from One is contested by ben, with support from cy and a
// comment from ana; one from Two is accepted. It returns the occurrences.
func seedInsightsWeek(t *testing.T, ta *testApp) map[string]int64 {
	ctx := context.Background()
	ok := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	occ := map[string]int64{
		"One":   insightsEvent(t, ta, "One", t0.Add(26*time.Hour), "ben@example.com", "cy@example.com"),
		"Two":   insightsEvent(t, ta, "Two", t0.Add(50*time.Hour), "ben@example.com", "cy@example.com"),
		"Three": insightsEvent(t, ta, "Three", t0.Add(74*time.Hour), "ben@example.com", "cy@example.com", "dee@example.com"),
	}
	ta.DB.MustExec(`UPDATE people SET time_zone = 'America/New_York' WHERE email = 'ben@example.com'`)
	ana := ta.Person("ana@example.com").Actor()
	text := "Read this."
	ok(ta.Meetings.Publish(ctx, ana, occ["One"], &text))
	ta.At(t0.Add(30 * time.Hour)) // past Two's deadline
	ok(ta.Meetings.Publish(ctx, ana, occ["Two"], &text))
	for o, who := range map[string]map[string]string{"One": {"ana": "present", "ben": "absent", "cy": "async"}, "Two": {"ana": "present", "ben": "present"}} {
		for name, state := range who {
			_, err := ta.Meetings.RecordAttendance(ctx, people.Actor{Operator: true}, occ[o], meetings.AttendancePatch{Email: name + "@example.com", Attendance: &state})
			ok(nil, err)
		}
	}
	contested, err := ta.Meetings.OpenDecision(ctx, ana, occ["One"], decisions.Input{Title: "Ship", Proposal: "Friday.", Window: "48h"})
	ok(contested, err)
	ok(ta.Meetings.OpenDecision(ctx, ana, occ["Two"], decisions.Input{Title: "Hire", Proposal: "Two.", Window: "48h"}))
	for who, kind := range map[string]string{"ana": "comment", "ben": "object", "cy": "support"} {
		ok(ta.Decisions.Contribute(ctx, ta.Person(who+"@example.com").Actor(), contested.ID, kind, "Noted."))
	}
	ta.At(t0.Add(78 * time.Hour)) // both windows close
	ta.At(t0.Add(96 * time.Hour)) // Three has started without a pre-read
	return occ
}

var (
	shareRE  = regexp.MustCompile(`<tr data-key="([a-z_]+)"><td data-label="Part">[^<]*</td><td data-label="Count">(\d+)</td><td data-label="Share">(\d+)%</td>`)
	zoneRE   = regexp.MustCompile(`<tr><td data-label="Time zone">([^<]+)</td><td data-label="Hours per person per week">([0-9.]+)</td>`)
	figureRE = regexp.MustCompile(`id="(median|contributions|from-absentees)">([^<]*)<`)
)

// pageNumbers reads the numbers off the page's tables, keyed as in the CSV.
func pageNumbers(body string) map[string]string {
	out := map[string]string{}
	for _, m := range shareRE.FindAllStringSubmatch(body, -1) {
		out[m[1]], out[m[1]+"_percent"] = m[2], m[3]
	}
	for _, m := range zoneRE.FindAllStringSubmatch(body, -1) {
		out["zone "+m[1]] = m[2]
	}
	for _, m := range figureRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// csvNumbers reads the same numbers off the CSV.
func csvNumbers(t *testing.T, body string) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != "section,week,time_zone,measure,value" {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		switch {
		case r[0] == "hours_by_zone":
			out["zone "+r[2]] = r[4]
		case r[3] == "contributions_from_non_attendees":
			out["from-absentees"] = r[4]
		case r[3] == "median_hours_to_close":
			out["median"] = r[4]
		case r[0] == "pre_read" || r[0] == "attendance" || r[0] == "decisions":
			out[r[3]] = r[4]
		}
	}
	return out
}

func TestInsightsPageNumbersAndCSV(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedInsightsWeek(t, ta)
	c := ta.signIn(t, "ana@example.com")
	code, body := ta.page(t, c, "/insights")
	if code != 200 {
		t.Fatalf("/insights: %d %s", code, body)
	}
	got := pageNumbers(body)
	// Hours: in UTC, ana was in One, Two and Three, cy (not recorded) in Two
	// and Three, dee in Three: 6 hours of 3 people; ben (New York) was in
	// Two and Three. One week with meetings of 12 averages each over 12.
	want := map[string]string{
		"ready": "1", "late": "1", "missing": "1", "ready_percent": "33",
		"present": "3", "async": "1", "absent": "1", "not_recorded": "5", "present_percent": "30",
		"accepted": "1", "contested": "1", "rejected": "0", "accepted_percent": "50",
		"contributions": "3", "from-absentees": "2", "median": "2d 0h (48.0 hours)",
		"zone UTC": fmt.Sprintf("%.1f", 6.0/3/12), "zone America/New_York": fmt.Sprintf("%.1f", 2.0/12),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("page shows %s = %q, want %q", k, got[k], v)
		}
	}
	for _, part := range []string{`<svg viewBox="0 0 360 `, `width="100%"`, `role="img"`, `id="chart-hours"`, `id="chart-preread"`, `id="chart-attendance"`, `id="chart-decisions"`} {
		if !strings.Contains(body, part) {
			t.Errorf("page lacks %s", part)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("the page carries a script")
	}
	// The CSV has the same numbers.
	_, raw := ta.page(t, c, "/insights.csv")
	fromCSV := csvNumbers(t, raw)
	for k, v := range got {
		if k == "median" {
			v = strings.TrimSuffix(strings.SplitN(v, "(", 2)[1], " hours)")
		}
		if fromCSV[k] != v {
			t.Errorf("CSV has %s = %q, the page %q", k, fromCSV[k], v)
		}
	}
}

// A person sees the numbers of the meetings they are invited to; a
// series' page, its own; someone else's series does not exist for them.
func TestInsightsAccessAndSeries(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedInsightsWeek(t, ta)
	var one int64
	ta.DB.Get(&one, `SELECT series_id FROM occurrences WHERE id = ?`, occ["One"])
	dee := ta.signIn(t, "dee@example.com")
	_, body := ta.page(t, dee, "/insights")
	got := pageNumbers(body)
	if got["missing"] != "1" || got["ready"] != "0" || got["not_recorded"] != "4" || got["present"] != "0" {
		t.Fatalf("dee sees %v, want Three's numbers only", got)
	}
	if !strings.Contains(body, "No decision closed") {
		t.Error("dee sees decisions of meetings she was not invited to")
	}
	if code, _ := ta.page(t, dee, fmt.Sprintf("/insights?series=%d", one)); code != 404 {
		t.Fatalf("dee opened the insights of a series she is not in: %d", code)
	}
	if code, _ := ta.page(t, dee, fmt.Sprintf("/insights.csv?series=%d", one)); code != 404 {
		t.Fatalf("dee downloaded the insights of a series she is not in: %d", code)
	}
	if code, _ := ta.page(t, dee, "/insights?series=abc"); code != 400 {
		t.Fatalf("a bad series id: %d", code)
	}
	ops := ta.signIn(t, "ops@example.com")
	_, body = ta.page(t, ops, fmt.Sprintf("/insights?series=%d", one))
	got = pageNumbers(body)
	if got["ready"] != "1" || got["late"] != "0" || got["contested"] != "1" || got["accepted"] != "0" || got["from-absentees"] != "2" {
		t.Fatalf("series One shows %v", got)
	}
	if !strings.Contains(body, "Insights: One") {
		t.Error("the series page does not say which series")
	}
	// The numbers are kept for a while, then worked out again.
	cy := "present"
	if _, err := ta.Meetings.RecordAttendance(context.Background(), people.Actor{Operator: true}, occ["One"],
		meetings.AttendancePatch{Email: "cy@example.com", Attendance: &cy}); err != nil {
		t.Fatal(err)
	}
	if _, body = ta.page(t, ops, fmt.Sprintf("/insights?series=%d", one)); pageNumbers(body)["present"] != "1" {
		t.Fatalf("numbers changed within the time they are kept: %v", pageNumbers(body))
	}
	ta.Clock.Set(ta.Clock.Now().Add(31 * time.Second))
	if _, body = ta.page(t, ops, fmt.Sprintf("/insights?series=%d", one)); pageNumbers(body)["present"] != "2" {
		t.Fatalf("numbers not worked out again after they expired: %v", pageNumbers(body))
	}
}

// With nothing to count, each section says what would fill it.
func TestInsightsEmptyStates(t *testing.T) {
	ta := newTestApp(t, "", t0)
	insightsEvent(t, ta, "Later", t0.Add(7*24*time.Hour), "ben@example.com")
	_, body := ta.page(t, ta.signIn(t, "ben@example.com"), "/insights")
	for _, says := range []string{`id="hours-empty"`, "create one at", `id="preread-empty"`, "publishes it", `id="attendance-empty"`,
		"record who was present", `id="decisions-empty"`, "/decisions/new"} {
		if !strings.Contains(body, says) {
			t.Errorf("empty insights lack %q", says)
		}
	}
}
