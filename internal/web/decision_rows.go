package web

import (
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

// htmlEscaper escapes as html.EscapeString does, into a writer.
var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

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
	// Piece by piece: concatenating each line first made a string per
	// line to copy and collect.
	w := b.WriteString
	esc := func(s string) { htmlEscaper.WriteString(&b, s) }
	for _, r := range rows {
		w(`<tr><td data-label="Decision"><a href="/decisions/`)
		w(strconv.FormatInt(r.ID, 10))
		w(`">`)
		esc(r.Title)
		w(`</a>`)
		if r.Needs != "" {
			w(`<br><span class="muted needs">`)
			esc(r.Needs)
			w(`</span>`)
		}
		w(`</td><td data-label="Owner">`)
		esc(r.Owner)
		w(`</td><td data-label="State"><span class="state state-`)
		esc(r.State)
		w(`">`)
		esc(r.State)
		w(`</span></td><td data-label="Closes">`)
		switch {
		case r.Open:
			w(`<span`)
			if r.Soon {
				w(` class="soon"`)
			}
			w(` title="`)
			esc(r.Closes)
			w(`">`)
			esc(r.Left)
			w(` left</span>`)
		case r.Closed != "":
			w(`closed `)
			esc(r.Closed)
		}
		w("</td></tr>\n")
	}
	return template.HTML(b.String())
}
