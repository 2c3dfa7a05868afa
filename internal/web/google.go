package web

import (
	"errors"
	"fmt"
	"net/http"

	"meetingd/calendar/google"
	"meetingd/internal/errs"
)

// googleNotify is Google's push webhook.
func (s *Server) googleNotify(w http.ResponseWriter, r *http.Request) {
	err := s.Google.Notify(r.Context(), google.Notification{ChannelID: r.Header.Get("X-Goog-Channel-ID"),
		Token: r.Header.Get("X-Goog-Channel-Token"), ResourceID: r.Header.Get("X-Goog-Resource-ID"),
		State: r.Header.Get("X-Goog-Resource-State")})
	switch {
	case errors.Is(err, google.ErrUnknownChannel):
		// Not ours, or replaced: a 404 tells Google to give up on it.
		http.Error(w, "unknown channel", http.StatusNotFound)
	case errs.Code(err) == errs.Forbidden:
		http.Error(w, "forbidden", http.StatusForbidden)
	case err != nil:
		s.Log.ErrorContext(r.Context(), "Google notification", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError) // Google retries 5xx
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// googleConsent is where Google sends a calendar's owner back after consent.
func (s *Server) googleConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if e := q.Get("error"); e != "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "Google did not give meetingd access (%s). Ask an operator for a new link to try again.\n", e)
		return
	}
	cal, err := s.Google.Connect(r.Context(), q.Get("state"), q.Get("code"))
	if err != nil {
		if errs.Code(err) == errs.Internal {
			s.Log.ErrorContext(r.Context(), "Google consent", "err", err)
		}
		w.WriteHeader(status(err))
		fmt.Fprintln(w, errs.Message(err))
		return
	}
	fmt.Fprintf(w, "Calendar %s is connected: meetingd now syncs it. You can close this page.\n", cal)
}

// googleConnect answers the consent URL for {"calendar": "..."}: the
// operator sends it to the calendar's owner.
func (s *Server) googleConnect(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Calendar string `json:"calendar"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	u, err := s.Google.ConnectURL(r.Context(), in.Calendar)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"calendar": in.Calendar, "url": u})
}

func (s *Server) googleCalendars(w http.ResponseWriter, r *http.Request) {
	st, err := s.Google.Calendars(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calendars": list(st)})
}

func (s *Server) googleResume(w http.ResponseWriter, r *http.Request) {
	if err := s.Google.Resume(r.Context(), r.PathValue("calendar")); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"calendar": r.PathValue("calendar"), "status": "resumed"})
}
