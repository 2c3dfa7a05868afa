package httpx

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// CookieName is the session cookie.
const CookieName = "meetingd_session"

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 30 * 24 * time.Hour

// Session is a signed-in browser.
type Session struct {
	Viewer
	CSRF string
}

type sessionKey struct{}

// SessionFrom returns the request's session, if it has one.
func SessionFrom(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// StartSession signs personID in: it stores a session and sets its cookie,
// HttpOnly, SameSite=Lax, and Secure when served over TLS.
func StartSession(ctx context.Context, w http.ResponseWriter, q db.Queryer, personID int64, now time.Time, secure bool) error {
	value := randomHex(32)
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO sessions (hash, person_id, csrf, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`),
		HashToken(value), personID, randomHex(16), now.Add(SessionTTL), now)
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: value, Path: "/", Expires: now.Add(SessionTTL),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// EndSession signs the browser out.
func EndSession(ctx context.Context, w http.ResponseWriter, r *http.Request, q db.Queryer, secure bool) error {
	if c, err := r.Cookie(CookieName); err == nil {
		if _, err := q.ExecContext(ctx, q.Rebind(`DELETE FROM sessions WHERE hash = ?`), HashToken(c.Value)); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode})
	return nil
}

// lookupSession finds the session behind the request's cookie.
func lookupSession(r *http.Request, q db.Queryer, now time.Time) (Session, bool, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Session{}, false, nil
	}
	var s struct {
		Viewer
		CSRF string `db:"csrf"`
	}
	err = q.GetContext(r.Context(), &s, q.Rebind(`SELECT p.id, p.email, p.name, p.time_zone, p.operator, s.csrf
		FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.hash = ? AND s.expires_at > ?`), HashToken(c.Value), now)
	if db.IsNoRows(err) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, fmt.Errorf("session: %w", err)
	}
	return Session{Viewer: s.Viewer, CSRF: s.CSRF}, true, nil
}

// Auth resolves who a request acts for: a bearer API token (scripts) or a
// session cookie (browsers). Requests with neither are refused by
// handlers that need a viewer.
type Auth struct {
	DB  db.Queryer
	Now func() time.Time
}

// API admits requests with a valid token or session; a session's unsafe
// requests must carry its CSRF token in the X-CSRF-Token header.
func (a Auth) API(next http.Handler) http.Handler {
	tokens := RequireToken(a.DB, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			tokens.ServeHTTP(w, r)
			return
		}
		s, ok, err := lookupSession(r, a.DB, a.Now())
		switch {
		case err != nil:
			Error(w, r, err)
		case !ok:
			tokens.ServeHTTP(w, r) // refuses with the sign-in message
		case unsafe(r.Method) && !sameToken(r.Header.Get("X-CSRF-Token"), s.CSRF):
			Error(w, r, errs.Errorf(errs.Forbidden, "missing or wrong X-CSRF-Token header"))
		default:
			ctx := context.WithValue(WithViewer(r.Context(), s.Viewer), sessionKey{}, s)
			next.ServeHTTP(w, r.WithContext(ctx))
		}
	})
}

// Pages admits signed-in browsers and sends others to the sign-in page.
// Every unsafe request must carry the session's CSRF token in the form
// field "csrf".
func (a Auth) Pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok, err := lookupSession(r, a.DB, a.Now())
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !ok {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if unsafe(r.Method) {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
			if err := r.ParseForm(); err != nil || !sameToken(r.PostForm.Get("csrf"), s.CSRF) {
				http.Error(w, "This form has expired or did not come from meetingd. Go back, reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		ctx := context.WithValue(WithViewer(r.Context(), s.Viewer), sessionKey{}, s)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func unsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
