package httpx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// Viewer is the signed-in person a request acts for.
type Viewer struct {
	ID       int64  `db:"id"`
	Email    string `db:"email"`
	Name     string `db:"name"`
	TimeZone string `db:"time_zone"`
	Operator bool   `db:"operator"`
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the signed-in person, if any.
func ViewerFrom(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(Viewer)
	return v, ok
}

// RequireToken admits requests bearing a valid API token and refuses the
// rest with 401.
func RequireToken(q db.Queryer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meetingd"`)
			Error(w, r, errs.Errorf(errs.Unauthorized, "sign-in required: send Authorization: Bearer <API token> (create one with `meetingd token create --email you@example.com`)"))
			return
		}
		var v Viewer
		err := q.GetContext(r.Context(), &v, q.Rebind(`SELECT p.id, p.email, p.name, p.time_zone, p.operator
			FROM api_tokens t JOIN people p ON p.id = t.person_id WHERE t.hash = ?`), HashToken(token))
		if db.IsNoRows(err) {
			Error(w, r, errs.Errorf(errs.Unauthorized, "API token is not valid"))
			return
		}
		if err != nil {
			Error(w, r, fmt.Errorf("look up token: %w", err))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithViewer(r.Context(), v)))
	})
}

// HashToken is how tokens are stored: only their SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken creates an API token for person and returns it; only its hash is kept.
func NewToken(ctx context.Context, q db.Queryer, personID int64, label string, now time.Time) (string, error) {
	b := make([]byte, 24)
	rand.Read(b)
	token := "mtd_" + hex.EncodeToString(b)
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO api_tokens (hash, person_id, label, created_at) VALUES (?, ?, ?, ?)`),
		HashToken(token), personID, label, now)
	if err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return token, nil
}
