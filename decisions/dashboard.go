package decisions

import (
	"fmt"
	"net/http"
	"strconv"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
	"meetingd/meetings"
)

// DashboardRoutes registers the signed-in decision pages on pages (behind
// httpx.Auth.Pages, which checks every form's CSRF token).
func (s *Service) DashboardRoutes(pages *http.ServeMux) {
	pages.HandleFunc("GET /decisions", s.handleDecisionsPage)
	pages.HandleFunc("GET /decisions/{id}", s.handleDecisionPage)
	pages.HandleFunc("POST /decisions/{id}", s.handleDecisionForm)
	pages.HandleFunc("GET /me", s.handleMyWork)
}

func (s *Service) pages() httpx.Pages { return httpx.Pages{Templates: s.Outbox.Templates, Log: s.Log} }

type decisionsPage struct {
	httpx.Base
	Filter      Filter
	FilterOwner string
	NeedsInput  []Decision
	Open        []Decision
	Closed      []Decision
}

// handleDecisionsPage: what needs my input, what is open (soonest close
// first), and what closed recently, filtered by meeting, owner and state.
func (s *Service) handleDecisionsPage(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), actor(r)
	p := decisionsPage{Base: httpx.BaseFor(r, "Decisions", s.Clock.Now())}
	q := r.URL.Query()
	p.Filter.State = q.Get("state")
	if v := q.Get("meeting"); v != "" {
		p.Filter.OccurrenceID, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("owner"); v != "" {
		p.FilterOwner = v
		owner, err := meetings.PersonByEmail(ctx, s.DB, v)
		if err != nil {
			s.pages().Error(w, r, errs.Errorf(errs.Invalid, "owner %q: %s", v, errs.Message(err)))
			return
		}
		p.Filter.OwnerID = owner.ID
	}
	var err error
	if p.NeedsInput, err = s.NeedsInput(ctx, a.PersonID, nil, 50); err != nil {
		s.pages().Error(w, r, err)
		return
	}
	open := p.Filter
	if open.State == "" {
		open.State = Open
	}
	if p.Open, err = s.List(ctx, a, open, nil, 100); err != nil {
		s.pages().Error(w, r, err)
		return
	}
	if p.Closed, err = s.RecentlyClosed(ctx, a, nil, 20); err != nil {
		s.pages().Error(w, r, err)
		return
	}
	s.pages().Render(w, r, http.StatusOK, "dash.decisions", p)
}

type decisionPage struct {
	httpx.Base
	View
	IsOwner bool
	Done    string
	Kind    string // the contribution kind preselected: none on the dashboard
	Forms   formTarget
}

// formTarget is where a decision's forms post and the hidden field that
// proves who sends them: the session's CSRF token on the dashboard, the
// signed token on the page an email link opens.
type formTarget struct {
	Action, Name, Value string
}

func (s *Service) handleDecisionPage(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.pages().Error(w, r, err)
		return
	}
	a := actor(r)
	v, err := s.Get(r.Context(), a, id)
	if err != nil {
		s.pages().Error(w, r, err)
		return
	}
	base := httpx.BaseFor(r, v.Title, s.Clock.Now())
	s.pages().Render(w, r, http.StatusOK, "dash.decision", decisionPage{Base: base, View: v, IsOwner: a.PersonID == v.OwnerID,
		Done: r.URL.Query().Get("done"), Forms: formTarget{Action: fmt.Sprintf("/decisions/%d", id), Name: "csrf", Value: base.CSRF}})
}

func (s *Service) handleDecisionForm(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.pages().Error(w, r, err)
		return
	}
	if err := s.applyForm(r, actor(r), id); err != nil {
		s.pages().Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/decisions/%d?done=%s", id, r.PostForm.Get("op")), http.StatusSeeOther)
}

// applyForm does what a decision form asks (the form is already parsed).
func (s *Service) applyForm(r *http.Request, a Actor, id int64) error {
	f, ctx := r.PostForm, r.Context()
	cid, _ := strconv.ParseInt(f.Get("contribution"), 10, 64)
	var err error
	switch op := f.Get("op"); op {
	case "contribute":
		_, err = s.Contribute(ctx, a, id, f.Get("kind"), f.Get("text"))
	case "withdraw_objection":
		_, err = s.WithdrawObjection(ctx, a, id, cid)
	case "resolve":
		_, err = s.ResolveObjection(ctx, a, id, cid, f.Get("reply"))
	case "outcome":
		_, err = s.RecordOutcome(ctx, a, id, f.Get("outcome"), f.Get("rationale"))
	case "withdraw":
		_, err = s.Withdraw(ctx, a, id, f.Get("rationale"))
	default:
		err = errs.Errorf(errs.Invalid, "unknown action %q", op)
	}
	return err
}

type myWorkPage struct {
	httpx.Base
	ActionItems []meetings.ActionItem
	Owned       []Decision
	NeedsInput  []Decision
	PreReads    []meetings.Occurrence
	FeedURL     string
}

// handleMyWork: my action items by due date, decisions I own and that need
// my input, and the pre-reads I am to publish.
func (s *Service) handleMyWork(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), actor(r)
	p := myWorkPage{Base: httpx.BaseFor(r, "My work", s.Clock.Now())}
	steps := []func() error{
		func() (err error) {
			p.ActionItems, err = s.Meetings.ActionItemsOf(ctx, a.PersonID, false, nil, 100)
			return
		},
		func() (err error) { p.Owned, err = s.List(ctx, a, Filter{OwnerID: a.PersonID}, nil, 100); return },
		func() (err error) { p.NeedsInput, err = s.NeedsInput(ctx, a.PersonID, nil, 50); return },
		func() (err error) { p.PreReads, err = s.Meetings.PreReadsToPublish(ctx, a.PersonID, 50); return },
		func() (err error) {
			if s.FeedURL != nil {
				p.FeedURL, err = s.FeedURL(ctx, a.PersonID)
			}
			return
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			s.pages().Error(w, r, err)
			return
		}
	}
	s.pages().Render(w, r, http.StatusOK, "dash.me", p)
}

// OfMeeting is the meetings.MeetingDecisions hook: the decisions of an
// occurrence the viewer may see.
func (s *Service) OfMeeting(r *http.Request, occurrenceID int64) ([]meetings.LinkedDecisionRow, error) {
	list, err := s.List(r.Context(), actor(r), Filter{OccurrenceID: occurrenceID}, nil, 200)
	if err != nil {
		return nil, err
	}
	out := make([]meetings.LinkedDecisionRow, 0, len(list))
	for _, d := range list {
		out = append(out, meetings.LinkedDecisionRow{ID: d.ID, Title: d.Title, State: d.State})
	}
	return out, nil
}
