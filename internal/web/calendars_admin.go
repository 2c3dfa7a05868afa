package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"meetingd/calendar"
	"meetingd/calendar/caldav"
	"meetingd/internal/errs"
)

// Operators manage the calendars meetingd polls (ICS subscriptions, CalDAV
// calendars) through the API and the Calendars page. A subscription's URL
// and a CalDAV app password are secrets: they go in, and never come out
// (the URL is shown redacted, the password not at all).

// Calendars serves the polled calendars' API and page.
type Calendars struct {
	*Server
	Subscriptions *calendar.Subscriptions
	CalDAV        *caldav.Source
}

// Routes adds the calendars' routes to the API's mux (behind a token or a
// session with its CSRF header) and the dashboard's (behind a session,
// every form with its CSRF token); each is for operators only.
func (c *Calendars) Routes(api, dash *http.ServeMux) {
	api.HandleFunc("GET /api/v1/calendars", c.operatorsOnly(c.list))
	api.HandleFunc("POST /api/v1/calendars/ics", c.operatorsOnly(c.addICS))
	api.HandleFunc("POST /api/v1/calendars/caldav", c.operatorsOnly(c.addCalDAV))
	api.HandleFunc("POST /api/v1/calendars/{id}/sync", c.operatorsOnly(c.syncNow))
	api.HandleFunc("DELETE /api/v1/calendars/{id}", c.operatorsOnly(c.remove))
	dash.HandleFunc("GET /calendars", c.page)
	dash.HandleFunc("POST /calendars", c.form)
}

// calendarIn is a polled calendar as the API and the form take it.
type calendarIn struct {
	Name         string `json:"name"`
	URL          string `json:"url,omitempty"`
	ServerURL    string `json:"server_url,omitempty"`
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
	Calendar     string `json:"calendar,omitempty"`
	PollInterval string `json:"poll_interval,omitempty"` // "10m"; "" is the default
}

func (in calendarIn) every() (time.Duration, error) {
	if strings.TrimSpace(in.PollInterval) == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(in.PollInterval))
	if err != nil {
		return 0, errs.Errorf(errs.Invalid, "poll_interval %q is not a duration like 10m", in.PollInterval)
	}
	return d, calendar.CheckEvery(d)
}

func (c *Calendars) subscribe(r *http.Request, in calendarIn) (calendar.Subscription, error) {
	every, err := in.every()
	if err != nil {
		return calendar.Subscription{}, err
	}
	return c.Subscriptions.Add(r.Context(), calendar.SubscriptionInput{Name: in.Name, URL: in.URL, Every: every}, viewer(r).ID)
}

func (c *Calendars) connect(r *http.Request, in calendarIn) (caldav.Calendar, error) {
	every, err := in.every()
	if err != nil {
		return caldav.Calendar{}, err
	}
	return c.CalDAV.Add(r.Context(), caldav.Input{Name: in.Name, ServerURL: in.ServerURL, Username: in.Username,
		Password: in.Password, Calendar: in.Calendar, Every: every})
}

// polled lists every polled calendar, subscriptions first, by name.
func (c *Calendars) polled(r *http.Request) ([]calendar.Subscription, []caldav.Calendar, error) {
	subs, err := c.Subscriptions.List(r.Context())
	if err != nil {
		return nil, nil, err
	}
	davs, err := c.CalDAV.List(r.Context())
	return subs, davs, err
}

func (c *Calendars) list(w http.ResponseWriter, r *http.Request) {
	subs, davs, err := c.polled(r)
	if err != nil {
		c.apiError(w, r, err)
		return
	}
	out := make([]any, 0, len(subs)+len(davs))
	for _, s := range subs {
		out = append(out, s)
	}
	for _, d := range davs {
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"calendars": out})
}

func (c *Calendars) addICS(w http.ResponseWriter, r *http.Request) {
	var in calendarIn
	if err := decode(w, r, maxBody, &in); err != nil {
		c.apiError(w, r, err)
		return
	}
	sub, err := c.subscribe(r, in)
	if err != nil {
		c.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sub)
}

func (c *Calendars) addCalDAV(w http.ResponseWriter, r *http.Request) {
	var in calendarIn
	if err := decode(w, r, maxBody, &in); err != nil {
		c.apiError(w, r, err)
		return
	}
	cal, err := c.connect(r, in)
	if err != nil {
		c.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, cal)
}

// act syncs or removes the polled calendar id, whichever its kind.
func (c *Calendars) act(r *http.Request, id int64, remove bool) error {
	cal, err := calendar.ByID(r.Context(), c.DB, id)
	if err != nil {
		return err
	}
	switch {
	case cal.Kind == calendar.KindICS && remove:
		return c.Subscriptions.Remove(r.Context(), id)
	case cal.Kind == calendar.KindICS:
		return c.Subscriptions.SyncNow(r.Context(), id)
	case cal.Kind == calendar.KindCalDAV && remove:
		return c.CalDAV.Remove(r.Context(), id)
	case cal.Kind == calendar.KindCalDAV:
		return c.CalDAV.SyncNow(r.Context(), id)
	}
	return errs.Errorf(errs.NotFound, "calendar %d is not polled: it is a %s calendar", id, cal.Kind)
}

func (c *Calendars) syncNow(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = c.act(r, id, false)
	}
	if err != nil {
		c.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "status": "polling"})
}

func (c *Calendars) remove(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = c.act(r, id, true)
	}
	if err != nil {
		c.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": "removed"})
}

type calendarsPage struct {
	Base
	Subscriptions []calendar.Subscription
	CalDAV        []caldav.Calendar
	Done          string // what the last form did
}

// page is the operators' Calendars page: each polled calendar with its
// state, and forms to add, poll and remove them.
func (c *Calendars) page(w http.ResponseWriter, r *http.Request) {
	b := c.baseFor(r, "Calendars")
	if !b.Me.Operator {
		c.pageError(w, r, errs.Errorf(errs.Forbidden, "only operators may manage calendars"))
		return
	}
	subs, davs, err := c.polled(r)
	if err != nil {
		c.pageError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "dash.calendars", calendarsPage{Base: b, Subscriptions: subs, CalDAV: davs,
		Done: r.URL.Query().Get("done")})
}

// form handles the page's forms; action says which.
func (c *Calendars) form(w http.ResponseWriter, r *http.Request) {
	if !viewer(r).Operator {
		c.pageError(w, r, errs.Errorf(errs.Forbidden, "only operators may manage calendars"))
		return
	}
	f := r.PostForm
	in := calendarIn{Name: f.Get("name"), URL: f.Get("url"), ServerURL: f.Get("server_url"), Username: f.Get("username"),
		Password: f.Get("password"), Calendar: f.Get("calendar"), PollInterval: f.Get("poll_interval")}
	var err error
	done := ""
	switch action := f.Get("action"); action {
	case "subscribe":
		_, err = c.subscribe(r, in)
		done = "added"
	case "caldav":
		_, err = c.connect(r, in)
		done = "added"
	case "sync", "remove":
		var id int64
		if id, err = strconv.ParseInt(f.Get("id"), 10, 64); err != nil {
			err = errs.Errorf(errs.Invalid, "id %q is not a calendar's id", f.Get("id"))
			break
		}
		err = c.act(r, id, action == "remove")
		done = map[string]string{"sync": "polling", "remove": "removed"}[action]
	default:
		err = errs.Errorf(errs.Invalid, "action %q is not subscribe, caldav, sync or remove", action)
	}
	if err != nil {
		c.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/calendars?done="+done, http.StatusSeeOther)
}
