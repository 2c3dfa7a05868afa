package decisions

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/links"
	"meetingd/internal/mail"
)

// Email kinds, each with templates in templates/email.
const (
	MailOpened        = "decision_opened"
	MailExtended      = "decision_extended"
	MailClosingSoon   = "decision_closing_soon"
	MailClosed        = "decision_closed"
	MailOutcomeNeeded = "decision_outcome_needed"
)

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
func (s *Service) link(d Decision, personID int64, kind string) string {
	exp := d.ClosesAt.Add(time.Duration(s.Cfg.MaxExtensions)*s.Cfg.Extension + 30*24*time.Hour)
	tok := s.Links.Sign(links.Claims{Action: ActionDecide, Subject: d.ID, Person: personID, Expires: exp})
	u := fmt.Sprintf("%s/decide?t=%s", s.baseURL(), url.QueryEscape(tok))
	if kind != "" {
		u += "&kind=" + kind
	}
	return u
}

func (s *Service) mailData(ctx context.Context, q db.Queryer, d Decision) (DecisionMail, error) {
	cs, err := contributions(ctx, q, d.ID)
	if err != nil {
		return DecisionMail{}, err
	}
	m := DecisionMail{Decision: d}
	for _, c := range cs {
		switch {
		case c.Kind == Support:
			m.Supports++
		case c.Kind == Object && c.ObjectionState == ObjectionOpen:
			m.Objections = append(m.Objections, c)
		}
	}
	return m, nil
}

// mail queues one email about d to r.
func (s *Service) mail(ctx context.Context, q db.Queryer, d Decision, kind, key string, r mail.Recipient, urgent bool) error {
	base, err := s.mailData(ctx, q, d)
	if err != nil {
		return err
	}
	return s.mailTo(ctx, q, base, kind, key, r, urgent)
}

// mailTo queues base, with links signed for r, to r. Callers mailing many
// people load base once.
func (s *Service) mailTo(ctx context.Context, q db.Queryer, base DecisionMail, kind, key string, r mail.Recipient, urgent bool) error {
	d := base.Decision
	data := base
	data.URL = s.link(d, r.ID, "")
	data.SupportURL, data.ObjectURL = s.link(d, r.ID, Support), s.link(d, r.ID, Object)
	latest := time.Time{}
	if d.State == Open {
		latest = d.ClosesAt
	}
	_, err := s.Outbox.Enqueue(ctx, q, mail.Message{Kind: kind, SubjectKey: key, To: r, Urgent: urgent, Latest: latest, Data: data})
	return err
}

// mailAll queues kind to each of people.
func (s *Service) mailAll(ctx context.Context, q db.Queryer, d Decision, kind, key string, people []mail.Recipient) error {
	base, err := s.mailData(ctx, q, d)
	if err != nil {
		return err
	}
	for _, r := range people {
		if err := s.mailTo(ctx, q, base, kind, key, r, false); err != nil {
			return err
		}
	}
	return nil
}

// mailInvitees queues kind to every invitee but skip (0: nobody skipped).
func (s *Service) mailInvitees(ctx context.Context, q db.Queryer, d Decision, kind, key string, skip int64) error {
	people, err := invitees(ctx, q, d.ID)
	if err != nil {
		return err
	}
	kept := people[:0]
	for _, r := range people {
		if r.ID != skip {
			kept = append(kept, r)
		}
	}
	return s.mailAll(ctx, q, d, kind, key, kept)
}

func (s *Service) mailOwner(ctx context.Context, q db.Queryer, d Decision, kind, key string) error {
	r, err := recipient(ctx, q, d.OwnerID)
	if err != nil {
		return err
	}
	return s.mail(ctx, q, d, kind, key, r, true)
}
