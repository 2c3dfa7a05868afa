package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"meetingd/decisions"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// A decision opened from the dashboard, standalone or about a meeting
// (/decisions/new?meeting=ID, its attendees prefilled as invitees).

// decisionValues are the new-decision form's fields as typed.
type decisionValues struct {
	Title, Proposal, Window, Invitees, Meeting string
}

// decisionForm is the new-decision page.
type decisionForm struct {
	Base
	Values       decisionValues
	MeetingTitle string // the meeting it is about, if any
	MinHours     int    // the shortest window decisions take
	DefaultHours int    // the window when none is given
	Errors       fieldErrors
}

// decisionFields say beside which field the decisions service's messages go.
var decisionFields = []fieldPrefix{{"title", "title"}, {"proposal", "proposal"}, {"window", "window"}, {"invitees", "invitees"}}

func (s *Server) newDecisionForm(r *http.Request, v decisionValues) decisionForm {
	cfg := s.Decisions.Cfg
	return decisionForm{Base: s.baseFor(r, "New decision"), Values: v, Errors: fieldErrors{},
		MinHours: int(math.Ceil(cfg.MinWindow.Hours())), DefaultHours: int(math.Ceil(cfg.Window.Hours()))}
}

func (s *Server) newDecisionPage(w http.ResponseWriter, r *http.Request) {
	f := s.newDecisionForm(r, decisionValues{Meeting: r.URL.Query().Get("meeting")})
	f.Values.Window = strconv.Itoa(f.DefaultHours)
	if f.Values.Meeting != "" {
		v, err := s.decisionMeeting(r.Context(), actor(r), f.Values.Meeting)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		f.MeetingTitle, f.Values.Invitees = v.Title, attendeeLines(v.Attendees, f.Me.ID)
	}
	s.render(w, r, http.StatusOK, "decision.form", f)
}

// attendeeLines are a meeting's attendees but me, one address a line.
func attendeeLines(as []meetings.Attendee, me int64) string {
	var lines []string
	for _, a := range as {
		if a.PersonID != me {
			lines = append(lines, a.Email)
		}
	}
	return strings.Join(lines, "\n")
}

// decisionMeeting is the meeting a decision is about, if the viewer can
// see it.
func (s *Server) decisionMeeting(ctx context.Context, a people.Actor, raw string) (meetings.OccurrenceView, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return meetings.OccurrenceView{}, errs.Errorf(errs.Invalid, "meeting %q is not a valid id", raw)
	}
	return s.Meetings.View(ctx, a, id)
}

// createDecisionForm opens the decision, owned by the viewer. The
// invitees are those listed (the form prefills a meeting's attendees, and
// the owner may drop some), so it invites no one the form did not show.
func (s *Server) createDecisionForm(w http.ResponseWriter, r *http.Request) {
	pf := r.PostForm
	f := s.newDecisionForm(r, decisionValues{Title: pf.Get("title"), Proposal: pf.Get("proposal"), Window: pf.Get("window"),
		Invitees: pf.Get("invitees"), Meeting: pf.Get("meeting")})
	d, err := s.openDecision(r, &f)
	if err == nil && len(f.Errors) == 0 {
		http.Redirect(w, r, fmt.Sprintf("/decisions/%d?done=created", d.ID), http.StatusSeeOther)
		return
	}
	if err != nil && !f.Errors.file(err, decisionFields) {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusBadRequest, "decision.form", f)
}

// openDecision creates the decision f describes, unless its fields have
// problems (then in f.Errors, and nothing is stored).
func (s *Server) openDecision(r *http.Request, f *decisionForm) (decisions.Decision, error) {
	ctx, a := r.Context(), actor(r)
	in := decisions.Input{Title: f.Values.Title, Proposal: f.Values.Proposal}
	in.Window = windowHours(f.Values.Window, f.Errors)
	invitees, err := s.knownInvitees(ctx, f.Values.Invitees)
	if err != nil {
		return decisions.Decision{}, err
	}
	in.Invitees = invitees
	var from *decisions.Origin
	if f.Values.Meeting != "" {
		v, err := s.decisionMeeting(ctx, a, f.Values.Meeting)
		if err != nil {
			return decisions.Decision{}, err
		}
		f.MeetingTitle, from = v.Title, &decisions.Origin{OccurrenceID: v.ID}
	}
	if len(f.Errors) > 0 {
		return decisions.Decision{}, nil
	}
	return s.Decisions.Create(ctx, a, in, from)
}

// windowHours is the window field (whole hours) as decisions takes it;
// empty is the default. The minimum is the decisions service's to check.
func windowHours(raw string, fe fieldErrors) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	h, err := strconv.Atoi(raw)
	if err != nil || h <= 0 {
		fe.set("window", fmt.Sprintf("window %q: give a whole number of hours, such as 72.", raw))
		return ""
	}
	return fmt.Sprintf("%dh", h)
}

// knownInvitees reads the invitees textarea, one address a line. Each
// must be someone meetingd knows: a typo would otherwise invite (and
// email) a stranger, which the API allows but a form should catch.
func (s *Server) knownInvitees(ctx context.Context, text string) ([]string, error) {
	lines, numbers := formLines(text)
	out := make([]string, 0, len(lines))
	for i, l := range lines {
		if err := people.CheckEmail(l); err != nil {
			return nil, errs.Errorf(errs.Invalid, "invitees, line %d: %s", numbers[i], errs.Message(err))
		}
		p, err := people.ByEmail(ctx, s.DB, l)
		if errs.Code(err) == errs.NotFound {
			return nil, errs.Errorf(errs.Invalid, "invitees, line %d: nobody at %s is known to meetingd; check the address, or ask an operator to add them",
				numbers[i], people.NormalizeEmail(l))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p.Email)
	}
	return out, nil
}
