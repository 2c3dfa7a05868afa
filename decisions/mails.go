package decisions

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/internal/people"
)

// Email kinds, each with templates in templates/email.
const (
	MailOpened        = "decision_opened"
	MailExtended      = "decision_extended"
	MailClosingSoon   = "decision_closing_soon"
	MailClosed        = "decision_closed"
	MailOutcomeNeeded = "decision_outcome_needed"
)

var mailKinds = []string{MailOpened, MailExtended, MailClosingSoon, MailClosed, MailOutcomeNeeded}

// ActionDecide is the signed-link action that lets its recipient see a
// decision and contribute to it without signing in.
const ActionDecide = "decide"

// DecisionMail is what decision emails show.
type DecisionMail struct {
	Decision
	URL        string // the decision page, signed for the recipient
	SupportURL string
	ObjectURL  string
	Objections []Contribution // open ones
	Supports   int
}

// link is a signed page link for the recipient; it works while the
// decision can change and a while after, to read its outcome.
// DecideLinks are personID's signed links to d: its page, and support and
// object preselected, for emails that carry a decision (the notes email).
func (s *Service) DecideLinks(d Decision, personID int64) (page, support, object string) {
	return s.link(d, personID, ""), s.link(d, personID, Support), s.link(d, personID, Object)
}

func (s *Service) link(d Decision, personID int64, kind string) string {
	exp := d.ClosesAt.Add(time.Duration(s.Cfg.MaxExtensions)*s.Cfg.Extension + 30*24*time.Hour)
	tok := s.Links.Sign(links.Claims{Action: ActionDecide, Subject: d.ID, Person: personID, Expires: exp})
	u := fmt.Sprintf("%s/decide?t=%s", s.baseURL(), url.QueryEscape(tok))
	if kind != "" {
		u += "&kind=" + kind
	}
	return u
}

// Emails are queued here with what they are about, and written when sent
// (Compose), from the decision as it is then.

// mailTo owes kind about d to rs; key is appended to the decision's subject.
func (s *Service) mailTo(ctx context.Context, q db.Queryer, d Decision, kind, key string, rs []mail.Recipient, urgent bool) error {
	if len(rs) == 0 {
		return nil
	}
	var latest time.Time
	if d.State == Open {
		latest = d.ClosesAt
	}
	_, err := s.Outbox.EnqueueAll(ctx, q, mail.Message{Kind: kind, SubjectKey: d.subject() + key, Urgent: urgent, Latest: latest}, rs)
	return err
}

// mailInvitees owes kind about d to every invitee but skip (0: nobody).
func (s *Service) mailInvitees(ctx context.Context, q db.Queryer, d Decision, kind, key string, skip int64) error {
	return s.mailInviteesOf(ctx, q, []Decision{d}, kind, key, skip)
}

// mailInviteesOf owes kind about each of ds to its invitees (but skip),
// reading every invitation once for all of them.
func (s *Service) mailInviteesOf(ctx context.Context, q db.Queryer, ds []Decision, kind, key string, skip int64) error {
	if len(ds) == 0 {
		return nil
	}
	invited, err := inviteesOf(ctx, q, idsOf(ds))
	if err != nil {
		return err
	}
	for _, d := range ds {
		var rs []mail.Recipient
		for _, r := range invited[d.ID] {
			if r.ID != skip {
				rs = append(rs, r)
			}
		}
		if err := s.mailTo(ctx, q, d, kind, key, rs, false); err != nil {
			return err
		}
	}
	return nil
}

// mailOwners owes kind, urgent, to the owner of each of ds.
func (s *Service) mailOwners(ctx context.Context, q db.Queryer, ds []Decision, kind, key string) error {
	owners := make([]int64, len(ds))
	for i, d := range ds {
		owners[i] = d.OwnerID
	}
	ps, err := people.ByIDs(ctx, q, owners)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := s.mailTo(ctx, q, d, kind, key, []mail.Recipient{ps[d.OwnerID].Recipient()}, true); err != nil {
			return err
		}
	}
	return nil
}

// Compose writes a decision email as it is sent, from the decision as it
// is then, and drops it where its reason is gone: a decision closed before
// its opened, extended or closing-soon email went, an outcome already
// recorded, an invitee who contributed since they were to be reminded.
func (s *Service) Compose(ctx context.Context, q db.Queryer, kind, key string, to []mail.Item) (mail.Composed, error) {
	subject, _, _ := strings.Cut(key, "/")
	id, err := jobs.SubjectID(subject, SubjectPrefix)
	if err != nil {
		return mail.Composed{}, err
	}
	d, err := getDecision(ctx, q, id)
	if err != nil {
		return mail.DropAll(to, "the decision is gone"), nil
	}
	now := s.Clock.Now()
	switch {
	case (kind == MailOpened || kind == MailExtended || kind == MailClosingSoon) && !d.IsOpen(now):
		return mail.DropAll(to, fmt.Sprintf("the decision is %s now", d.State)), nil
	case kind == MailOutcomeNeeded && d.State != Contested:
		return mail.DropAll(to, fmt.Sprintf("the outcome was recorded: %s", d.State)), nil
	}
	cs, err := contributions(ctx, q, id)
	if err != nil {
		return mail.Composed{}, err
	}
	data := DecisionMail{Decision: d, URL: mail.Slot(0), SupportURL: mail.Slot(1), ObjectURL: mail.Slot(2)}
	contributed := map[int64]bool{}
	for _, c := range cs {
		contributed[c.AuthorID] = true
		switch {
		case c.Kind == Support:
			data.Supports++
		case c.Kind == Object && c.ObjectionState == ObjectionOpen:
			data.Objections = append(data.Objections, c)
		}
	}
	out := mail.Composed{Data: data, Links: map[int64][]string{}, Drop: map[int64]string{}}
	for _, it := range to {
		if kind == MailClosingSoon && contributed[it.RecipientID] {
			out.Drop[it.RecipientID] = "they contributed since"
			continue
		}
		out.Links[it.RecipientID] = []string{s.link(d, it.RecipientID, ""), s.link(d, it.RecipientID, Support), s.link(d, it.RecipientID, Object)}
	}
	return out, nil
}
