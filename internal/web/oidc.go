package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// Sign-in with Google: the attempt's secrets travel in a short-lived
// cookie (sealed by people.SignIn), whose path keeps it off other pages.

const (
	oidcCookie     = "meetingd_oidc"
	oidcCookiePath = "/signin/google"
)

func (s *Server) googleSignIn(w http.ResponseWriter, r *http.Request) {
	f := people.NewFlow(r.URL.Query().Get("next"))
	now := s.Clock.Now()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: s.SignIn.SealFlow(f), Path: oidcCookiePath,
		Expires: now.Add(people.OIDCFlowTTL), MaxAge: int(people.OIDCFlowTTL / time.Second),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, s.oidc.AuthCodeURL(f), http.StatusSeeOther)
}

// googleSignInCallback takes Google's answer: it checks it belongs to the
// attempt this browser started, and starts a session for the known person
// Google vouches for.
func (s *Server) googleSignInCallback(w http.ResponseWriter, r *http.Request) {
	// The URL carries a code: keep it out of Referer headers.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	f, err := s.takeFlow(w, r)
	if err != nil {
		s.oidcRefused(w, r, "/", err)
		return
	}
	q := r.URL.Query()
	ctx := oidc.ClientContext(r.Context(), s.oidcClient)
	email, err := s.oidc.Email(ctx, f, people.Answer{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")})
	if err != nil {
		s.oidcRefused(w, r, f.Next, err)
		return
	}
	p, value, err := s.SignIn.GoogleSession(r.Context(), email)
	if err != nil {
		s.oidcRefused(w, r, f.Next, err)
		return
	}
	s.setSession(w, r, value)
	s.Log.InfoContext(r.Context(), "signed in with openid connect", "person", p.ID)
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

// takeFlow reads and clears the attempt's cookie: an attempt gets one answer.
func (s *Server) takeFlow(w http.ResponseWriter, r *http.Request) (people.Flow, error) {
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	c, err := r.Cookie(oidcCookie)
	if err != nil || c.Value == "" {
		return people.Flow{}, errs.Errorf(errs.Invalid, "this browser has no Google sign-in under way "+
			"(it took over %d minutes, or cookies are off); start again", int(people.OIDCFlowTTL/time.Minute))
	}
	return s.SignIn.OpenFlow(c.Value)
}

type oidcRefusedPage struct {
	Title, Message, Next string
}

// oidcRefused shows why sign-in failed, with a way back to the sign-in
// page, and logs it without the request's query (it holds the code).
func (s *Server) oidcRefused(w http.ResponseWriter, r *http.Request, next string, err error) {
	var provider people.ProviderError
	switch {
	case errors.As(err, &provider):
		s.Log.ErrorContext(r.Context(), "openid connect provider failed", "err", err)
		s.render(w, r, http.StatusBadGateway, "signin.oidc.failed", oidcRefusedPage{Title: "Cannot sign you in",
			Message: "meetingd could not reach Google to finish signing you in. Try again in a minute, or use an emailed link.", Next: next})
		return
	case errs.Code(err) == errs.Internal:
		s.pageError(w, r, err) // logs it
		return
	}
	s.Log.InfoContext(r.Context(), "openid connect sign-in refused", "status", status(err), "err", err)
	title := "Cannot sign you in"
	if errs.Code(err) == errs.Forbidden {
		title = "Not allowed to sign in here"
	}
	s.render(w, r, status(err), "signin.oidc.failed", oidcRefusedPage{Title: title, Message: errs.Message(err), Next: next})
}
