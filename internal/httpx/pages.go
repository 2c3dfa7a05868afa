package httpx

import (
	"bytes"
	"log/slog"
	"net/http"

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
