package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"meetingd/decisions"
	"meetingd/internal/errs"
	"meetingd/meetings"
)

type meetingsPage struct {
	Base
	Now_     meetingRows // started and not yet ended
	Upcoming meetingRows // not started
}

func (s *Server) meetingsPage(w http.ResponseWriter, r *http.Request) {
	p := meetingsPage{Base: s.baseFor(r, "Meetings")}
	var err error
	// From 12 hours back, for meetings under way; ended ones are not listed.
	list, err := s.Meetings.Upcoming(r.Context(), actor(r), p.Now.Add(-12*time.Hour), nil, 100)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var now, upcoming []meetings.Occurrence
	for _, o := range list {
		switch {
		case o.StartsAt.After(p.Now):
			upcoming = append(upcoming, o)
		case o.EndsAt.After(p.Now):
			now = append(now, o)
		}
	}
	p.Now_, p.Upcoming = meetingRowsOf(p.Base, now), meetingRowsOf(p.Base, upcoming)
	s.render(w, r, http.StatusOK, "dash.meetings", p)
}

// linkedDecision is a decision as a meeting page lists it.
type linkedDecision struct {
	ID    int64
	Title string
	State string
}

type meetingPage struct {
	Base
	meetings.OccurrenceView
	Decisions []linkedDecision
	Done      string
	Started   bool           // the pre-read can no longer be published
	Editable  bool           // the viewer may edit and cancel it (built-in calendar)
	NewItem   actionItemForm // the new action item form, as typed when refused
}

func (s *Server) meetingPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := s.meetingPageFor(r, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dash.meeting", p)
}

// meetingPageFor builds occurrence id's page for the viewer.
func (s *Server) meetingPageFor(r *http.Request, id int64) (meetingPage, error) {
	v, err := s.Meetings.View(r.Context(), actor(r), id)
	if err != nil {
		return meetingPage{}, err
	}
	p := meetingPage{Base: s.baseFor(r, v.Title), OccurrenceView: v, Done: r.URL.Query().Get("done")}
	p.Started = !p.Now.Before(v.StartsAt)
	// The doc link on the dashboard is signed for the viewer, as in emails.
	p.NotesURL = s.Meetings.NotesLink(v.SeriesID, p.Me.ID, v.ID, p.Now)
	if p.Editable, err = s.editable(r.Context(), p.Me, v); err != nil {
		return meetingPage{}, err
	}
	list, err := s.Decisions.List(r.Context(), actor(r), decisions.Filter{OccurrenceID: id}, nil, 200)
	if err != nil {
		return meetingPage{}, err
	}
	for _, d := range list {
		p.Decisions = append(p.Decisions, linkedDecision{ID: d.ID, Title: d.Title, State: d.State})
	}
	return p, nil
}

func (s *Server) attendanceForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := meetings.AttendancePatch{Email: r.PostForm.Get("email")}
	if v := r.PostForm.Get("attendance"); v != "" {
		p.Attendance = &v
	}
	if v := r.PostForm.Get("rsvp"); v != "" {
		p.RSVP = &v
	}
	if _, err := s.Meetings.RecordAttendance(r.Context(), actor(r), id, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=attendance", id), http.StatusSeeOther)
}

func (s *Server) publishForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var content *string
	if v, ok := r.PostForm["pre_read"]; ok && len(v) > 0 {
		content = &v[0]
	}
	if _, err := s.Meetings.Publish(r.Context(), actor(r), id, content); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=publish", id), http.StatusSeeOther)
}

func (s *Server) actionItemForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	done, err := strconv.ParseBool(r.PostForm.Get("done"))
	if err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "done must be true or false"))
		return
	}
	if _, err := s.Meetings.SetActionItemDone(r.Context(), actor(r), id, done); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/me", http.StatusSeeOther)
}
