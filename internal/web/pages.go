package web

import (
	"bytes"
	"net/http"
	"sync"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// render writes a page, buffered so a template error becomes a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	err := s.rendered(name, data, func(b *bytes.Buffer) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		b.WriteTo(w)
	})
	if err != nil {
		s.Log.ErrorContext(r.Context(), "render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// renderBytes is the page template name makes of data, as bytes of its own.
func (s *Server) renderBytes(name string, data any) ([]byte, error) {
	var out []byte
	err := s.rendered(name, data, func(b *bytes.Buffer) { out = bytes.Clone(b.Bytes()) })
	return out, err
}

// rendered renders template name with data into a pooled buffer and,
// unless that fails, hands it to use before taking it back.
func (s *Server) rendered(name string, data any, use func(*bytes.Buffer)) error {
	b := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= maxPooledPage {
			b.Reset()
			pageBuffers.Put(b)
		}
	}()
	if err := s.Templates.HTML(b, name, data); err != nil {
		return err
	}
	use(b)
	return nil
}

// pageBuffers keep rendered pages' buffers between requests: grown anew
// by doubling, the decisions page's 55 KB cost twice that in garbage on
// every view. WriteTo copies out before render returns.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage is the largest buffer kept; rarer, larger pages are
// left to the collector.
const maxPooledPage = 1 << 20

// pageError renders err as a page with the status from the one table.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	if errs.Code(err) == errs.Internal {
		s.Log.ErrorContext(r.Context(), "page failed", "path", logPath(r), "err", err)
	}
	setRetryAfter(w, err)
	s.render(w, r, status(err), "message", map[string]string{"Title": "Cannot do that", "Message": errs.Message(err)})
}

// Base is what every signed-in page shows: who is looking, in which time
// zone, the CSRF token its forms carry, and the time (from the service's
// clock, so "time left" is right on an accelerated or fake clock).
type Base struct {
	Title string
	Me    people.Person
	CSRF  string
	Loc   *time.Location
	Now   time.Time
	// Refresh, when set, reloads the page every Refresh seconds (a
	// running import's progress): no JavaScript needed.
	Refresh int
}

// baseFor builds the page base for a request that passed pages.
func (s *Server) baseFor(r *http.Request, title string) Base {
	sess := session(r)
	return Base{Title: title, Me: sess.Person, CSRF: sess.CSRF, Loc: sess.Location(), Now: s.Clock.Now()}
}

// baseAs is the page base of a page a signed link opens, read by p.
func (s *Server) baseAs(p people.Person, title string) Base {
	return Base{Title: title, Me: p, Loc: p.Location(), Now: s.Clock.Now()}
}
