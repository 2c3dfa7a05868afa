package web

import (
	"fmt"
	"net/http"
	"time"

	"meetingd/internal/errs"
	"meetingd/meetings"
)

// asyncForm holds a meeting async: the organizer's one click from its page.
func (s *Server) asyncForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.Meetings.HoldAsync(r.Context(), actor(r), id); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=async", id), http.StatusSeeOther)
}

type asyncPage struct {
	meetings.Occurrence
	Loc   *time.Location
	Token string
}

// asyncLinkPage asks for confirmation: a GET never acts, since mail
// scanners open links.
func (s *Server) asyncLinkPage(w http.ResponseWriter, r *http.Request) {
	s.asyncLinkAnswer(w, r, r.URL.Query().Get("t"))
}

// asyncLinkForm holds the meeting async as the link's reader.
func (s *Server) asyncLinkForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	token := r.PostForm.Get("t")
	p, occID, err := s.Meetings.AsyncReader(r.Context(), token)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.Meetings.HoldAsync(r.Context(), p.Actor(), occID); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.asyncLinkAnswer(w, r, token)
}

func (s *Server) asyncLinkAnswer(w http.ResponseWriter, r *http.Request, token string) {
	p, occID, err := s.Meetings.AsyncReader(r.Context(), token)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.Meetings.View(r.Context(), p.Actor(), occID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "async", asyncPage{Occurrence: v.Occurrence, Loc: p.Location(), Token: token})
}
