package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/internal/secret"
)

// Who a request acts for: a bearer API token (scripts) or a session cookie
// (browsers). A session's unsafe requests must prove they come from
// meetingd's own pages with the session's CSRF token: in the form field
// "csrf" on pages, in the X-CSRF-Token header on the API.

// cookieName is the session cookie.
const cookieName = "meetingd_session"

type sessionKey struct{}

// session is the signed-in person behind a request that passed api or
// pages; an API token's session has no CSRF token.
func session(r *http.Request) people.Session {
	s, _ := r.Context().Value(sessionKey{}).(people.Session)
	return s
}

// viewer is the signed-in person a request acts for.
func viewer(r *http.Request) people.Person { return session(r).Person }

// actor is the viewer acting.
func actor(r *http.Request) people.Actor { return viewer(r).Actor() }

func withSession(r *http.Request, s people.Session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, s))
}

// api admits requests with a valid token or session.
func (s *Server) api(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || cookie(r) == "" {
			s.tokenAuth(next).ServeHTTP(w, r)
			return
		}
		sess, ok, err := s.creds.Session(r.Context(), cookie(r))
		switch {
		case err != nil:
			s.apiError(w, r, err)
		case !ok:
			s.tokenAuth(next).ServeHTTP(w, r) // refuses with the sign-in message
		case unsafe(r.Method) && !secret.Equal(r.Header.Get("X-CSRF-Token"), sess.CSRF):
			s.apiError(w, r, errs.Errorf(errs.Forbidden, "missing or wrong X-CSRF-Token header"))
		default:
			next.ServeHTTP(w, withSession(r, sess))
		}
	})
}

// tokenAuth admits requests bearing a valid API token and refuses the rest
// with 401.
func (s *Server) tokenAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meetingd"`)
			s.apiError(w, r, errs.Errorf(errs.Unauthorized, "sign-in required: send Authorization: Bearer <API token> (create one with `meetingd token create --email you@example.com`)"))
			return
		}
		p, _, err := s.creds.Token(r.Context(), token)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		next.ServeHTTP(w, withSession(r, people.Session{Person: p}))
	})
}

// pages admits signed-in browsers and sends others to the sign-in page.
// Every unsafe request must carry the session's CSRF token in the form
// field "csrf".
func (s *Server) pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.creds.Session(r.Context(), cookie(r))
		if err != nil {
			s.Log.ErrorContext(r.Context(), "session", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !ok {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if unsafe(r.Method) {
			err := parseForm(w, r)
			if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
				http.Error(w, fmt.Sprintf("This form is too large: an uploaded file may be up to %d MB, any other form %d MB. Go back and send less.",
					maxImport>>20, maxBody>>20), http.StatusRequestEntityTooLarge)
				return
			}
			if err != nil || !secret.Equal(r.PostForm.Get("csrf"), sess.CSRF) {
				http.Error(w, "This form has expired or did not come from meetingd. Go back, reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, withSession(r, sess))
	})
}

// uploadPath is the one form that takes a file: an ICS upload, as large as
// an import. Every other form stays within maxBody, whatever it claims.
const uploadPath = "/admin/calendars/import"

// parseForm reads a page's form. The upload's file may be as large as an
// import; past maxBody it waits on disk, not in memory, and the server
// removes it when the request is done.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Path == uploadPath && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, maxImport+maxBody)
		return r.ParseMultipartForm(maxBody)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	return r.ParseForm()
}

func unsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// cookie is the session cookie's value, or "".
func cookie(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// setSession gives the browser its session cookie: HttpOnly, SameSite=Lax,
// and Secure when served over TLS.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, value string) {
	now := s.Clock.Now()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/", Expires: now.Add(people.SessionTTL),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// endSession signs the browser out.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	if err := people.EndSession(r.Context(), s.DB, cookie(r)); err != nil {
		return err
	}
	s.creds.Forget(cookie(r))
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteLaxMode})
	return nil
}

// secure says whether cookies get the Secure flag: served over TLS, or
// behind a proxy that does, as the base URL tells.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.BaseURL, "https://")
}
