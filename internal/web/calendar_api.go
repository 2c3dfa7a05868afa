package web

import (
	"fmt"
	"net/http"
	"strings"

	"meetingd/calendar"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// maxImport is the largest ICS file the API accepts.
const maxImport = 32 << 20

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) {
	v := viewer(r)
	var in calendar.EventInput
	if err := decode(w, r, maxBody, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	if in.Organizer == "" {
		in.Organizer = v.Email
	}
	if people.NormalizeEmail(in.Organizer) != v.Email && !v.Operator {
		s.apiError(w, r, errs.Errorf(errs.Forbidden, "you may only create events you organize"))
		return
	}
	uid, res, err := s.Calendar.Create(r.Context(), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	occs, err := s.Calendar.Occurrences(r.Context(), uid)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"uid": uid, "result": res, "occurrences": occs})
}

// ownedEvent loads the event in the path and checks the viewer organizes it.
func (s *Server) ownedEvent(r *http.Request) (calendar.EventInput, error) {
	v := viewer(r)
	in, err := s.Calendar.Get(r.Context(), r.PathValue("uid"))
	if err != nil {
		return calendar.EventInput{}, err
	}
	if people.NormalizeEmail(in.Organizer) != v.Email && !v.Operator {
		return calendar.EventInput{}, errs.Errorf(errs.NotFound, "no event %q in the built-in calendar", in.UID)
	}
	return in, nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	in, err := s.ownedEvent(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

func (s *Server) updateEvent(w http.ResponseWriter, r *http.Request) {
	cur, err := s.ownedEvent(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in calendar.EventInput
	if err := decode(w, r, maxBody, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	if in.UID != "" && in.UID != cur.UID {
		s.apiError(w, r, errs.Errorf(errs.Invalid, "uid in the body (%q) differs from the one in the path (%q)", in.UID, cur.UID))
		return
	}
	in.UID = cur.UID
	if in.Organizer == "" {
		in.Organizer = cur.Organizer
	}
	res, err := s.Calendar.Update(r.Context(), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uid": in.UID, "result": res})
}

func (s *Server) cancelEvent(w http.ResponseWriter, r *http.Request) {
	cur, err := s.ownedEvent(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	res, err := s.Calendar.Cancel(r.Context(), cur.UID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uid": cur.UID, "result": res})
}

// importICS takes an ICS file as the body (?name= names the calendar) and
// imports it in the background: 202, with where to follow its progress.
func (s *Server) importICS(w http.ResponseWriter, r *http.Request) {
	if !viewer(r).Operator {
		s.apiError(w, r, errs.Errorf(errs.Forbidden, "only operators may import calendars"))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		s.apiError(w, r, errs.Errorf(errs.Invalid, "Content-Type must be text/calendar, not %q", ct))
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		s.apiError(w, r, errs.Errorf(errs.Invalid, "name is required: ?name= names the imported calendar"))
		return
	}
	body, err := readBody(w, r, maxImport)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	st, err := s.Calendar.StartImport(r.Context(), body, name, viewer(r).ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/imports/%d", st.ID))
	writeJSON(w, http.StatusAccepted, st)
}

// importStatus reports a background import's progress, for operators.
func (s *Server) importStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	st, err := s.Calendar.ImportStatusOf(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) feedURL(w http.ResponseWriter, r *http.Request) { s.answerFeedURL(w, r, false) }

func (s *Server) rotateFeed(w http.ResponseWriter, r *http.Request) { s.answerFeedURL(w, r, true) }

func (s *Server) answerFeedURL(w http.ResponseWriter, r *http.Request, rotate bool) {
	u, err := s.Feed.URL(r.Context(), viewer(r).ID, rotate)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": u})
}

// feed serves a person's ICS feed at its secret address.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutSuffix(r.PathValue("token"), ".ics")
	if !ok || tok == "" {
		s.apiError(w, r, errs.Errorf(errs.NotFound, "no such feed"))
		return
	}
	body, err := s.Feed.ICS(r.Context(), tok)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(body)
}
