package mail

import (
	"context"
	"testing"
	"time"

	"meetingd/internal/db"
	"meetingd/templates"
)

// decisionMail has the fields decision emails read, as decisions.DecisionMail
// does (mail cannot import decisions, which sits above it).
type decisionMail struct {
	ID                         int64
	Title, Proposal, Rationale string
	OwnerEmail, State          string
	ClosesAt                   time.Time
	Extensions, Supports       int
	Objections                 []struct{ AuthorEmail, AuthorName, Text string }
	URL, SupportURL, ObjectURL string
}

// fixed is a Source that composes one decision mail, with links that need
// escaping in an href.
type fixed struct{ data decisionMail }

func links(to Item) []string {
	u := "https://meetingd.test/decide?t=tok-" + to.To + "_x.y%2B"
	return []string{u, u + "&kind=support", u + "&kind=object"}
}

func (f fixed) Compose(_ context.Context, _ db.Queryer, _, _ string, to []Item) (Composed, error) {
	d := f.data
	d.URL, d.SupportURL, d.ObjectURL = Slot(0), Slot(1), Slot(2)
	c := Composed{Data: d, Links: map[int64][]string{}}
	for _, it := range to {
		c.Links[it.RecipientID] = links(it)
	}
	return c, nil
}

// An email composed once for many people, with each one's address and
// links put in after, is byte for byte the email rendered for each alone:
// for every decision email, with addresses, titles and links that need
// escaping, and people in different zones and with names.
func TestComposedOnceMatchesRenderedAlone(t *testing.T) {
	o := &Outbox{Templates: templates.MustLoad(), BaseURL: "https://meetingd.test"}
	d := decisionMail{ID: 7, OwnerEmail: "ana@example.com", Title: "Q & A <weekly>", Proposal: "Move it to 'Friday' & see.",
		State: "open", ClosesAt: time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC), Extensions: 1, Supports: 2,
		Objections: []struct{ AuthorEmail, AuthorName, Text string }{{"ben@example.com", "Ben & co", "No <b>way</b>."}}}
	people := map[int64]Recipient{
		1: {ID: 1, Email: "ana+notes@example.com", Name: "Ana", TimeZone: "Europe/Berlin"},
		2: {ID: 2, Email: "o'neil@example.com", Name: "Pat O'Neil", TimeZone: "America/New_York"},
		3: {ID: 3, Email: "cy@example.com", TimeZone: "Europe/Berlin"},
	}
	var to []Item
	for id, r := range people {
		to = append(to, Item{RecipientID: id, To: r.Email})
	}
	for _, kind := range []string{"decision_opened", "decision_extended", "decision_closing_soon", "decision_closed", "decision_outcome_needed"} {
		o.Register(kind, fixed{d})
		got, _, err := o.compose(context.Background(), nil, kind, "k", to, people)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range to {
			alone := d
			l := links(it)
			alone.URL, alone.SupportURL, alone.ObjectURL = l[0], l[1], l[2]
			want, err := o.render(kind, people[it.RecipientID], alone)
			if err != nil {
				t.Fatal(err)
			}
			if got[it.RecipientID] != want {
				t.Errorf("%s to %s differs:\ncomposed: %q\nalone:    %q", kind, it.To, got[it.RecipientID].html, want.html)
			}
		}
	}
}
