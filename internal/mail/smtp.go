package mail

import (
	"context"
	"fmt"
	"meetingd/internal/input"
	"net/url"
	"strconv"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPTransport sends through an SMTP server named by a URL:
// smtp://[user:pass@]host[:port] (STARTTLS when offered) or
// smtps://[user:pass@]host[:port] (TLS from the start).
//
// It keeps one connection open between emails, so a batch costs one
// handshake, not one each, and dials again after an error or a pause.
type SMTPTransport struct {
	From   string
	Domain string // for Message-IDs
	opts   []gomail.Option
	host   string

	mu       sync.Mutex
	client   *gomail.Client // connected, or nil
	lastUsed time.Time
}

// smtpIdle is how long a connection may sit unused and still be trusted:
// servers drop idle connections, and a dropped one fails the next send.
const smtpIdle = 15 * time.Second

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
	// A header never carries a line break, whatever a subject was made of.
	// A header never carries a line break, whatever a subject was made of.
	m.Subject(input.CleanLine(it.Subject, 998))
	m.SetMessageIDWithValue(MessageID(it, t.Domain))
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, it.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, it.HTML)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.client != nil && time.Since(t.lastUsed) > smtpIdle {
		t.hangUp()
	}
	if t.client == nil {
		c, err := gomail.NewClient(t.host, t.opts...)
		if err != nil {
			return fmt.Errorf("smtp client: %w", err)
		}
		if err := c.DialWithContext(ctx); err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		t.client = c
	}
	t.lastUsed = time.Now()
	if err := t.client.Send(m); err != nil {
		t.hangUp() // the next email starts on a fresh connection
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}

// hangUp closes the open connection, if any.
func (t *SMTPTransport) hangUp() {
	if t.client != nil {
		t.client.Close()
		t.client = nil
	}
}

// Close ends the open connection.
func (t *SMTPTransport) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hangUp()
}
