package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"meetingd/decisions"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

type decisionsPage struct {
	Base
	Filter        decisions.Filter
	FilterOwner   string
	FilterMeeting string // as typed: a number or part of a name
	NeedsInput    decisionRows
	Open          decisionRows
	Closed        decisionRows
	FirstRun      bool // an operator, and no meeting exists yet: the page says how to start
}

// decisionsPage: what needs my input, what is open (soonest close first),
// and what closed recently, filtered by meeting, owner and state.
func (s *Server) decisionsPage(w http.ResponseWriter, r *http.Request) {
	s.keptPage(w, r, func() ([]byte, error) {
		p, err := s.decisionsPageOf(r)
		if err != nil {
			return nil, err
		}
		return s.renderBytes("dash.decisions", p)
	})
}

// decisionsPageOf reads what the decisions page shows its reader.
func (s *Server) decisionsPageOf(r *http.Request) (decisionsPage, error) {
	ctx, a := r.Context(), actor(r)
	p := decisionsPage{Base: s.baseFor(r, "Decisions")}
	q := r.URL.Query()
	p.Filter.State = q.Get("state")
	if v := strings.TrimSpace(q.Get("meeting")); v != "" {
		p.FilterMeeting = v
		if err := s.meetingFilter(ctx, a, v, &p.Filter); err != nil {
			return p, err
		}
	}
	if v := q.Get("owner"); v != "" {
		p.FilterOwner = v
		owner, err := people.ByEmail(ctx, s.DB, v)
		if err != nil {
			return p, errs.Errorf(errs.Invalid, "owner %q: %s", v, errs.Message(err))
		}
		p.Filter.OwnerID = owner.ID
	}
	needs, err := s.Decisions.NeedsInput(ctx, a.PersonID, nil, 50)
	if err != nil {
		return p, err
	}
	if a.Operator {
		has, err := s.Meetings.Any(ctx)
		if err != nil {
			return p, err
		}
		p.FirstRun = !has
	}
	open := p.Filter
	if open.State == "" {
		open.State = decisions.Open
	}
	list, err := s.Decisions.List(ctx, a, open, nil, 100)
	if err != nil {
		return p, err
	}
	closed, err := s.Decisions.RecentlyClosed(ctx, a, nil, 20)
	if err != nil {
		return p, err
	}
	p.NeedsInput, p.Open, p.Closed = s.decisionRows(p.Base, needs), s.decisionRows(p.Base, list), s.decisionRows(p.Base, closed)
	return p, nil
}

// decisionPage is a decision's page, on the dashboard ("dash.decision")
// and from an email link ("decide").
type decisionPage struct {
	Base
	decisions.View
	IsOwner bool
	Done    string
	Kind    string // the contribution kind a support or object link preselects
	Forms   formTarget
	// MaxExtensions is how often late objections may extend a window.
	MaxExtensions int
}

// barSegment is one part of the participation bar: X and W in percent of
// its width.
type barSegment struct {
	X, W        float64
	Kind, Label string
}

// Bar splits the participation bar among support, object, commented and
// not yet, in proportion.
func (p decisionPage) Bar() []barSegment {
	s := p.Summary
	if s.Total == 0 {
		return nil
	}
	var out []barSegment
	x := 0.0
	for _, part := range []struct {
		kind, label string
		n           int
	}{{"support", "support", len(s.Support)}, {"object", "object", len(s.Object)}, {"comment", "commented", len(s.Comment)}, {"notyet", "not yet", len(s.NotYet)}} {
		if part.n == 0 {
			continue
		}
		w := 100 * float64(part.n) / float64(s.Total)
		out = append(out, barSegment{X: x, W: w, Kind: part.kind, Label: fmt.Sprintf("%d %s", part.n, part.label)})
		x += w
	}
	return out
}

// OlderComments is the link to the page of comments after those shown.
func (p decisionPage) OlderComments() string {
	if !p.MoreComments || len(p.Comments) == 0 {
		return ""
	}
	q := url.Values{"comments_after": {strconv.FormatInt(p.Comments[len(p.Comments)-1].ID, 10)}}
	if p.Forms.Name == "t" {
		q.Set("t", p.Forms.Value)
	}
	return p.Forms.Action + "?" + q.Encode() + "#comments"
}

// formTarget is where a decision's forms post and the hidden field that
// proves who sends them: the session's CSRF token on the dashboard, the
// signed token on the page an email link opens.
type formTarget struct {
	Action, Name, Value string
}

func (s *Server) decisionPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.Decisions.Get(r.Context(), actor(r), id)
	if err == nil {
		err = s.commentsFrom(r, actor(r), &v)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	b := s.baseFor(r, v.Title)
	s.render(w, r, http.StatusOK, "dash.decision", decisionPage{Base: b, View: v, IsOwner: b.Me.ID == v.OwnerID,
		Done: r.URL.Query().Get("done"), Forms: formTarget{Action: fmt.Sprintf("/decisions/%d", id), Name: "csrf", Value: b.CSRF}, MaxExtensions: s.Decisions.Cfg.MaxExtensions})
}

func (s *Server) decisionForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.applyDecisionForm(r, actor(r), id); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/decisions/%d?done=%s", id, r.PostForm.Get("op")), http.StatusSeeOther)
}

// applyDecisionForm does what a decision's form asks (it is parsed already).
func (s *Server) applyDecisionForm(r *http.Request, a people.Actor, id int64) error {
	f, ctx := r.PostForm, r.Context()
	cid, _ := strconv.ParseInt(f.Get("contribution"), 10, 64)
	var err error
	switch op := f.Get("op"); op {
	case "contribute":
		_, err = s.Decisions.Contribute(ctx, a, id, f.Get("kind"), f.Get("text"))
	case "withdraw_objection":
		_, err = s.Decisions.WithdrawObjection(ctx, a, id, cid)
	case "resolve":
		_, err = s.Decisions.ResolveObjection(ctx, a, id, cid, f.Get("reply"))
	case "outcome":
		_, err = s.Decisions.RecordOutcome(ctx, a, id, f.Get("outcome"), f.Get("rationale"))
	case "withdraw":
		_, err = s.Decisions.Withdraw(ctx, a, id, f.Get("rationale"))
	default:
		err = errs.Errorf(errs.Invalid, "unknown action %q", op)
	}
	return err
}

// meetingFilter narrows f to a meeting given by number or by (part of) its
// name; a name that matches no meeting the reader sees is an error, not
// silently no filter.
func (s *Server) meetingFilter(ctx context.Context, a people.Actor, v string, f *decisions.Filter) error {
	if id, err := strconv.ParseInt(v, 10, 64); err == nil {
		f.OccurrenceID = id
		return nil
	}
	ids, err := s.Meetings.Titled(ctx, a, v, 200)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return errs.Errorf(errs.Invalid, "meeting %q: no meeting of yours has that in its name", v)
	}
	f.OccurrenceIDs = ids
	return nil
}

// commentsFrom replaces the view's first page of comments with the page
// after ?comments_after=, which the page's "Older comments" link sets.
func (s *Server) commentsFrom(r *http.Request, a people.Actor, v *decisions.View) error {
	raw := r.URL.Query().Get("comments_after")
	if raw == "" {
		return nil
	}
	after, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || after < 0 {
		return errs.Errorf(errs.Invalid, "comments_after %q is not a comment id", raw)
	}
	cs, err := s.Decisions.Comments(r.Context(), a, v.ID, after, decisions.CommentPage+1)
	if err != nil {
		return err
	}
	v.Comments, v.MoreComments = cs, len(cs) > decisions.CommentPage
	if v.MoreComments {
		v.Comments = cs[:decisions.CommentPage]
	}
	return nil
}

// decidePage is the decision page a signed link in a decision email opens,
// as its reader, without a session.
func (s *Server) decidePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("t")
	p, id, err := s.Decisions.Reader(r.Context(), token)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.Decisions.Get(r.Context(), p.Actor(), id)
	if err == nil {
		err = s.commentsFrom(r, p.Actor(), &v)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "decide", decisionPage{Base: s.baseAs(p, v.Title), View: v, IsOwner: p.ID == v.OwnerID,
		Done: q.Get("done"), Kind: q.Get("kind"), Forms: formTarget{Action: "/decide", Name: "t", Value: token}, MaxExtensions: s.Decisions.Cfg.MaxExtensions})
}

// decideForm does what the decide page's forms ask, as the link's reader.
func (s *Server) decideForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4*decisions.MaxText)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	token := r.PostForm.Get("t")
	p, id, err := s.Decisions.Reader(r.Context(), token)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.applyDecisionForm(r, p.Actor(), id); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/decide?t=%s&done=%s", url.QueryEscape(token), url.QueryEscape(r.PostForm.Get("op"))), http.StatusSeeOther)
}

type myWorkPage struct {
	Base
	ActionItems []meetings.ActionItem
	Owned       decisionRows
	NeedsInput  decisionRows
	PreReads    []meetings.Occurrence
	FeedURL     string
}

// myWorkPage: my action items by due date, decisions I own and that need
// my input, the pre-reads I am to publish, and my calendar feed.
func (s *Server) myWorkPage(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), actor(r)
	p := myWorkPage{Base: s.baseFor(r, "My work")}
	steps := []func(context.Context) error{
		func(ctx context.Context) (err error) {
			p.ActionItems, err = s.Meetings.ActionItemsOf(ctx, a.PersonID, false, nil, 100)
			return
		},
		func(ctx context.Context) error {
			owned, err := s.Decisions.List(ctx, a, decisions.Filter{OwnerID: a.PersonID}, nil, 100)
			p.Owned = s.decisionRows(p.Base, owned)
			return err
		},
		func(ctx context.Context) error {
			needs, err := s.Decisions.NeedsInput(ctx, a.PersonID, nil, 50)
			p.NeedsInput = s.decisionRows(p.Base, needs)
			return err
		},
		func(ctx context.Context) (err error) {
			p.PreReads, err = s.Meetings.PreReadsToPublish(ctx, a.PersonID, 50)
			return
		},
		func(ctx context.Context) (err error) { p.FeedURL, err = s.Feed.URL(ctx, a.PersonID, false); return },
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "dash.me", p)
}
