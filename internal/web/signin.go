package web

import (
	"net"
	"net/http"
	"net/url"
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
	// Unknown and limited addresses get the same answer as known ones.
	if err := s.SignIn.SendLink(r.Context(), email, next, clientIP(r)); err != nil && errs.Code(err) != errs.NotFound {
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

// signInConfirm uses up the link and starts a session. Only a form on
// meetingd's own page may: another site posting a link of its own would
// sign the victim in as the attacker (login CSRF).
func (s *Server) signInConfirm(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.pageError(w, r, errs.Errorf(errs.Forbidden, "this sign-in did not come from meetingd's own page: open the link from your email again"))
		return
	}
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

// clientIP is the address a request came from, for limits. (Behind a load
// balancer every request comes from it: the limit per address still
// holds, and the one per client is the balancer's.)
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sameOrigin reports whether a browser says the request came from one of
// meetingd's own pages: Sec-Fetch-Site, or else Origin against the base
// URL. A client that sends neither is not a browser, and not a victim.
func (s *Server) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(s.BaseURL)
	return err == nil && (origin == u.Scheme+"://"+u.Host || origin == "http://"+r.Host || origin == "https://"+r.Host)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := s.endSession(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
