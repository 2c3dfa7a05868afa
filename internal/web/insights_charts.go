package web

import "unicode/utf8"

// A chart is a horizontal bar chart drawn as inline SVG by the server:
// the pages allow no script, and a phone draws it as well as a desktop
// (the viewBox scales to the width). Each chart's numbers are also in a
// table beside it, for screen readers and for copying.
type chart struct {
	ID     string // the element id; its title is ID-title
	Title  string
	Height int // of the viewBox, which is chartWidth wide
	Bars   []chartBar
}

// chartBar is one labelled bar, placed in viewBox units.
type chartBar struct {
	Label, Text string // what it is, and its value as shown
	Class       string // the bar's colour, from the stylesheet
	Y, W        float64
	TextX       float64 // where the value is written, right of the bar
}

// chartRow is one bar's data.
type chartRow struct {
	Label, Text, Class string
	Value              float64
}

// The viewBox: labels on the left, bars in the middle, values after them.
const (
	chartWidth  = 360
	chartLabelW = 130 // labels are cut to fit this
	chartBarMax = 150
	chartRowH   = 26
	chartBarH   = 16
	chartLabelN = 20 // characters a label keeps
)

// BarX is where bars start, for the template.
func (chart) BarX() int { return chartLabelW + 5 }

// BarH is a bar's height, for the template.
func (chart) BarH() int { return chartBarH }

// Width is the viewBox's width, for the template.
func (chart) Width() int { return chartWidth }

// newChart lays rows out, the longest bar for the largest value.
func newChart(id, title string, rows []chartRow) chart {
	c := chart{ID: id, Title: title, Height: len(rows)*chartRowH + 4}
	peak := 0.0
	for _, r := range rows {
		peak = max(peak, r.Value)
	}
	for i, r := range rows {
		w := 0.0
		if peak > 0 {
			w = r.Value / peak * chartBarMax
		}
		c.Bars = append(c.Bars, chartBar{Label: shorten(r.Label), Text: r.Text, Class: r.Class,
			Y: float64(i*chartRowH + 4), W: w, TextX: float64(c.BarX()) + w + 4})
	}
	return c
}

// shorten cuts a label to what the label column holds; the table beside
// the chart has it whole.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= chartLabelN {
		return s
	}
	r := []rune(s)
	return string(r[:chartLabelN-1]) + "…"
}

// LabelY is the baseline of a bar's label and value text.
func (b chartBar) LabelY() float64 { return b.Y + chartBarH - 4 }
