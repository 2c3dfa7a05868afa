package web

import (
	"net/http"
	"strings"

	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// Sign-in by email: the form asks for a link, the link opens a page whose
// button (not the link: mail scanners open links) starts a session.

type signInPage struct {
	Next, Token, Message string
	Sent                 bool
	OIDC                 bool // offer sign-in with Google
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin", signInPage{Next: people.SafeNext(r.URL.Query().Get("next")), OIDC: s.oidc != nil})
}

// signInRequest emails a link to a known person. Its answer is the same
// whether or not the address is known, so it reveals nobody.
func (s *Server) signInRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	email := people.NormalizeEmail(r.PostForm.Get("email"))
	next := people.SafeNext(r.PostForm.Get("next"))
	if !strings.Contains(email, "@") {
		s.render(w, r, http.StatusBadRequest, "signin", signInPage{Next: next, Message: "Enter your email address."})
		return
	}
	if err := s.SignIn.SendLink(r.Context(), email, next); err != nil && errs.Code(err) != errs.NotFound {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "signin", signInPage{Sent: true})
}

func (s *Server) signInLink(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := s.SignIn.CheckLink(q.Get("t"), q.Get("l")); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "signin", signInPage{Token: q.Get("t") + "|" + q.Get("l"), Next: people.SafeNext(q.Get("next"))})
}

// signInConfirm uses up the link and starts a session.
func (s *Server) signInConfirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	tok, id, _ := strings.Cut(r.PostForm.Get("token"), "|")
	value, err := s.SignIn.UseLink(r.Context(), tok, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.setSession(w, r, value)
	http.Redirect(w, r, people.SafeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := s.endSession(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
