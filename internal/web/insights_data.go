package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"time"

	"meetingd/decisions"
	"meetingd/meetings"
)

// insightsPage is /insights: every number is formatted once, here, and
// both the page and its CSV show these strings, so they cannot disagree.
type insightsPage struct {
	Base
	Weeks       int
	From        string // the first week's Monday, YYYY-MM-DD in the reader's zone
	SeriesID    int64  // 0: the whole team
	SeriesTitle string
	Series      []meetings.Series // the picker's choices
	AsOf        time.Time         // when the numbers were computed
	Body        template.HTML     // the numbers, rendered once for all who read them

	Held      int // occurrences held in the weeks
	Hours     []hoursRow
	Zones     []zoneRow // each zone's weekly average
	ZoneChart chart

	PreRead, Attendance, Closed                chart
	PreReadRows, AttendanceRows, ClosedRows    []shareRow
	PreReadTotal, AttendanceTotal, ClosedTotal int

	Contributions, FromAbsentees int
	Median, MedianHours          string // "3d 4h" and "76.0"; "" with nothing closed
}

// hoursRow is one week's meeting time of the people in one zone.
type hoursRow struct {
	Week, Zone       string
	People           int
	Hours, PerPerson string
}

// zoneRow is a zone's meeting hours per person, averaged over the weeks.
type zoneRow struct{ Zone, PerWeek string }

// shareRow is one part of a whole: its count and percentage.
type shareRow struct {
	Key, Label string
	N          int
	Percent    string
}

// The parts each share shows, in order: the key in the data and the CSV,
// and the label on the page.
var (
	preReadParts    = [][2]string{{"ready", "On time"}, {"late", "Late"}, {"missing", "Missing"}}
	attendanceParts = [][2]string{{"present", "Present"}, {"async", "Async"}, {"absent", "Absent"}, {"", "Not recorded"}}
	closedParts     = [][2]string{{"accepted", "Accepted"}, {"contested", "Contested"}, {"rejected", "Rejected"}}
)

func hours(seconds float64) string { return strconv.FormatFloat(seconds/3600, 'f', 1, 64) }

// fill formats the numbers and lays out the charts.
func (p *insightsPage) fill(sc meetings.InsightScope, m meetings.MeetingInsights, d decisions.Insights) {
	p.From = sc.Weeks[0].Format(time.DateOnly)
	p.Held = m.Occurrences
	p.fillHours(sc, m.Hours)
	p.PreReadRows, p.PreReadTotal = shares(preReadParts, m.PreRead)
	p.PreRead = shareChart("chart-preread", "Pre-reads: on time, late or missing", p.PreReadRows)
	p.AttendanceRows, p.AttendanceTotal = shares(attendanceParts, m.Attendance)
	p.Attendance = shareChart("chart-attendance", "Attendance: present, async, absent", p.AttendanceRows)
	p.ClosedRows, p.ClosedTotal = shares(closedParts, d.Closed)
	p.Closed = shareChart("chart-decisions", "Decisions closed: accepted, contested, rejected", p.ClosedRows)
	p.Contributions, p.FromAbsentees = d.Contributions, d.FromAbsentees
	if p.ClosedTotal > 0 {
		p.Median, p.MedianHours = spell(d.MedianClose), hours(d.MedianClose.Seconds())
	}
}

// fillHours lists each week and zone, and averages each zone's hours per
// person over all the weeks (a week without meetings counts as none).
func (p *insightsPage) fillHours(sc meetings.InsightScope, rows []meetings.ZoneWeek) {
	perWeek := map[string]float64{}
	for _, r := range rows {
		per := r.Seconds / float64(max(r.People, 1))
		p.Hours = append(p.Hours, hoursRow{Week: sc.Weeks[r.Week].Format(time.DateOnly), Zone: r.Zone, People: r.People,
			Hours: hours(r.Seconds), PerPerson: hours(per)})
		perWeek[r.Zone] += per / float64(len(sc.Weeks))
	}
	var bars []chartRow
	for _, zone := range sortedKeys(perWeek) {
		z := zoneRow{Zone: zone, PerWeek: hours(perWeek[zone])}
		p.Zones = append(p.Zones, z)
		bars = append(bars, chartRow{Label: zone, Text: z.PerWeek + " h", Class: "bar", Value: perWeek[zone]})
	}
	p.ZoneChart = newChart("chart-hours", "Meeting hours per person per week, by time zone", bars)
}

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shares counts each part and its percentage of the parts' total.
func shares(parts [][2]string, counts map[string]int) ([]shareRow, int) {
	total := 0
	for _, part := range parts {
		total += counts[part[0]]
	}
	out := make([]shareRow, 0, len(parts))
	for _, part := range parts {
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(counts[part[0]]) / float64(total)
		}
		key := part[0]
		if key == "" {
			key = "not_recorded"
		}
		out = append(out, shareRow{Key: key, Label: part[1], N: counts[part[0]], Percent: strconv.FormatFloat(pct, 'f', 0, 64)})
	}
	return out, total
}

func shareChart(id, title string, rows []shareRow) chart {
	bars := make([]chartRow, 0, len(rows))
	for _, r := range rows {
		bars = append(bars, chartRow{Label: r.Label, Text: fmt.Sprintf("%d · %s%%", r.N, r.Percent), Class: "bar bar-" + r.Key, Value: float64(r.N)})
	}
	return newChart(id, title, bars)
}

// spell says a duration the way the dashboard says time left: "3d 4h",
// "5h 10m", "12m".
func spell(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// writeCSV writes the page's numbers, one a row: section, week, time
// zone, measure, value (long form, so a spreadsheet pivots it any way).
func (p insightsPage) writeCSV(w io.Writer) error {
	c := csv.NewWriter(w)
	scope := "team"
	if p.SeriesID != 0 {
		scope = "series " + strconv.FormatInt(p.SeriesID, 10)
	}
	rows := [][]string{{"section", "week", "time_zone", "measure", "value"},
		{"scope", "", "", "of", scope}, {"scope", "", "", "from", p.From}, {"scope", "", "", "weeks", strconv.Itoa(p.Weeks)},
		{"meetings", "", "", "held", strconv.Itoa(p.Held)}}
	for _, h := range p.Hours {
		rows = append(rows, []string{"hours", h.Week, h.Zone, "people", strconv.Itoa(h.People)},
			[]string{"hours", h.Week, h.Zone, "hours", h.Hours}, []string{"hours", h.Week, h.Zone, "hours_per_person", h.PerPerson})
	}
	for _, z := range p.Zones {
		rows = append(rows, []string{"hours_by_zone", "", z.Zone, "hours_per_person_per_week", z.PerWeek})
	}
	rows = append(rows, shareCSV("pre_read", p.PreReadRows)...)
	rows = append(rows, shareCSV("attendance", p.AttendanceRows)...)
	rows = append(rows, shareCSV("decisions", p.ClosedRows)...)
	rows = append(rows, []string{"decisions", "", "", "contributions", strconv.Itoa(p.Contributions)},
		[]string{"decisions", "", "", "contributions_from_non_attendees", strconv.Itoa(p.FromAbsentees)},
		[]string{"decisions", "", "", "median_hours_to_close", p.MedianHours})
	if err := c.WriteAll(rows); err != nil {
		return fmt.Errorf("insights csv: %w", err)
	}
	return nil
}

func shareCSV(section string, rows []shareRow) [][]string {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{section, "", "", r.Key, strconv.Itoa(r.N)}, []string{section, "", "", r.Key + "_percent", r.Percent})
	}
	return out
}
