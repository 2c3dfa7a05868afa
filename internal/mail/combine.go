package mail

import (
	"fmt"
	"strings"
	"time"
)

// Several emails due to one person at about the same time (the notes of a
// meeting, a decision closing, another extended) go as one, whose subject
// says how many things it holds. Urgent mail (a sign-in link, an outcome
// owed) always goes alone: it is looked for by its own subject.

// CombineWindow is how far ahead a person's send gathers their other
// non-urgent emails, so that ones falling due minutes apart go together.
const CombineWindow = 5 * time.Minute

// combined splits ready emails into what is sent as one: each urgent email
// alone, and each person's others together, in order.
func combined(ready []Item) [][]Item {
	var out [][]Item
	idx := map[int64]int{}
	for _, it := range ready {
		if it.Urgent {
			out = append(out, []Item{it})
			continue
		}
		i, ok := idx[it.RecipientID]
		if !ok {
			i = len(out)
			idx[it.RecipientID] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], it)
	}
	return out
}

// combine writes batch as one email: a subject that counts and names its
// parts, then each part under its own subject, with one footer.
func combine(batch []Item) Item {
	msg := batch[0]
	subjects := make([]string, len(batch))
	var text, html strings.Builder
	fmt.Fprintf(&text, "%d updates from meetingd.\n", len(batch))
	for i, it := range batch {
		subjects[i] = it.Subject
		body, footer := cutFooter(it.Text)
		fmt.Fprintf(&text, "\n\n== %d. %s ==\n\n%s", i+1, it.Subject, strings.TrimSpace(body))
		if i == len(batch)-1 {
			text.WriteString("\n" + footer)
		}
		if i > 0 {
			html.WriteString("<hr>\n")
		}
		html.WriteString(htmlPart(it, i == len(batch)-1))
	}
	msg.Subject = clip(fmt.Sprintf("%d updates: %s", len(batch), strings.Join(subjects, "; ")), 200)
	msg.Text = text.String()
	msg.HTML = htmlDoc(batch[0].HTML, html.String())
	return msg
}

// cutFooter splits a text email at its footer ("\n--\n").
func cutFooter(text string) (body, footer string) {
	if i := strings.LastIndex(text, "\n--\n"); i >= 0 {
		return text[:i], text[i:]
	}
	return text, ""
}

// htmlPart is the inside of an HTML email's body under its subject, with
// its footer kept only when it is the last part.
func htmlPart(it Item, last bool) string {
	inner := it.HTML
	if i := strings.Index(inner, "<body"); i >= 0 {
		if j := strings.Index(inner[i:], ">"); j >= 0 {
			inner = inner[i+j+1:]
		}
	}
	if i := strings.LastIndex(inner, "</body>"); i >= 0 {
		inner = inner[:i]
	}
	if !last {
		if i := strings.LastIndex(inner, `<p style="color:#777`); i >= 0 {
			inner = inner[:i]
		}
	}
	return "<h2>" + escapeHTML(it.Subject) + "</h2>\n" + inner
}

// htmlDoc puts parts into the first email's document (head and body tag).
func htmlDoc(first, parts string) string {
	i := strings.Index(first, "<body")
	if i < 0 {
		return parts
	}
	j := strings.Index(first[i:], ">")
	if j < 0 {
		return parts
	}
	return first[:i+j+1] + "\n" + parts + "</body></html>"
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
