// Package links signs the URLs in emails that act (publish a pre-read, open
// a notes doc as its reader): each is bound to one person and one thing,
// and expires.
package links

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// Signer makes and checks signed tokens.
type Signer struct {
	key []byte
}

// NewSigner returns a signer with key, which must be at least 32 bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("signing key is %d bytes, want at least 32", len(key))
	}
	return &Signer{key: key}, nil
}

// Claims is what a token grants: Action on Subject, for Person, until Expires.
type Claims struct {
	Action  string
	Subject int64
	Person  int64
	Expires time.Time
}

// Sign returns a URL-safe token for c.
func (s *Signer) Sign(c Claims) string {
	payload := fmt.Sprintf("%s.%d.%d.%d", c.Action, c.Subject, c.Person, c.Expires.Unix())
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.mac(payload)
}

// Verify checks token's signature, that it grants action, and that it has
// not expired at now.
func (s *Signer) Verify(token, action string, now time.Time) (Claims, error) {
	enc, sig, ok := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil {
		return Claims{}, errs.Errorf(errs.Unauthorized, "link is malformed")
	}
	payload := string(raw)
	if !hmac.Equal([]byte(sig), []byte(s.mac(payload))) {
		return Claims{}, errs.Errorf(errs.Unauthorized, "link signature is not valid")
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 4 {
		return Claims{}, errs.Errorf(errs.Unauthorized, "link is malformed")
	}
	c := Claims{Action: parts[0]}
	var exp int64
	var e1, e2, e3 error
	c.Subject, e1 = strconv.ParseInt(parts[1], 10, 64)
	c.Person, e2 = strconv.ParseInt(parts[2], 10, 64)
	exp, e3 = strconv.ParseInt(parts[3], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil {
		return Claims{}, errs.Errorf(errs.Unauthorized, "link is malformed")
	}
	c.Expires = time.Unix(exp, 0).UTC()
	if c.Action != action {
		return Claims{}, errs.Errorf(errs.Unauthorized, "link is for %q, not %q", c.Action, action)
	}
	if !now.Before(c.Expires) {
		return Claims{}, errs.Errorf(errs.Unauthorized, "link expired at %s", c.Expires.Format(time.RFC3339))
	}
	return c, nil
}

func (s *Signer) mac(payload string) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// LoadKey returns the installation's signing key, creating and storing a
// random one the first time, so links survive restarts.
func LoadKey(ctx context.Context, q db.Queryer) ([]byte, error) {
	var hexKey string
	err := q.GetContext(ctx, &hexKey, `SELECT value FROM settings WHERE name = 'signing_key'`)
	if err == nil {
		return hex.DecodeString(hexKey)
	}
	if !db.IsNoRows(err) {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	if _, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO settings (name, value) VALUES ('signing_key', ?) ON CONFLICT (name) DO NOTHING`),
		hex.EncodeToString(key)); err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	// Another process may have won the race: read back whichever is stored.
	if err := q.GetContext(ctx, &hexKey, `SELECT value FROM settings WHERE name = 'signing_key'`); err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	return hex.DecodeString(hexKey)
}
