package decisions

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
	"meetingd/meetings"
)

// The decide page opens from the signed link in a decision email: the token
// says who the reader is, so it works without a session, and every form
// carries it back, which also keeps cross-site posts out.

type decidePage struct {
	httpx.Base
	View
	IsOwner bool
	Done    string
	Kind    string // preselected by a support or object link
	Forms   formTarget
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
	q := r.URL.Query()
	token := q.Get("t")
	p, id, err := s.reader(r, token)
	if err != nil {
		s.pages().Error(w, r, err)
		return
	}
	v, err := s.Get(r.Context(), Actor{PersonID: p.ID, Operator: p.Operator}, id)
	if err != nil {
		s.pages().Error(w, r, err)
		return
	}
	loc, lerr := time.LoadLocation(p.TimeZone)
	if lerr != nil {
		loc = time.UTC
	}
	base := httpx.Base{Title: v.Title, Me: httpx.Viewer{ID: p.ID, Email: p.Email, Name: p.Name}, Loc: loc, Now: s.Clock.Now()}
	s.pages().Render(w, r, http.StatusOK, "decide", decidePage{Base: base, View: v, IsOwner: p.ID == v.OwnerID,
		Done: q.Get("done"), Kind: q.Get("kind"), Forms: formTarget{Action: "/decide", Name: "t", Value: token}})
}

// handleDecideForm does what the page's forms ask, as the link's reader.
func (s *Service) handleDecideForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4*MaxText)
	if err := r.ParseForm(); err != nil {
		s.pages().Error(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	token := r.PostForm.Get("t")
	p, id, err := s.reader(r, token)
	if err != nil {
		s.pages().Error(w, r, err)
		return
	}
	if err := s.applyForm(r, Actor{PersonID: p.ID, Operator: p.Operator}, id); err != nil {
		s.pages().Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/decide?t=%s&done=%s", url.QueryEscape(token), url.QueryEscape(r.PostForm.Get("op"))), http.StatusSeeOther)
}
