package web

import (
	"html"
	"html/template"
	"strconv"
	"strings"

	"meetingd/decisions"
	"meetingd/templates"
)

// decisionRow is a decision as a list row shows it, with every string
// made once in Go: rendering lists of a hundred rows through the template
// (helpers and escapers called per field, by reflection) was most of the
// decisions page's time.
type decisionRow struct {
	ID                           int64
	Title, Owner, State          string
	Open, Soon                   bool
	Left, Closes, Closed, Reason string
	Needs                        string // why it is in "needs my input", in words
}

// needsWords says why a decision needs its reader.
var needsWords = map[string]string{
	decisions.NeedsView:    "Say where you stand: support, object or comment.",
	decisions.NeedsReply:   "An objection awaits your reply.",
	decisions.NeedsOutcome: "Contested: record the outcome.",
}

// decisionRows are a table's rows; HTML writes them in one pass.
type decisionRows []decisionRow

func (s *Server) decisionRows(b Base, ds []decisions.Decision) decisionRows {
	rows := make(decisionRows, len(ds))
	for i, d := range ds {
		owner := d.OwnerName
		if owner == "" {
			owner = d.OwnerEmail
		}
		r := decisionRow{ID: d.ID, Title: d.Title, Owner: owner, State: d.State, Reason: d.Rationale,
			Open: d.State == decisions.Open, Needs: needsWords[d.Reason]}
		if r.Open {
			r.Soon, r.Left, r.Closes = templates.Soon(d.ClosesAt, b.Now), templates.Left(d.ClosesAt, b.Now), templates.When(d.ClosesAt, b.Loc)
		}
		if d.ClosedAt != nil {
			r.Closed = templates.When(*d.ClosedAt, b.Loc)
		}
		rows[i] = r
	}
	return rows
}

// HTML is the rows of a table of decisions: title, owner, state, and the
// time left or when it closed. Every value is escaped here.
func (rows decisionRows) HTML() template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 300)
	for _, r := range rows {
		id := strconv.FormatInt(r.ID, 10)
		state := html.EscapeString(r.State)
		b.WriteString(`<tr><td data-label="Decision"><a href="/decisions/` + id + `">` + html.EscapeString(r.Title) + `</a>`)
		if r.Needs != "" {
			b.WriteString(`<br><span class="muted needs">` + html.EscapeString(r.Needs) + `</span>`)
		}
		b.WriteString(`</td>`)
		b.WriteString(`<td data-label="Owner">` + html.EscapeString(r.Owner) + `</td>`)
		b.WriteString(`<td data-label="State"><span class="state state-` + state + `">` + state + `</span></td><td data-label="Closes">`)
		switch {
		case r.Open:
			class := ""
			if r.Soon {
				class = ` class="soon"`
			}
			b.WriteString(`<span` + class + ` title="` + html.EscapeString(r.Closes) + `">` + html.EscapeString(r.Left) + ` left</span>`)
		case r.Closed != "":
			b.WriteString(`closed ` + html.EscapeString(r.Closed))
		}
		b.WriteString("</td></tr>\n")
	}
	return template.HTML(b.String())
}
