package web

import (
	"html"
	"html/template"
	"strconv"
	"strings"
	"testing"
)

// closedRowTemplate is how the template wrote each recently closed row.
const closedRowTemplate = `{{range .}}<tr><td data-label="Decision"><a href="/decisions/{{.ID}}">{{.Title}}</a></td><td data-label="Outcome"><span class="state state-{{.State}}">{{.State}}</span></td><td data-label="Rationale">{{.Reason}}</td><td data-label="Closed">{{.Closed}}</td></tr>{{end}}`

// ClosedHTML writes the bytes the template wrote, for awkward text too.
func TestClosedHTMLIsWhatTheTemplateWrote(t *testing.T) {
	tpl := template.Must(template.New("closed").Parse(closedRowTemplate))
	odd := []string{"", "plain", `"quoted" & 'single'`, "<script>x</script>", "a+b", "nul\x00byte", "bad \xff utf8",
		"é 日本 🙂", "\ufdd0 \uffff", "&amp; already", "tab\tnl\n"}
	var rows decisionRows
	for i, s := range odd {
		rows = append(rows, decisionRow{ID: int64(i + 1), Title: s, State: odd[(i+3)%len(odd)], Reason: odd[(i+5)%len(odd)], Closed: odd[(i+7)%len(odd)]})
	}
	var want strings.Builder
	if err := tpl.Execute(&want, rows); err != nil {
		t.Fatal(err)
	}
	if got := string(rows.ClosedHTML()); got != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got, want.String())
	}
}

// oldRowsHTML is how HTML wrote its rows before it wrote them piece by
// piece, with html.EscapeString.
func oldRowsHTML(rows decisionRows) string {
	var b strings.Builder
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
	return b.String()
}

// HTML writes what it wrote before, for every kind of row.
func TestRowsHTMLIsUnchanged(t *testing.T) {
	odd := []string{"", "plain", `"quoted" & 'single'`, "<script>x</script>", "a+b", "nul\x00byte", "bad \xff utf8", "é 日本 🙂"}
	var rows decisionRows
	for i := range 40 {
		s := func(k int) string { return odd[(i+k)%len(odd)] }
		rows = append(rows, decisionRow{ID: int64(i), Title: s(0), Owner: s(1), State: s(2), Open: i%2 == 0, Soon: i%3 == 0,
			Left: s(3), Closes: s(4), Closed: s(5), Reason: s(6), Needs: s(7)})
	}
	if got, want := string(rows.HTML()), oldRowsHTML(rows); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
