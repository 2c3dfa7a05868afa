package meetings

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
)

// Routes registers the meetings API on api (behind sign-in) and the notes
// doc and publish pages, which signed links open, on pub.
func (s *Service) Routes(api, pub *http.ServeMux) {
	api.HandleFunc("GET /api/v1/occurrences", s.handleList)
	api.HandleFunc("GET /api/v1/occurrences/{id}", s.handleGet)
	api.HandleFunc("POST /api/v1/occurrences/{id}/publish", s.handlePublish)
	api.HandleFunc("PATCH /api/v1/occurrences/{id}/notes", s.handleNotes)
	api.HandleFunc("PUT /api/v1/occurrences/{id}/attendance", s.handleAttendance)
	api.HandleFunc("PUT /api/v1/occurrences/{id}/recording", s.handleRecording)
	api.HandleFunc("POST /api/v1/occurrences/{id}/action-items", s.handleActionItem)
	api.HandleFunc("GET /api/v1/action-items", s.handleMyActionItems)
	api.HandleFunc("PATCH /api/v1/action-items/{id}", s.handleActionItemDone)
	api.HandleFunc("GET /api/v1/me", s.handleMe)
	api.HandleFunc("PATCH /api/v1/me", s.handleUpdateMe)
	pub.HandleFunc("GET /notes/{series}", s.handleNotesDoc)
	pub.HandleFunc("POST /notes/{series}/occurrences/{id}", s.handleNotesForm)
	pub.HandleFunc("GET /publish", s.handlePublishPage)
	pub.HandleFunc("POST /publish", s.handlePublishForm)
}

// actor is the signed-in person behind an API request.
func actor(r *http.Request) Actor {
	v, _ := httpx.ViewerFrom(r.Context())
	return Actor{PersonID: v.ID, Operator: v.Operator}
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from := s.Clock.Now()
	if f := q.Get("from"); f != "" {
		t, err := time.Parse(time.RFC3339, f)
		if err != nil {
			httpx.Error(w, r, errs.Errorf(errs.Invalid, "from %q is not an RFC 3339 time", f))
			return
		}
		from = t
	}
	limit, err := limitParam(q.Get("limit"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var after *Occurrence
	if c := q.Get("cursor"); c != "" {
		if after, err = parseCursor(c); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	list, err := s.Upcoming(r.Context(), actor(r), from, after, limit+1)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	resp := map[string]any{"occurrences": list}
	if len(list) > limit {
		last := list[limit-1]
		resp["occurrences"] = list[:limit]
		resp["next_cursor"] = strconv.FormatInt(last.StartsAt.Unix(), 10) + "." + strconv.FormatInt(last.ID, 10)
	}
	httpx.JSON(w, http.StatusOK, resp)
}

func limitParam(s string) (int, error) {
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, errs.Errorf(errs.Invalid, "limit %q must be a number from 1 to 500", s)
	}
	return n, nil
}

func parseCursor(c string) (*Occurrence, error) {
	ts, id, ok := strings.Cut(c, ".")
	sec, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, errs.Errorf(errs.Invalid, "cursor %q is not one this API returned", c)
	}
	return &Occurrence{ID: n, StartsAt: time.Unix(sec, 0).UTC()}, nil
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v, err := s.View(r.Context(), actor(r), id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, v)
}

func (s *Service) handlePublish(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in struct {
		PreRead *string `json:"pre_read"`
	}
	if r.ContentLength != 0 {
		if err := httpx.Decode(w, r, MaxSectionText+1024, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	o, err := s.Publish(r.Context(), actor(r), id, in.PreRead)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, o)
}

func (s *Service) handleNotes(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var p SectionPatch
	if err := httpx.Decode(w, r, 5*MaxSectionText+1024, &p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	sec, err := s.UpdateSection(r.Context(), actor(r), id, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, sec)
}

func (s *Service) handleAttendance(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var p AttendancePatch
	if err := httpx.Decode(w, r, httpx.MaxBody, &p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if p.Email == "" {
		v, _ := httpx.ViewerFrom(r.Context())
		p.Email = v.Email
	}
	a, err := s.RecordAttendance(r.Context(), actor(r), id, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, a)
}

func (s *Service) handleRecording(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in struct {
		URL string `json:"url"`
	}
	if err := httpx.Decode(w, r, httpx.MaxBody, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	o, err := s.SetRecording(r.Context(), actor(r), id, in.URL)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, o)
}

func (s *Service) handleActionItem(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in ActionItemInput
	if err := httpx.Decode(w, r, httpx.MaxBody, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	it, err := s.AddActionItem(r.Context(), actor(r), id, in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, it)
}

func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	p, err := PersonByID(r.Context(), s.DB, actor(r).PersonID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, personJSON(p))
}

func (s *Service) handleUpdateMe(w http.ResponseWriter, r *http.Request) {
	var p PersonPatch
	if err := httpx.Decode(w, r, httpx.MaxBody, &p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	out, err := UpdatePerson(r.Context(), s.DB, actor(r).PersonID, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, personJSON(out))
}

// personJSON shows working hours the way PATCH takes them.
func personJSON(p Person) map[string]any {
	var days []string
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		if p.WorkDays&(1<<uint(dayNames[d])) != 0 {
			days = append(days, d)
		}
	}
	hm := func(m int) string { return time.Date(0, 1, 1, m/60, m%60, 0, 0, time.UTC).Format("15:04") }
	return map[string]any{"id": p.ID, "email": p.Email, "name": p.Name, "time_zone": p.TimeZone,
		"work_start": hm(p.WorkStart), "work_end": hm(p.WorkEnd), "work_days": days, "digest": p.Digest, "operator": p.Operator}
}

// handleMyActionItems lists the signed-in person's action items by due
// date; ?all=true includes done ones.
func (s *Service) handleMyActionItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(q.Get("limit"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var after *ActionItem
	if c := q.Get("cursor"); c != "" {
		o, err := parseCursor(c)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		after = &ActionItem{ID: o.ID, DueAt: o.StartsAt}
	}
	all := q.Get("all") == "true"
	items, err := s.ActionItemsOf(r.Context(), actor(r).PersonID, all, after, limit+1)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	resp := map[string]any{"action_items": items}
	if len(items) > limit {
		last := items[limit-1]
		resp["action_items"] = items[:limit]
		resp["next_cursor"] = strconv.FormatInt(last.DueAt.Unix(), 10) + "." + strconv.FormatInt(last.ID, 10)
	}
	httpx.JSON(w, http.StatusOK, resp)
}

func (s *Service) handleActionItemDone(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in struct {
		Done *bool `json:"done"`
	}
	if err := httpx.Decode(w, r, httpx.MaxBody, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.Done == nil {
		httpx.Error(w, r, errs.Errorf(errs.Invalid, "done is required: true or false"))
		return
	}
	it, err := s.SetActionItemDone(r.Context(), actor(r), id, *in.Done)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, it)
}
