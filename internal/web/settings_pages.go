package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/templates"
)

// The settings page: a person's display name, time zone, working hours and
// days, digest or single emails, and calendar feed address. It saves
// through people.Update, as PATCH /api/v1/me does, so the rules (and their
// messages) live in the people package alone.

type settingsPage struct {
	Base
	Form    people.Preferences // as saved, or as just submitted when refused
	Days    []dayChoice
	Zones   []string
	FeedURL string
	Errors  fieldErrors // by field: people.Update's message for it, in the page's words
	Done    string
}

// dayChoice is one working-day checkbox.
type dayChoice struct {
	Value, Label string
	Checked      bool
}

// weekDays are the checkboxes, in people.Patch's day names.
var weekDays = []struct{ Value, Label string }{{"mon", "Monday"}, {"tue", "Tuesday"}, {"wed", "Wednesday"},
	{"thu", "Thursday"}, {"fri", "Friday"}, {"sat", "Saturday"}, {"sun", "Sunday"}}

// settingsFields are the form's fields by the names people.Update's
// messages start with (which is how a message finds its field), with the
// labels the page gives them, which the message then says instead.
var settingsFields = []struct{ name, label string }{{"name", "Display name"}, {"time_zone", "Time zone"},
	{"work_start", "Start"}, {"work_end", "End"}, {"work_days", "Working days"}, {"digest", "Emails"}}

var settingsPrefixes = func() (ps []fieldPrefix) {
	for _, f := range settingsFields {
		ps = append(ps, fieldPrefix{prefix: f.name, field: f.name})
	}
	return ps
}()

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	me, err := people.ByID(r.Context(), s.DB, viewer(r).ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderSettings(w, r, http.StatusOK, me.Preferences(), nil)
}

func (s *Server) settingsForm(w http.ResponseWriter, r *http.Request) {
	patch, form, err := settingsPatch(r.PostForm, viewer(r))
	if err == nil {
		_, err = people.Update(r.Context(), s.DB, viewer(r).ID, patch)
	}
	if problems := (fieldErrors{}); problems.file(err, settingsPrefixes) {
		for field, msg := range problems {
			problems[field] = inSettingsWords(msg)
		}
		s.renderSettings(w, r, http.StatusBadRequest, form, problems)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// The session carries the person for a second; drop it so the very next
	// page shows the new name and zone.
	s.creds.Forget(cookie(r))
	http.Redirect(w, r, "/settings?done=saved", http.StatusSeeOther)
}

// rotateFeedForm replaces the feed's secret, so the old address stops
// working: for when it was shared by mistake.
func (s *Server) rotateFeedForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Feed.URL(r.Context(), viewer(r).ID, true); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings?done=feed#feed", http.StatusSeeOther)
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, form people.Preferences, problems fieldErrors) {
	p := settingsPage{Base: s.baseFor(r, "Settings"), Form: form, Zones: zoneNames, Errors: problems,
		Done: r.URL.Query().Get("done")}
	var err error
	if p.FeedURL, err = s.Feed.URL(r.Context(), p.Me.ID, false); err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, d := range weekDays {
		p.Days = append(p.Days, dayChoice{Value: d.Value, Label: d.Label, Checked: slices.Contains(form.WorkDays, d.Value)})
	}
	s.render(w, r, status, "dash.settings", p)
}

// settingsPatch reads the form into a patch of every field, and the same
// values as the form shows them again if they are refused. Only the
// digest choice is checked here: it is a word of the form, not a value
// the domain knows.
func settingsPatch(f url.Values, me people.Person) (people.Patch, people.Preferences, error) {
	form := people.Preferences{ID: me.ID, Email: me.Email, Operator: me.Operator, Name: f.Get("name"),
		TimeZone: strings.TrimSpace(f.Get("time_zone")), WorkStart: f.Get("work_start"), WorkEnd: f.Get("work_end"),
		WorkDays: f["work_days"], Digest: me.Digest}
	digest, ok := map[string]bool{"daily": true, "single": false}[f.Get("digest")]
	if !ok {
		return people.Patch{}, form, errs.Errorf(errs.Invalid, "digest: choose a daily digest or single emails")
	}
	form.Digest = digest
	name, tz, start, end := form.Name, form.TimeZone, form.WorkStart, form.WorkEnd
	days := append([]string{}, form.WorkDays...) // none ticked is a choice too: an empty list, not "unchanged"
	return people.Patch{Name: &name, TimeZone: &tz, WorkStart: &start, WorkEnd: &end, WorkDays: &days, Digest: &digest},
		form, nil
}

// inSettingsWords says a message with the page's labels for its field
// names: "work_end must be after work_start" is "End must be after start".
func inSettingsWords(msg string) string {
	for _, f := range settingsFields {
		if rest, ok := strings.CutPrefix(msg, f.name); ok {
			msg = f.label + rest
		}
		if strings.Contains(f.name, "_") { // only names that cannot be ordinary words
			msg = strings.ReplaceAll(msg, f.name, strings.ToLower(f.label))
		}
	}
	return msg
}

// settingsScript suggests the browser's time zone; it is a file because
// the pages' Content-Security-Policy allows no inline script.
var settingsScript = templates.Script("settings.js")

func (s *Server) serveSettingsScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(settingsScript)
}
