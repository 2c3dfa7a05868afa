package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/mail"
	"meetingd/internal/people"
)

// operatorsOnly refuses everyone but operators.
func (s *Server) operatorsOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !viewer(r).Operator {
			s.apiError(w, r, errs.Errorf(errs.Forbidden, "only operators may see or do this"))
			return
		}
		h(w, r)
	}
}

// schedule lists the steps due next, for operators.
func (s *Server) schedule(w http.ResponseWriter, r *http.Request) {
	_, limit, err := pageParams(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	steps, err := s.Meetings.Schedule(r.Context(), limit)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"steps": list(steps)})
}

// outbox shows operators every email, and anyone else their own, newest
// first.
func (s *Server) outbox(w http.ResponseWriter, r *http.Request) {
	v := viewer(r)
	to := strings.ToLower(r.URL.Query().Get("to"))
	if !v.Operator {
		if to != "" && to != v.Email {
			s.apiError(w, r, errs.Errorf(errs.Forbidden, "only operators may read other people's email"))
			return
		}
		to = v.Email
	}
	after, limit, err := pageParams(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var before int64
	if after != nil {
		before = after.ID
	}
	items, err := s.Outbox.List(r.Context(), s.DB, to, before, limit+1)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page(w, "emails", items, limit, func(it mail.Item) db.Cursor { return db.Cursor{At: it.CreatedAt, ID: it.ID} })
}

type outboxPage struct {
	Base
	Items  []mail.Item
	Filter mail.Filter
	Path   string // /outbox or /admin/outbox: where the filters and "Older" go
	Older  string // the next page's address, "" at the end
	States []string
}

// outboxStates are the states an email can be in, for the page's filter.
var outboxStates = []string{"pending", "sent", "kept", "dropped", "failed"}

// outboxPage is the operators' outbox page: every email, newest first,
// filtered by address, kind and state.
func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request) {
	b := s.baseFor(r, "Outbox")
	if !b.Me.Operator {
		s.pageError(w, r, errs.Errorf(errs.Forbidden, "only operators may read the outbox"))
		return
	}
	q := r.URL.Query()
	f := mail.Filter{To: people.NormalizeEmail(q.Get("to")), Kind: strings.TrimSpace(q.Get("kind")), State: q.Get("state")}
	// The page's "Older" link carries the last id shown.
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	items, err := s.Outbox.Find(r.Context(), s.DB, f, before, 101)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := outboxPage{Base: b, Items: items, Filter: f, Path: r.URL.Path, States: outboxStates}
	if len(items) > 100 {
		p.Items = items[:100]
		p.Older = olderURL(r.URL.Path, f, items[99].ID)
	}
	s.render(w, r, http.StatusOK, "dash.outbox", p)
}

// olderURL is the outbox's next page, keeping its filters.
func olderURL(path string, f mail.Filter, before int64) string {
	v := url.Values{"before": {strconv.FormatInt(before, 10)}}
	for k, s := range map[string]string{"to": f.To, "kind": f.Kind, "state": f.State} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return path + "?" + v.Encode()
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.PingContext(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	s.apiError(w, r, errs.Errorf(errs.NotFound, "no API endpoint %s %s", r.Method, r.URL.Path))
}
