package web

import (
	"html/template"
	"strings"
	"testing"
)

// meetingRowsTemplate is how the template would write the rows, with the
// helpers' words already made.
const meetingRowsTemplate = `{{define "now"}}{{range .}}<tr><td data-label="Meeting"><a href="/meetings/{{.ID}}">{{.Title}}</a></td><td data-label="Ends">{{.Ends}}</td></tr>
{{end}}{{end}}{{define "upcoming"}}{{range .}}<tr><td data-label="Meeting"><a href="/meetings/{{.ID}}">{{.Title}}</a></td><td data-label="Starts">{{.Starts}}</td><td data-label="Pre-read">{{if .HeldAsync}}<span class="state state-ready">held async</span> · {{end}}<span class="state state-{{.PreRead}}">{{.PreRead}}</span>{{if .DueIn}} — due in {{.DueIn}}{{end}}</td></tr>
{{end}}{{end}}`

// The rows written in Go are the bytes html/template writes, awkward text
// included: nothing a meeting's title holds can break the page.
func TestMeetingRowsAreWhatTheTemplateWrites(t *testing.T) {
	tpl := template.Must(template.New("rows").Parse(meetingRowsTemplate))
	odd := []string{"", "plain", `"quoted" & 'single'`, "<script>x</script>", "a+b", "nul\x00byte", "bad \xff utf8",
		"é 日本 🙂", "&amp; already", "tab\tnl\n"}
	var rows meetingRows
	for i, s := range odd {
		rows = append(rows, meetingRow{ID: int64(i + 1), Title: s, Starts: odd[(i+1)%len(odd)], Ends: odd[(i+2)%len(odd)],
			PreRead: odd[(i+3)%len(odd)], DueIn: odd[(i+4)%len(odd)], HeldAsync: i%2 == 0})
	}
	for name, got := range map[string]template.HTML{"now": rows.NowHTML(), "upcoming": rows.UpcomingHTML()} {
		var want strings.Builder
		if err := tpl.ExecuteTemplate(&want, name, rows); err != nil {
			t.Fatal(err)
		}
		if string(got) != want.String() {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want.String())
		}
	}
}
