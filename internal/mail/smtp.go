package mail

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPTransport sends through an SMTP server named by a URL:
// smtp://[user:pass@]host[:port] (STARTTLS when offered) or
// smtps://[user:pass@]host[:port] (TLS from the start).
type SMTPTransport struct {
	From   string
	Domain string // for Message-IDs
	opts   []gomail.Option
	host   string
}

// NewSMTPTransport parses rawURL; the error never includes the password.
func NewSMTPTransport(rawURL, from, domain string) (*SMTPTransport, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("--smtp is not a URL (want smtp://host:port or smtps://host:port)")
	}
	t := &SMTPTransport{From: from, Domain: domain, host: u.Hostname()}
	if t.host == "" {
		return nil, fmt.Errorf("--smtp %s has no host", u.Redacted())
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic), gomail.WithPort(25))
	case "smtps":
		opts = append(opts, gomail.WithSSL(), gomail.WithPort(465))
	default:
		return nil, fmt.Errorf("--smtp %s: scheme must be smtp or smtps", u.Redacted())
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("--smtp %s: bad port", u.Redacted())
		}
		opts = append(opts, gomail.WithPort(port))
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	t.opts = opts
	return t, nil
}

// Name is "smtp".
func (t *SMTPTransport) Name() string { return "smtp" }

// Send delivers one email as multipart text and HTML.
func (t *SMTPTransport) Send(ctx context.Context, it Item) error {
	m := gomail.NewMsg()
	if err := m.From(t.From); err != nil {
		return fmt.Errorf("from address %q: %w", t.From, err)
	}
	if err := m.To(it.To); err != nil {
		return fmt.Errorf("recipient %q: %w", it.To, err)
	}
	m.Subject(it.Subject)
	m.SetMessageIDWithValue(MessageID(it, t.Domain))
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, it.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, it.HTML)
	c, err := gomail.NewClient(t.host, t.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}
