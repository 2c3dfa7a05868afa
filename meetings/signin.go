package meetings

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/httpx"
	"meetingd/internal/links"
	"meetingd/internal/mail"
)

// Sign-in by email: a person asks for a link, the link (signed, single use,
// expiring) opens a page whose button starts a session. The button, not
// the link, signs in: mail scanners open links, and must not use them up.

// SignInTTL is how long a sign-in link works.
const SignInTTL = 20 * time.Minute

// ActionSignIn is the signed-link action of sign-in links.
const ActionSignIn = "signin"

// MailSignIn is the sign-in email's kind.
const MailSignIn = "signin"

// SignInRoutes registers the sign-in pages on pub.
func (s *Service) SignInRoutes(pub *http.ServeMux) {
	pub.HandleFunc("GET /signin", s.handleSignInPage)
	pub.HandleFunc("POST /signin", s.handleSignInRequest)
	pub.HandleFunc("GET /signin/link", s.handleSignInLink)
	pub.HandleFunc("POST /signin/link", s.handleSignInConfirm)
	pub.HandleFunc("POST /signout", s.handleSignOut)
}

type signInPage struct {
	Next, Token, Message string
	Sent                 bool
	OIDC                 bool // offer sign-in with Google
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Service) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin", signInPage{Next: safeNext(r.URL.Query().Get("next")), OIDC: s.GoogleSignIn})
}

// handleSignInRequest emails a link to a known person. Its answer is the
// same whether or not the address is known, so it reveals nobody.
func (s *Service) handleSignInRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	email := NormalizeEmail(r.PostForm.Get("email"))
	next := safeNext(r.PostForm.Get("next"))
	if !strings.Contains(email, "@") {
		s.render(w, r, http.StatusBadRequest, "signin", signInPage{Next: next, Message: "Enter your email address."})
		return
	}
	if err := s.sendSignIn(r.Context(), email, next); err != nil && errs.Code(err) != errs.NotFound {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "signin", signInPage{Sent: true})
}

func (s *Service) sendSignIn(ctx context.Context, email, next string) error {
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		p, err := PersonByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		id := newID()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO signin_links (id, person_id, expires_at, created_at) VALUES (?, ?, ?, ?)`),
			id, p.ID, now.Add(SignInTTL), now); err != nil {
			return fmt.Errorf("sign-in link: %w", err)
		}
		tok := s.Links.Sign(links.Claims{Action: ActionSignIn + ":" + id, Subject: 0, Person: p.ID, Expires: now.Add(SignInTTL)})
		link := fmt.Sprintf("%s/signin/link?t=%s&l=%s&next=%s", s.baseURL(), url.QueryEscape(tok), id, url.QueryEscape(next))
		_, err = s.Outbox.Enqueue(ctx, tx, mail.Message{Kind: MailSignIn, SubjectKey: "signin:" + id, To: p.Recipient(),
			Urgent: true, Data: map[string]any{"Link": link, "Expires": now.Add(SignInTTL)}})
		return err
	})
	if err == nil {
		s.wake()
	}
	return err
}

func (s *Service) handleSignInLink(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, err := s.Links.Verify(q.Get("t"), ActionSignIn+":"+q.Get("l"), s.Clock.Now()); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "signin", signInPage{Token: q.Get("t") + "|" + q.Get("l"), Next: safeNext(q.Get("next"))})
}

// handleSignInConfirm uses up the link and starts a session.
func (s *Service) handleSignInConfirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	tok, id, _ := strings.Cut(r.PostForm.Get("token"), "|")
	err := db.InTx(r.Context(), s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		c, err := s.Links.Verify(tok, ActionSignIn+":"+id, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(r.Context(), tx.Rebind(`UPDATE signin_links SET used_at = ?
			WHERE id = ? AND person_id = ? AND used_at IS NULL AND expires_at > ?`), now, id, c.Person, now)
		if err != nil {
			return fmt.Errorf("use sign-in link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Errorf(errs.Unauthorized, "this sign-in link was already used; ask for a new one")
		}
		return httpx.StartSession(r.Context(), w, tx, c.Person, now, s.secure(r))
	})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (s *Service) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if err := httpx.EndSession(r.Context(), w, r, s.DB, s.secure(r)); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// secure says whether cookies get the Secure flag: served over TLS, or
// behind a proxy that does, as the base URL tells.
func (s *Service) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.Cfg.BaseURL, "https://")
}

func newID() string {
	return strings.ReplaceAll(links.RandomID(), "-", "")
}
