package web

import (
	"net/http"

	"meetingd/internal/errs"
)

// The operators' pages under /admin: people, calendars (ICS upload and
// Google), the outbox and the schedule. Each is behind a session, every
// form carries its CSRF token, and anyone but an operator gets a 403 page
// saying so.

// adminRoutes adds the /admin pages to the dashboard's mux.
func (s *Server) adminRoutes(dash *http.ServeMux) {
	dash.HandleFunc("GET /admin", s.operatorPage(s.adminPage))
	dash.HandleFunc("GET /admin/people", s.operatorPage(s.peoplePage))
	dash.HandleFunc("POST /admin/people", s.operatorPage(s.peopleForm))
	dash.HandleFunc("GET /admin/calendars", s.operatorPage(s.adminCalendarsPage))
	dash.HandleFunc("POST /admin/calendars/import", s.operatorPage(s.importForm))
	dash.HandleFunc("GET /admin/calendars/imports/{id}", s.operatorPage(s.importPage))
	dash.HandleFunc("POST /admin/calendars/google", s.operatorPage(s.googleResumeForm))
	dash.HandleFunc("GET /admin/outbox", s.operatorPage(s.outboxPage))
	dash.HandleFunc("GET /admin/schedule", s.operatorPage(s.schedulePage))
}

// operatorPage refuses everyone but operators with a page that says why.
func (s *Server) operatorPage(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !viewer(r).Operator {
			s.pageError(w, r, errs.Errorf(errs.Forbidden,
				"Only operators may use the admin pages. Ask an operator if you need something changed."))
			return
		}
		h(w, r)
	}
}

type adminPage struct {
	Base
	Google bool // Google Calendar is configured
	Polled bool // the /calendars page for subscriptions and CalDAV exists
}

// adminPage is the index: a line on each section.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "admin.index", adminPage{Base: s.baseFor(r, "Admin"), Google: s.Google != nil,
		Polled: s.Subscriptions != nil && s.CalDAV != nil})
}
