// Package templates holds every email, notes-doc and page template,
// embedded in the binary. All of them are parsed once, at start, so a broken
// template stops the service before it serves anything.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed email notes pages static
var embedded embed.FS

// Set is the parsed templates.
type Set struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Load parses the embedded templates, or those under dir when it is not
// empty (an operator's edited copy of this folder).
func Load(dir string) (*Set, error) {
	var fsys fs.FS = embedded
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	text, err := texttemplate.New("").Funcs(texttemplate.FuncMap(funcs)).ParseFS(fsys, "email/*.txt", "notes/*.txt")
	if err != nil {
		return nil, fmt.Errorf("text templates: %w", err)
	}
	html, err := htmltemplate.New("").Funcs(htmltemplate.FuncMap(funcs)).ParseFS(fsys, "email/*.html", "notes/*.html", "pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("html templates: %w", err)
	}
	return &Set{text: text, html: html}, nil
}

// Stylesheet is the pages' stylesheet, served at /static/meetingd.css.
func Stylesheet() []byte {
	b, err := embedded.ReadFile("static/meetingd.css")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// Script is static/<name>, a page's script, served from the binary like
// the stylesheet: the pages' Content-Security-Policy allows no inline script.
func Script(name string) []byte {
	b, err := embedded.ReadFile("static/" + name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// MustLoad is Load for the embedded set, which tests prove parses.
func MustLoad() *Set {
	s, err := Load("")
	if err != nil {
		panic(err)
	}
	return s
}

// Email renders the subject, plain text and HTML of an email of the given
// kind. Each kind has "<kind>.subject" and "<kind>.text" in email/<kind>.txt
// and "<kind>.html" in email/<kind>.html.
func (s *Set) Email(kind string, data any) (subject, text, html string, err error) {
	if subject, err = s.Text(kind+".subject", data); err != nil {
		return
	}
	subject = strings.Join(strings.Fields(subject), " ")
	if text, err = s.Text(kind+".text", data); err != nil {
		return
	}
	var b bytes.Buffer
	if err = s.html.ExecuteTemplate(&b, kind+".html", data); err != nil {
		return "", "", "", fmt.Errorf("email %s: %w", kind, err)
	}
	return subject, text, b.String(), nil
}

// UsesName reports whether an email kind's templates greet the recipient
// by name (.To.Name): such an email is written for each person, the rest
// once for everyone in a time zone.
func (s *Set) UsesName(kind string) bool {
	for _, t := range []interface{ String() string }{treeOf(s.text.Lookup(kind + ".text")), treeOf(s.text.Lookup(kind + ".subject"))} {
		if strings.Contains(t.String(), ".To.Name") {
			return true
		}
	}
	if h := s.html.Lookup(kind + ".html"); h != nil && h.Tree != nil && strings.Contains(h.Tree.Root.String(), ".To.Name") {
		return true
	}
	return false
}

type tree struct{ s string }

func (t tree) String() string { return t.s }

func treeOf(t *texttemplate.Template) tree {
	if t == nil || t.Tree == nil {
		return tree{}
	}
	return tree{t.Tree.Root.String()}
}

// Text renders a text template by name.
func (s *Set) Text(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := s.text.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	return b.String(), nil
}

// HTML renders an HTML template (a page or the notes doc) by name.
func (s *Set) HTML(w io.Writer, name string, data any) error {
	if err := s.html.ExecuteTemplate(w, name, data); err != nil {
		return fmt.Errorf("template %s: %w", name, err)
	}
	return nil
}

var funcs = map[string]any{
	// when formats an instant (a time.Time or *time.Time) in the reader's
	// zone: "Tue 3 Dec 2024, 10:00 CET".
	"when": func(t any, loc *time.Location) string {
		switch v := t.(type) {
		case time.Time:
			return When(v, loc)
		case *time.Time:
			if v != nil {
				return When(*v, loc)
			}
		}
		return ""
	},
	// linkify escapes text and makes its http(s) URLs links, for text
	// people wrote (a pre-read) shown in HTML.
	"linkify": Linkify,
	// rsvp says a calendar reply in words: "needs_action" is "no reply yet".
	"rsvp": func(v string) string {
		if w, ok := rsvpWords[strings.ToLower(v)]; ok {
			return w
		}
		return strings.ReplaceAll(v, "_", " ")
	},
	// clock formats the time of day only.
	"clock": Clock,
	"lines": func(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") },
	// left is the time from now to t, roughly: "2d 3h", "5h 10m", "closed".
	"left": Left,
	// soon reports whether t is less than a day after now.
	"soon": Soon,
}

// When formats an instant in the reader's zone: "Tue 3 Dec 2024, 10:00 CET".
func When(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// Clock formats an instant's time of day in the reader's zone: "10:00 CET".
func Clock(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04 MST")
}

// Left is the time from now to t, roughly: "2d 3h", "5h 10m", "past".
func Left(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "past"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes())+1)
}

// Soon reports whether t is less than a day after now.
func Soon(t, now time.Time) bool { return t.After(now) && t.Sub(now) < 24*time.Hour }

// rsvpWords are calendar replies (RFC 5545 PARTSTAT, lowercased) in words.
var rsvpWords = map[string]string{"needs_action": "no reply yet", "needs-action": "no reply yet", "": "no reply yet",
	"accepted": "accepted", "declined": "declined", "tentative": "maybe", "delegated": "delegated"}

// urlRE finds the web addresses in text people wrote; a trailing full stop,
// comma or closing bracket ends the sentence, not the address.
var urlRE = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)\]]`)

// Linkify is text, escaped, with each http(s) URL in it a link.
func Linkify(text string) htmltemplate.HTML {
	var b strings.Builder
	last := 0
	for _, m := range urlRE.FindAllStringIndex(text, -1) {
		b.WriteString(htmltemplate.HTMLEscapeString(text[last:m[0]]))
		u := htmltemplate.HTMLEscapeString(text[m[0]:m[1]])
		b.WriteString(`<a href="` + u + `">` + u + `</a>`)
		last = m[1]
	}
	b.WriteString(htmltemplate.HTMLEscapeString(text[last:]))
	return htmltemplate.HTML(b.String())
}
