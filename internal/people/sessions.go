package people

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/secret"
)

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 30 * 24 * time.Hour

// Session is a signed-in browser: who, and the token its forms carry
// against cross-site requests.
type Session struct {
	Person
	CSRF string
}

// StartSession signs personID in and returns the value for the browser's
// cookie. Only its hash is stored.
func StartSession(ctx context.Context, q db.Queryer, personID int64, now time.Time) (string, error) {
	value := secret.Hex(32)
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO sessions (hash, person_id, csrf, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`),
		secret.Hash(value), personID, secret.Hex(16), now.Add(SessionTTL), now)
	if err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return value, nil
}

// LookupSession finds the live session behind a cookie value. A
// deactivated person's sessions end with their deactivation.
func LookupSession(ctx context.Context, q db.Queryer, value string, now time.Time) (Session, bool, error) {
	if value == "" {
		return Session{}, false, nil
	}
	var row struct {
		Person
		CSRF string `db:"csrf"`
	}
	err := q.GetContext(ctx, &row, q.Rebind(`SELECT `+prefixed+`, s.csrf FROM sessions s JOIN people p ON p.id = s.person_id
		WHERE s.hash = ? AND s.expires_at > ? AND p.deactivated_at IS NULL`), secret.Hash(value), now)
	if db.IsNoRows(err) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, fmt.Errorf("session: %w", err)
	}
	return Session{Person: row.Person, CSRF: row.CSRF}, true, nil
}

// EndSession signs a browser out.
func EndSession(ctx context.Context, q db.Queryer, value string) error {
	if value == "" {
		return nil
	}
	if _, err := q.ExecContext(ctx, q.Rebind(`DELETE FROM sessions WHERE hash = ?`), secret.Hash(value)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// NewToken creates an API token for personID and returns it; only its
// hash is kept.
func NewToken(ctx context.Context, q db.Queryer, personID int64, label string, now time.Time) (string, error) {
	token := "mtd_" + secret.Hex(24)
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO api_tokens (hash, person_id, label, created_at) VALUES (?, ?, ?, ?)`),
		secret.Hash(token), personID, label, now)
	if err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return token, nil
}

// ByToken finds whom an API token belongs to; a deactivated person's
// tokens stop working.
func ByToken(ctx context.Context, q db.Queryer, token string) (Person, error) {
	var p Person
	err := q.GetContext(ctx, &p, q.Rebind(`SELECT `+prefixed+` FROM api_tokens t JOIN people p ON p.id = t.person_id
		WHERE t.hash = ? AND p.deactivated_at IS NULL`), secret.Hash(token))
	if db.IsNoRows(err) {
		return Person{}, errs.Errorf(errs.Unauthorized, "API token is not valid")
	}
	if err != nil {
		return Person{}, fmt.Errorf("look up token: %w", err)
	}
	return p, nil
}

// FeedToken is the secret in the person's calendar feed address, made the
// first time it is asked for, or anew when rotate is set (the old address
// then stops working).
func FeedToken(ctx context.Context, q db.Queryer, personID int64, rotate bool) (string, error) {
	var tok *string
	if err := q.GetContext(ctx, &tok, q.Rebind(`SELECT feed_token FROM people WHERE id = ?`), personID); err != nil {
		return "", fmt.Errorf("feed of person %d: %w", personID, err)
	}
	if tok == nil || rotate {
		t := secret.Hex(32)
		if _, err := q.ExecContext(ctx, q.Rebind(`UPDATE people SET feed_token = ? WHERE id = ?`), t, personID); err != nil {
			return "", fmt.Errorf("feed of person %d: %w", personID, err)
		}
		tok = &t
	}
	return *tok, nil
}

// ByFeedToken finds whose feed a secret opens.
func ByFeedToken(ctx context.Context, q db.Queryer, token string) (Person, error) {
	var id int64
	err := q.GetContext(ctx, &id, q.Rebind(`SELECT id FROM people WHERE feed_token = ?`), token)
	if db.IsNoRows(err) || token == "" {
		return Person{}, errs.Errorf(errs.NotFound, "no such feed")
	}
	if err != nil {
		return Person{}, fmt.Errorf("feed: %w", err)
	}
	return ByID(ctx, q, id)
}
