package web

import (
	"net/http"
	"strings"

	"meetingd/internal/errs"
	"meetingd/internal/secret"
	"meetingd/templates"
)

// csp allows the pages what they use, and no more: their own stylesheet,
// forms that post back to meetingd, no script at all, no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// tokenPaths are the pages whose address carries a secret (a signed link,
// a feed's token): a link followed from them must not pass it on.
var tokenPaths = []string{"/notes/", "/publish", "/async", "/decide", "/signin/link", "/feed/"}

// secureHeaders sets, on every answer, the headers a security review expects.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	hsts := strings.HasPrefix(s.BaseURL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		referrer := "same-origin"
		for _, p := range tokenPaths {
			if strings.HasPrefix(r.URL.Path, p) {
				referrer = "no-referrer"
			}
		}
		h.Set("Referrer-Policy", referrer)
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

var stylesheet = templates.Stylesheet()

// style serves the pages' stylesheet.
func (s *Server) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(stylesheet)
}

// metricsGuard requires the metrics token, when one is set: /metrics
// shows email counts by kind and each route's traffic.
func (s *Server) metricsGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.MetricsToken != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || !secret.Equal(got, s.MetricsToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="meetingd metrics"`)
				s.apiError(w, r, errs.Errorf(errs.Unauthorized, "/metrics needs the metrics token: Authorization: Bearer <--metrics-token>"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
