package google

import (
	"fmt"
	"net/http"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
)

// Paths Google calls: the push webhook and the OAuth redirect.
const (
	NotifyPath   = "/google/notify"
	CallbackPath = "/google/oauth/callback"
)

// Routes registers the webhook and the OAuth callback on pub (Google and
// browsers call them, without an API token) and the operators' API on api.
func (g *Source) Routes(api, pub *http.ServeMux) {
	pub.HandleFunc("POST "+NotifyPath, g.handleNotify)
	pub.HandleFunc("GET "+CallbackPath, g.handleCallback)
	api.HandleFunc("POST /api/v1/google/connect", g.operatorsOnly(g.handleConnect))
	api.HandleFunc("GET /api/v1/google/calendars", g.operatorsOnly(g.handleStatus))
	api.HandleFunc("POST /api/v1/google/calendars/{calendar}/resume", g.operatorsOnly(g.handleResume))
}

func (g *Source) operatorsOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v, _ := httpx.ViewerFrom(r.Context()); !v.Operator {
			httpx.Error(w, r, errs.Errorf(errs.Forbidden, "only operators manage Google calendars"))
			return
		}
		h(w, r)
	}
}

// handleConnect answers the consent URL for {"calendar": "..."}: the
// operator sends it to the calendar's owner.
func (g *Source) handleConnect(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Calendar string `json:"calendar"`
	}
	if err := httpx.Decode(w, r, httpx.MaxBody, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	u, err := g.ConnectURL(r.Context(), in.Calendar)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"calendar": in.Calendar, "url": u})
}

func (g *Source) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := g.Calendars(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"calendars": st})
}

func (g *Source) handleResume(w http.ResponseWriter, r *http.Request) {
	if err := g.Resume(r.Context(), r.PathValue("calendar")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"calendar": r.PathValue("calendar"), "status": "resumed"})
}

// handleCallback is where Google sends the owner back after consent.
func (g *Source) handleCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if e := q.Get("error"); e != "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "Google did not give meetingd access (%s). Ask an operator for a new link to try again.\n", e)
		return
	}
	cal, err := g.Connect(r.Context(), q.Get("state"), q.Get("code"))
	if err != nil {
		if errs.Code(err) == errs.Internal {
			g.Log.ErrorContext(r.Context(), "Google consent", "err", err)
		}
		w.WriteHeader(httpx.Status(err))
		fmt.Fprintln(w, errs.Message(err))
		return
	}
	fmt.Fprintf(w, "Calendar %s is connected: meetingd now syncs it. You can close this page.\n", cal)
}
