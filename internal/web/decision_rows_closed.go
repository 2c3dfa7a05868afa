package web

import (
	"html/template"
	"strconv"
	"strings"
)

// templateEscaper escapes text and quoted attribute values exactly as
// html/template does (its htmlEscaper): the recently closed table used to
// range in the template, with an escaper called by reflection per field.
var templateEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// ClosedHTML is the rows of the recently closed table: title, outcome,
// rationale and when it closed, as the template wrote them.
func (rows decisionRows) ClosedHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 300)
	for _, r := range rows {
		state := templateEscaper.Replace(r.State)
		b.WriteString(`<tr><td data-label="Decision"><a href="/decisions/`)
		b.WriteString(strconv.FormatInt(r.ID, 10))
		b.WriteString(`">`)
		templateEscaper.WriteString(&b, r.Title)
		b.WriteString(`</a></td><td data-label="Outcome"><span class="state state-`)
		b.WriteString(state)
		b.WriteString(`">`)
		b.WriteString(state)
		b.WriteString(`</span></td><td data-label="Rationale">`)
		templateEscaper.WriteString(&b, r.Reason)
		b.WriteString(`</td><td data-label="Closed">`)
		templateEscaper.WriteString(&b, r.Closed)
		b.WriteString(`</td></tr>`)
	}
	return template.HTML(b.String())
}
