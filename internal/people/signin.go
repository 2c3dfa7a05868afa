package people

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/limits"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/internal/secret"
)

// Sign-in by email: a person asks for a link; the link (signed, single use,
// expiring) opens a page whose button starts a session. The button, not the
// link, signs in: mail scanners open links, and must not use them up.

// SignInTTL is how long a sign-in link works.
const SignInTTL = 20 * time.Minute

// ActionSignIn is the signed-link action of sign-in links.
const ActionSignIn = "signin"

// MailSignIn is the sign-in email's kind.
const MailSignIn = "signin"

// SignIn signs people in, by emailed link or with Google.
type SignIn struct {
	DB      *db.DB
	Clock   clock.Clock
	Links   *links.Signer
	Outbox  *mail.Outbox
	BaseURL string
	Log     *slog.Logger
	Wake    jobs.Waker
	// AddressLimit bounds the links one address is sent; ClientLimit the
	// requests one client (IP address) makes, known addresses or not.
	AddressLimit, ClientLimit limits.Rule
}

// DefaultSignInLimits: 5 links an hour to an address, 30 requests an hour
// from a client.
var DefaultSignInLimits = [2]limits.Rule{{Max: 5, Per: time.Hour}, {Max: 30, Per: time.Hour}}

// SafeNext keeps the page a person returns to after signing in on this
// site: a path, never another host.
func SafeNext(next string) string {
	// Browsers drop tabs and newlines from addresses and read a backslash
	// as a slash, so "/\t/evil.example" would leave meetingd: anything but
	// a plain path on this site is refused.
	if !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\") || strings.ContainsFunc(next, unicode.IsControl) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(next, "//") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}

// SendLink emails a sign-in link to a known person, returning to next
// after, for a request from client (an IP address). An unknown address is
// a NotFound error, and an address sent too many links lately a
// RateLimited one with Quiet set: callers must answer both as they answer
// a link sent, revealing nobody. A client asking too often is refused
// outright, whatever the address.
func (s *SignIn) SendLink(ctx context.Context, email, next, client string) error {
	if err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		return limits.Hit(ctx, tx, s.Clock.Now(), "signin-client:"+client, s.ClientLimit, "sign-in requests from your network")
	}); err != nil {
		return err
	}
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		p, err := ByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if !p.Active() {
			return ErrDeactivated // answered like an unknown address
		}
		if err := limits.Hit(ctx, tx, now, "signin:"+p.Email, s.AddressLimit, "sign-in links"); err != nil {
			return ErrQuietlyLimited
		}
		id := secret.Hex(16)
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO signin_links (id, person_id, expires_at, created_at) VALUES (?, ?, ?, ?)`),
			id, p.ID, now.Add(SignInTTL), now); err != nil {
			return fmt.Errorf("sign-in link: %w", err)
		}
		_, err = s.Outbox.Enqueue(ctx, tx, mail.Message{Kind: MailSignIn, SubjectKey: "signin:" + id, To: p.Recipient(),
			Urgent: true, Params: map[string]string{"next": SafeNext(next)}})
		return err
	})
	if err == nil && s.Wake != nil {
		s.Wake.Wake()
	}
	return err
}

// ErrDeactivated is a person an operator deactivated asking for a link:
// NotFound, so it is answered like an unknown address, and nothing is sent.
var ErrDeactivated = errs.Errorf(errs.NotFound, "this person was deactivated by an operator")

// ErrQuietlyLimited is an address sent too many links lately: answered
// like any other, so it reveals nothing, and no link is sent.
var ErrQuietlyLimited = errs.Errorf(errs.NotFound, "sign-in links to this address are limited for now")

// Compose writes a sign-in email as it is sent: its link, signed to expire
// with the link's row. A link already used, or expired, is not sent.
func (s *SignIn) Compose(ctx context.Context, q db.Queryer, kind, key string, to []mail.Item) (mail.Composed, error) {
	id := strings.TrimPrefix(key, "signin:")
	var row struct {
		PersonID  int64      `db:"person_id"`
		ExpiresAt time.Time  `db:"expires_at"`
		UsedAt    *time.Time `db:"used_at"`
	}
	err := q.GetContext(ctx, &row, q.Rebind(`SELECT person_id, expires_at, used_at FROM signin_links WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return mail.DropAll(to, "the sign-in link is gone"), nil
	}
	if err != nil {
		return mail.Composed{}, fmt.Errorf("sign-in link: %w", err)
	}
	switch {
	case row.UsedAt != nil:
		return mail.DropAll(to, "the sign-in link was used already"), nil
	case !s.Clock.Now().Before(row.ExpiresAt):
		return mail.DropAll(to, "the sign-in link expired before it could be sent"), nil
	}
	c := mail.Composed{Data: map[string]any{"Link": mail.Slot(0), "Expires": row.ExpiresAt}, Links: map[int64][]string{}}
	for _, it := range to {
		tok := s.Links.Sign(links.Claims{Action: ActionSignIn + ":" + id, Person: row.PersonID, Expires: row.ExpiresAt})
		c.Links[it.RecipientID] = []string{fmt.Sprintf("%s/signin/link?t=%s&l=%s&next=%s", strings.TrimRight(s.BaseURL, "/"),
			url.QueryEscape(tok), id, url.QueryEscape(SafeNext(it.Param("next"))))}
	}
	return c, nil
}

// CheckLink verifies a sign-in link without using it up: the page it opens
// asks the person to confirm.
func (s *SignIn) CheckLink(token, id string) error {
	_, err := s.Links.Verify(token, ActionSignIn+":"+id, s.Clock.Now())
	return err
}

// UseLink uses up a sign-in link and starts a session for its person,
// returning the session's cookie value.
func (s *SignIn) UseLink(ctx context.Context, token, id string) (string, error) {
	var value string
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		c, err := s.Links.Verify(token, ActionSignIn+":"+id, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE signin_links SET used_at = ?
			WHERE id = ? AND person_id = ? AND used_at IS NULL AND expires_at > ?`), now, id, c.Person, now)
		if err != nil {
			return fmt.Errorf("use sign-in link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Errorf(errs.Unauthorized, "this sign-in link was already used; ask for a new one")
		}
		// A link sent before its person was deactivated must not work after.
		if err := checkActive(ctx, tx, c.Person); err != nil {
			return err
		}
		value, err = StartSession(ctx, tx, c.Person, now)
		return err
	})
	return value, err
}
