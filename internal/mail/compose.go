package mail

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"strings"

	"meetingd/internal/db"
)

// Source composes the emails of the kinds it registers, when they are
// sent: it reads what they are about as it is then, and says for whom an
// email no longer applies. The packages that owe emails (meetings,
// decisions, people, Google) are Sources: mail, below them, asks.
type Source interface {
	Compose(ctx context.Context, q db.Queryer, kind, key string, to []Item) (Composed, error)
}

// Composed is one email's words for several recipients: rendered once
// per time zone (and per name, for templates that greet by name), with each
// recipient's address and own links put in after.
type Composed struct {
	// Data is the templates' .D, with Slot(i) wherever recipient-specific
	// link i goes.
	Data any
	// Links holds, by recipient id, the links that replace Slot(0),
	// Slot(1), ...
	Links map[int64][]string
	// Drop says, by recipient id, why the email no longer applies to them:
	// they are not sent it, and the outbox shows why.
	Drop map[int64]string
}

// DropAll is a Composed that applies to nobody any more, for reason.
func DropAll(to []Item, reason string) Composed {
	c := Composed{Drop: make(map[int64]string, len(to))}
	for _, it := range to {
		c.Drop[it.RecipientID] = reason
	}
	return c
}

// Register makes src compose the emails of kind.
func (o *Outbox) Register(kind string, src Source) {
	if o.sources == nil {
		o.sources = map[string]Source{}
	}
	o.sources[kind] = src
}

// Slot is the placeholder for a recipient's link i in Composed data: a URL
// that every template escapes to itself.
func Slot(i int) string { return fmt.Sprintf("https://slot.meetingd.invalid/%d/", i) } // the closing slash: slot 1 is no prefix of slot 12

// addressSlot stands for the recipient's address while rendering.
const addressSlot = "slot-address@meetingd.invalid"

// words is an email's subject and bodies.
type words struct{ subject, text, html string }

// compose writes the words of emails of one kind and key for each of to
// (all pending), rendering once per time zone; it returns them by
// recipient, and why the rest were dropped.
func (o *Outbox) compose(ctx context.Context, q db.Queryer, kind, key string, to []Item, people map[int64]Recipient) (map[int64]words, map[int64]string, error) {
	src, ok := o.sources[kind]
	if !ok {
		return nil, nil, fmt.Errorf("no source composes %q emails", kind)
	}
	c, err := src.Compose(ctx, q, kind, key, to)
	if err != nil {
		return nil, nil, fmt.Errorf("compose %s %s: %w", kind, key, err)
	}
	out := make(map[int64]words, len(to))
	byName := o.Templates.UsesName(kind)
	rendered := map[[2]string]words{}
	for _, it := range to {
		if _, dropped := c.Drop[it.RecipientID]; dropped {
			continue
		}
		r := people[it.RecipientID]
		as := Recipient{Email: addressSlot, TimeZone: r.TimeZone}
		if byName {
			as.Name = r.Name
		}
		w, ok := rendered[[2]string{as.TimeZone, as.Name}]
		if !ok {
			if w, err = o.render(kind, as, c.Data); err != nil {
				return nil, nil, err
			}
			rendered[[2]string{as.TimeZone, as.Name}] = w
		}
		links := c.Links[it.RecipientID]
		out[it.RecipientID] = words{
			subject: personalize(w.subject, r.Email, links, plain, plain),
			text:    personalize(w.text, r.Email, links, plain, plain),
			html:    personalize(w.html, r.Email, links, htmlText, htmlURL),
		}
	}
	return out, c.Drop, nil
}

func (o *Outbox) render(kind string, to Recipient, data any) (words, error) {
	subject, text, html, err := o.Templates.Email(kind, TemplateData{To: to, Loc: to.Location(), BaseURL: o.BaseURL, D: data})
	return words{subject, text, html}, err
}

// personalize puts a recipient's address and links in place of the slots,
// escaped as the template would have escaped them: the address as text,
// the links as the href of a link, which is where every template puts them
// (TestComposedOnceMatchesRenderedAlone holds them to it).
func personalize(s, address string, links []string, text, link func(string) string) string {
	pairs := []string{addressSlot, text(address)}
	for i, l := range links {
		pairs = append(pairs, Slot(i), link(l))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func plain(s string) string { return s }

var (
	textEscaper = htmltemplate.Must(htmltemplate.New("").Parse(`{{.}}`))
	hrefEscaper = htmltemplate.Must(htmltemplate.New("").Parse(`<a href="{{.}}">`))
)

// htmlText escapes s as html/template does in text.
func htmlText(s string) string {
	var b bytes.Buffer
	textEscaper.Execute(&b, s)
	return b.String()
}

// htmlURL escapes s as html/template does in a link's href.
func htmlURL(s string) string {
	var b bytes.Buffer
	hrefEscaper.Execute(&b, s)
	return strings.TrimSuffix(strings.TrimPrefix(b.String(), `<a href="`), `">`)
}
