package decisions

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
	"meetingd/meetings"
)

// The decide page opens from the signed link in a decision email: the token
// says who the reader is, so it works without a session, and every form
// carries it back, which also keeps cross-site posts out.

type decidePage struct {
	View
	Token    string
	Kind     string // preselected by a support or object link
	Reader   meetings.Person
	Loc      *time.Location
	IsOwner  bool
	Done     string
	TimeLeft string
}

func (s *Service) reader(r *http.Request, token string) (meetings.Person, int64, error) {
	c, err := s.Links.Verify(token, ActionDecide, s.Clock.Now())
	if err != nil {
		return meetings.Person{}, 0, err
	}
	p, err := meetings.PersonByID(r.Context(), s.DB, c.Person)
	return p, c.Subject, err
}

func (s *Service) handleDecidePage(w http.ResponseWriter, r *http.Request) {
	pages := httpx.Pages{Templates: s.Outbox.Templates, Log: s.Log}
	q := r.URL.Query()
	token := q.Get("t")
	p, id, err := s.reader(r, token)
	if err != nil {
		pages.Error(w, r, err)
		return
	}
	v, err := s.Get(r.Context(), Actor{PersonID: p.ID, Operator: p.Operator}, id)
	if err != nil {
		pages.Error(w, r, err)
		return
	}
	loc, lerr := time.LoadLocation(p.TimeZone)
	if lerr != nil {
		loc = time.UTC
	}
	page := decidePage{View: v, Token: token, Kind: q.Get("kind"), Reader: p, Loc: loc, IsOwner: p.ID == v.OwnerID, Done: q.Get("done")}
	if v.Open {
		page.TimeLeft = v.ClosesAt.Sub(s.Clock.Now()).Round(time.Minute).String()
	}
	pages.Render(w, r, http.StatusOK, "decide", page)
}

// handleDecideForm does what the page's forms ask, as the link's reader.
func (s *Service) handleDecideForm(w http.ResponseWriter, r *http.Request) {
	pages := httpx.Pages{Templates: s.Outbox.Templates, Log: s.Log}
	r.Body = http.MaxBytesReader(w, r.Body, 4*MaxText)
	if err := r.ParseForm(); err != nil {
		pages.Error(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	f := r.PostForm
	token := f.Get("t")
	p, id, err := s.reader(r, token)
	if err != nil {
		pages.Error(w, r, err)
		return
	}
	a := Actor{PersonID: p.ID, Operator: p.Operator}
	cid, _ := strconv.ParseInt(f.Get("contribution"), 10, 64)
	ctx := r.Context()
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
	if err != nil {
		pages.Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/decide?t=%s&done=%s", url.QueryEscape(token), url.QueryEscape(f.Get("op"))), http.StatusSeeOther)
}
