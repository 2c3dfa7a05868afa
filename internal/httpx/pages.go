package httpx

import (
	"bytes"
	"log/slog"
	"net/http"
	"time"

	"meetingd/internal/errs"
	"meetingd/templates"
)

// Pages renders server-side HTML pages from the templates.
type Pages struct {
	Templates *templates.Set
	Log       *slog.Logger
}

// Render writes the page, buffered so a template error becomes a clean 500.
func (p Pages) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var b bytes.Buffer
	if err := p.Templates.HTML(&b, name, data); err != nil {
		p.Log.ErrorContext(r.Context(), "render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	b.WriteTo(w)
}

// Error renders err as a page with the status from the one table.
func (p Pages) Error(w http.ResponseWriter, r *http.Request, err error) {
	if errs.Code(err) == errs.Internal {
		p.Log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	p.Render(w, r, Status(err), "message", map[string]string{"Title": "Cannot do that", "Message": errs.Message(err)})
}

// Base is what every signed-in page shows: who is looking, in which time
// zone, the CSRF token its forms carry, and the time (from the service's
// clock, so "time left" is right on an accelerated or fake clock).
type Base struct {
	Title string
	Me    Viewer
	CSRF  string
	Loc   *time.Location
	Now   time.Time
}

// BaseFor builds the page base for a request that passed Auth.Pages.
func BaseFor(r *http.Request, title string, now time.Time) Base {
	s, _ := SessionFrom(r.Context())
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return Base{Title: title, Me: s.Viewer, CSRF: s.CSRF, Loc: loc, Now: now}
}
