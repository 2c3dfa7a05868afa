package web

import (
	"net/http"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

func (s *Server) listOccurrences(w http.ResponseWriter, r *http.Request) {
	from := s.Clock.Now()
	if f := r.URL.Query().Get("from"); f != "" {
		t, err := time.Parse(time.RFC3339, f)
		if err != nil {
			s.apiError(w, r, errs.Errorf(errs.Invalid, "from %q is not an RFC 3339 time", f))
			return
		}
		from = t
	}
	after, limit, err := pageParams(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	list, err := s.Meetings.Upcoming(r.Context(), actor(r), from, after, limit+1)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page(w, "occurrences", list, limit, func(o meetings.Occurrence) db.Cursor { return db.Cursor{At: o.StartsAt, ID: o.ID} })
}

func (s *Server) getOccurrence(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	v, err := s.Meetings.View(r.Context(), actor(r), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in struct {
		PreRead *string `json:"pre_read"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, meetings.MaxSectionText+1024, &in); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	o, err := s.Meetings.Publish(r.Context(), actor(r), id, in.PreRead)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) editNotes(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var p meetings.SectionPatch
	if err := decode(w, r, 5*meetings.MaxSectionText+1024, &p); err != nil {
		s.apiError(w, r, err)
		return
	}
	sec, err := s.Meetings.UpdateSection(r.Context(), actor(r), id, p)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sec)
}

func (s *Server) recordAttendance(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var p meetings.AttendancePatch
	if err := decode(w, r, maxBody, &p); err != nil {
		s.apiError(w, r, err)
		return
	}
	if p.Email == "" {
		p.Email = viewer(r).Email
	}
	a, err := s.Meetings.RecordAttendance(r.Context(), actor(r), id, p)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) setRecording(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in struct {
		URL string `json:"url"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	o, err := s.Meetings.SetRecording(r.Context(), actor(r), id, in.URL)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) addActionItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in meetings.ActionItemInput
	if err := decode(w, r, maxBody, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	it, err := s.Meetings.AddActionItem(r.Context(), actor(r), id, in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, it)
}

// myActionItems lists the signed-in person's action items by due date;
// ?all=true includes done ones.
func (s *Server) myActionItems(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	all := r.URL.Query().Get("all") == "true"
	items, err := s.Meetings.ActionItemsOf(r.Context(), viewer(r).ID, all, after, limit+1)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page(w, "action_items", items, limit, func(it meetings.ActionItem) db.Cursor { return db.Cursor{At: it.DueAt, ID: it.ID} })
}

func (s *Server) markActionItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in struct {
		Done *bool `json:"done"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	if in.Done == nil {
		s.apiError(w, r, errs.Errorf(errs.Invalid, "done is required: true or false"))
		return
	}
	it, err := s.Meetings.SetActionItemDone(r.Context(), actor(r), id, *in.Done)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p, err := people.ByID(r.Context(), s.DB, viewer(r).ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p.Preferences())
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var p people.Patch
	if err := decode(w, r, maxBody, &p); err != nil {
		s.apiError(w, r, err)
		return
	}
	out, err := people.Update(r.Context(), s.DB, viewer(r).ID, p)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out.Preferences())
}
