package web

import (
	"html/template"
	"strconv"
	"strings"

	"meetingd/meetings"
	"meetingd/templates"
)

// meetingRow is a meeting as the meetings page lists it, its times in the
// reader's words made once in Go, as decisionRow's are: the template's
// per-row helpers, called by reflection, were most of a long list's time.
type meetingRow struct {
	ID             int64
	Title          string
	Starts, Ends   string // the start's day and time; the end's time of day
	PreRead, DueIn string // the pre-read's state, and the time to its deadline while pending
	HeldAsync      bool
}

// meetingRows are a table's rows; their HTML methods write them in one pass.
type meetingRows []meetingRow

func meetingRowsOf(b Base, os []meetings.Occurrence) meetingRows {
	rows := make(meetingRows, len(os))
	for i, o := range os {
		r := meetingRow{ID: o.ID, Title: o.Title, PreRead: o.PreReadState, HeldAsync: o.HeldAsync,
			Starts: templates.When(o.StartsAt, b.Loc), Ends: templates.Clock(o.EndsAt, b.Loc)}
		if o.PreReadState == "pending" {
			r.DueIn = templates.Left(o.PreReadDueAt, b.Now)
		}
		rows[i] = r
	}
	return rows
}

// rowsHTML writes each row, its cells after the title by cells: w writes
// markup as it is, esc text escaped.
func (rows meetingRows) rowsHTML(cells func(r meetingRow, w, esc func(string))) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 250)
	w := func(s string) { b.WriteString(s) }
	esc := func(s string) { templateEscaper.WriteString(&b, s) }
	for _, r := range rows {
		w(`<tr><td data-label="Meeting"><a href="/meetings/`)
		w(strconv.FormatInt(r.ID, 10))
		w(`">`)
		esc(r.Title)
		w(`</a></td>`)
		cells(r, w, esc)
		w("</tr>\n")
	}
	return template.HTML(b.String())
}

// NowHTML is the rows of meetings under way: title and end.
func (rows meetingRows) NowHTML() template.HTML {
	return rows.rowsHTML(func(r meetingRow, w, esc func(string)) {
		w(`<td data-label="Ends">`)
		esc(r.Ends)
		w(`</td>`)
	})
}

// UpcomingHTML is the rows of meetings ahead: title, start and pre-read.
func (rows meetingRows) UpcomingHTML() template.HTML {
	return rows.rowsHTML(func(r meetingRow, w, esc func(string)) {
		w(`<td data-label="Starts">`)
		esc(r.Starts)
		w(`</td><td data-label="Pre-read">`)
		if r.HeldAsync {
			w(`<span class="state state-ready">held async</span> · `)
		}
		w(`<span class="state state-`)
		esc(r.PreRead)
		w(`">`)
		esc(r.PreRead)
		w(`</span>`)
		if r.DueIn != "" {
			w(` — due in `)
			esc(r.DueIn)
		}
		w(`</td>`)
	})
}
