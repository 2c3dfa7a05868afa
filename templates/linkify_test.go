package templates

import "testing"

func TestLinkifyEscapesAndLinks(t *testing.T) {
	for in, want := range map[string]string{
		"Read https://example.com/plan.":        `Read <a href="https://example.com/plan">https://example.com/plan</a>.`,
		"<b>x</b> (see http://a.example/x?y=1)": `&lt;b&gt;x&lt;/b&gt; (see <a href="http://a.example/x?y=1">http://a.example/x?y=1</a>)`,
		`javascript:alert(1) "q"`:               `javascript:alert(1) &#34;q&#34;`,
	} {
		if got := string(Linkify(in)); got != want {
			t.Errorf("Linkify(%q) = %q, want %q", in, got, want)
		}
	}
}
