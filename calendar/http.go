package calendar

import (
	"net/http"
	"strings"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
	"meetingd/meetings"
)

// MaxImport is the largest ICS file the API accepts.
const MaxImport = 32 << 20

// Routes registers the built-in calendar's API on api (behind sign-in).
func (l *Local) Routes(api *http.ServeMux) {
	api.HandleFunc("POST /api/v1/events", l.handleCreate)
	api.HandleFunc("GET /api/v1/events/{uid}", l.handleGet)
	api.HandleFunc("PUT /api/v1/events/{uid}", l.handleUpdate)
	api.HandleFunc("DELETE /api/v1/events/{uid}", l.handleCancel)
	api.HandleFunc("POST /api/v1/import", l.handleImport)
}

func (l *Local) handleCreate(w http.ResponseWriter, r *http.Request) {
	v, _ := httpx.ViewerFrom(r.Context())
	var in EventInput
	if err := httpx.Decode(w, r, httpx.MaxBody, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.Organizer == "" {
		in.Organizer = v.Email
	}
	if meetings.NormalizeEmail(in.Organizer) != v.Email && !v.Operator {
		httpx.Error(w, r, errs.Errorf(errs.Forbidden, "you may only create events you organize"))
		return
	}
	uid, res, err := l.Create(r.Context(), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, map[string]any{"uid": uid, "result": res})
}

// owned loads the event and checks the viewer organizes it.
func (l *Local) owned(r *http.Request) (EventInput, error) {
	v, _ := httpx.ViewerFrom(r.Context())
	in, err := l.Get(r.Context(), r.PathValue("uid"))
	if err != nil {
		return EventInput{}, err
	}
	if meetings.NormalizeEmail(in.Organizer) != v.Email && !v.Operator {
		return EventInput{}, errs.Errorf(errs.NotFound, "no event %q in the built-in calendar", in.UID)
	}
	return in, nil
}

func (l *Local) handleGet(w http.ResponseWriter, r *http.Request) {
	in, err := l.owned(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, in)
}

func (l *Local) handleUpdate(w http.ResponseWriter, r *http.Request) {
	cur, err := l.owned(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in EventInput
	if err := httpx.Decode(w, r, httpx.MaxBody, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.UID != "" && in.UID != cur.UID {
		httpx.Error(w, r, errs.Errorf(errs.Invalid, "uid in the body (%q) differs from the one in the path (%q)", in.UID, cur.UID))
		return
	}
	in.UID = cur.UID
	if in.Organizer == "" {
		in.Organizer = cur.Organizer
	}
	res, err := l.Update(r.Context(), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"uid": in.UID, "result": res})
}

func (l *Local) handleCancel(w http.ResponseWriter, r *http.Request) {
	cur, err := l.owned(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	res, err := l.Cancel(r.Context(), cur.UID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"uid": cur.UID, "result": res})
}

// handleImport takes an ICS file as the body; ?name= names the calendar.
func (l *Local) handleImport(w http.ResponseWriter, r *http.Request) {
	v, _ := httpx.ViewerFrom(r.Context())
	if !v.Operator {
		httpx.Error(w, r, errs.Errorf(errs.Forbidden, "only operators may import calendars"))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		httpx.Error(w, r, errs.Errorf(errs.Invalid, "Content-Type must be text/calendar, not %q", ct))
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		httpx.Error(w, r, errs.Errorf(errs.Invalid, "name is required: ?name= names the imported calendar"))
		return
	}
	body, err := httpx.ReadBody(w, r, MaxImport)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	res, err := l.Import(r.Context(), strings.NewReader(string(body)), name)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, res)
}
