package meetings

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
)

// DashboardRoutes registers the signed-in meeting pages on pages (behind
// httpx.Auth.Pages, which checks every form's CSRF token).
func (s *Service) DashboardRoutes(pages *http.ServeMux) {
	pages.HandleFunc("GET /meetings", s.handleMeetingsPage)
	pages.HandleFunc("GET /meetings/{id}", s.handleMeetingPage)
	pages.HandleFunc("POST /meetings/{id}/attendance", s.handleAttendanceForm)
	pages.HandleFunc("POST /meetings/{id}/publish", s.handlePublishDashForm)
	pages.HandleFunc("POST /action-items/{id}", s.handleActionItemForm)
}

type meetingsPage struct {
	httpx.Base
	Upcoming []Occurrence
}

func (s *Service) handleMeetingsPage(w http.ResponseWriter, r *http.Request) {
	p := meetingsPage{Base: httpx.BaseFor(r, "Meetings", s.Clock.Now())}
	var err error
	if p.Upcoming, err = s.Upcoming(r.Context(), actor(r), p.Now.Add(-12*time.Hour), nil, 100); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dash.meetings", p)
}

// MeetingDecisions lists an occurrence's decisions for its page; the
// decisions package provides it (meetings cannot import decisions).
type MeetingDecisions func(r *http.Request, occurrenceID int64) ([]LinkedDecisionRow, error)

// LinkedDecisionRow is a decision as a meeting page lists it.
type LinkedDecisionRow struct {
	ID    int64
	Title string
	State string
}

type meetingPage struct {
	httpx.Base
	OccurrenceView
	Decisions []LinkedDecisionRow
	Done      string
}

func (s *Service) handleMeetingPage(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.View(r.Context(), actor(r), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := meetingPage{Base: httpx.BaseFor(r, v.Title, s.Clock.Now()), OccurrenceView: v, Done: r.URL.Query().Get("done")}
	// The doc link on the dashboard is signed for the viewer, as in emails.
	p.NotesURL = s.notesLink(v.SeriesID, p.Me.ID, v.ID, p.Now)
	if s.DecisionsOf != nil {
		if p.Decisions, err = s.DecisionsOf(r, id); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "dash.meeting", p)
}

func (s *Service) handleAttendanceForm(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := AttendancePatch{Email: r.PostForm.Get("email")}
	if v := r.PostForm.Get("attendance"); v != "" {
		p.Attendance = &v
	}
	if v := r.PostForm.Get("rsvp"); v != "" {
		p.RSVP = &v
	}
	if _, err := s.RecordAttendance(r.Context(), actor(r), id, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=attendance", id), http.StatusSeeOther)
}

func (s *Service) handlePublishDashForm(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var content *string
	if v, ok := r.PostForm["pre_read"]; ok && len(v) > 0 {
		content = &v[0]
	}
	if _, err := s.Publish(r.Context(), actor(r), id, content); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=publish", id), http.StatusSeeOther)
}

func (s *Service) handleActionItemForm(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	done, err := strconv.ParseBool(r.PostForm.Get("done"))
	if err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "done must be true or false"))
		return
	}
	if _, err := s.SetActionItemDone(r.Context(), actor(r), id, done); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/me", http.StatusSeeOther)
}
