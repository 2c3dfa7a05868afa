package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"meetingd/calendar"
	"meetingd/calendar/google"
	"meetingd/internal/errs"
)

// The admin Calendars page: upload an ICS file, which runs the same
// background import as POST /api/v1/import, and follow its progress on a
// page that reloads itself (no JavaScript); and the Google calendars with
// their sync state and a button to resume one that stopped.

type adminCalendarsPage struct {
	Base
	GoogleOn bool // Google Calendar is configured
	Google   []google.Status
	Polled   bool // the /calendars page for subscriptions and CalDAV exists
	Resumed  bool
	// A refused upload comes back with its message and the name typed.
	Error, Name string
}

func (s *Server) adminCalendarsPage(w http.ResponseWriter, r *http.Request) {
	s.renderCalendars(w, r, http.StatusOK, adminCalendarsPage{Resumed: r.URL.Query().Get("done") == "resumed"})
}

// renderCalendars fills p with the Google calendars' state and renders it.
func (s *Server) renderCalendars(w http.ResponseWriter, r *http.Request, status int, p adminCalendarsPage) {
	p.Base, p.GoogleOn, p.Polled = s.baseFor(r, "Calendars"), s.Google != nil, s.Subscriptions != nil && s.CalDAV != nil
	if s.Google != nil {
		var err error
		if p.Google, err = s.Google.Calendars(r.Context()); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	s.render(w, r, status, "admin.calendars", p)
}

// importForm starts the background import of an uploaded ICS file and
// sends the browser to its progress page.
func (s *Server) importForm(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	data, err := uploaded(r)
	var st calendar.ImportStatus
	if err == nil {
		st, err = s.Calendar.StartImport(r.Context(), data, name, viewer(r).ID)
	}
	if err != nil {
		if errs.Code(err) == errs.Internal {
			s.pageError(w, r, err)
			return
		}
		s.renderCalendars(w, r, status(err), adminCalendarsPage{Error: errs.Message(err), Name: name})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/calendars/imports/%d", st.ID), http.StatusSeeOther)
}

// uploaded reads the form's ICS file.
func uploaded(r *http.Request) ([]byte, error) {
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, errs.Errorf(errs.Invalid, "choose an ICS file (.ics) to upload")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImport+1))
	switch {
	case err != nil:
		return nil, errs.Errorf(errs.Invalid, "reading the uploaded file: %v", err)
	case len(data) > maxImport:
		return nil, errs.Errorf(errs.TooLarge, "the file is over %d MB: split it, or import it with `meetingd import`", maxImport>>20)
	case len(data) == 0:
		return nil, errs.Errorf(errs.Invalid, "the uploaded file is empty: choose an ICS export of a calendar")
	}
	return data, nil
}

type importPage struct {
	Base
	Import calendar.ImportStatus
	Done   bool // finished, one way or the other: the page stops reloading
}

// importPage shows an import's progress; until it is done the page
// reloads itself every two seconds.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var st calendar.ImportStatus
	if err == nil {
		st, err = s.Calendar.ImportStatusOf(r.Context(), id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := importPage{Base: s.baseFor(r, "Import "+st.Calendar), Import: st,
		Done: st.State == calendar.ImportDone || st.State == calendar.ImportFailed}
	if !p.Done {
		p.Refresh = 2
	}
	s.render(w, r, http.StatusOK, "admin.import", p)
}

// googleResumeForm resumes syncing a stopped Google calendar.
func (s *Server) googleResumeForm(w http.ResponseWriter, r *http.Request) {
	if s.Google == nil {
		s.pageError(w, r, errs.Errorf(errs.NotFound, "Google Calendar is not configured here (see --google-calendars)"))
		return
	}
	if err := s.Google.Resume(r.Context(), r.PostForm.Get("calendar")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/calendars?done=resumed", http.StatusSeeOther)
}
