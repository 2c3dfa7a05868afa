package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// peoplePerPage bounds the People page; "More" pages on by address.
const peoplePerPage = 200

type peoplePage struct {
	Base
	People []people.Person
	More   string // the address the next page starts after, "" at the end
	Done   string // what the last form did, in words
	// A refused form comes back with its message (beside the add form's
	// address when AddForm) and what was typed.
	Error, Email, Name string
	AddForm            bool
}

// peopleDone is what each of the page's forms did, by the key its
// redirect carries (fixed words: the address bar cannot put text here).
var peopleDone = map[string]string{
	"added":       "Added. They can now sign in and be invited.",
	"operator":    "They are now an operator. A restart with --operators keeps them: the flag only adds operators.",
	"unoperator":  "They are no longer an operator.",
	"deactivated": "Deactivated: they can no longer sign in and are emailed nothing; what they wrote stays.",
	"reactivated": "Reactivated: they can sign in and are emailed again.",
}

// peoplePage lists everyone with their state and the forms that change it.
func (s *Server) peoplePage(w http.ResponseWriter, r *http.Request) {
	s.renderPeople(w, r, http.StatusOK, peoplePage{Done: peopleDone[r.URL.Query().Get("done")]})
}

// renderPeople fills p with a page of people and renders it.
func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, status int, p peoplePage) {
	list, err := people.All(r.Context(), s.DB, r.URL.Query().Get("after"), peoplePerPage+1)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(list) > peoplePerPage {
		list, p.More = list[:peoplePerPage], list[peoplePerPage-1].Email
	}
	p.Base, p.People = s.baseFor(r, "People"), list
	s.render(w, r, status, "admin.people", p)
}

// peopleForm handles the page's forms; action says which.
func (s *Server) peopleForm(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	action := f.Get("action")
	err := s.changePerson(r, action)
	if err != nil {
		if errs.Code(err) == errs.Internal {
			s.pageError(w, r, err)
			return
		}
		s.renderPeople(w, r, status(err), peoplePage{Error: errs.Message(err), Email: f.Get("email"), Name: f.Get("name"),
			AddForm: action == "added"})
		return
	}
	http.Redirect(w, r, "/admin/people?done="+url.QueryEscape(action), http.StatusSeeOther)
}

// changePerson does one form's action as the operator signed in.
func (s *Server) changePerson(r *http.Request, action string) error {
	ctx, f, now, by := r.Context(), r.PostForm, s.Clock.Now(), viewer(r).ID
	if action == "added" {
		_, err := people.Add(ctx, s.DB, strings.TrimSpace(f.Get("email")), f.Get("name"), now)
		return err
	}
	id, err := strconv.ParseInt(f.Get("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.Invalid, "%q is not a person's id: reload the page and try again", f.Get("id"))
	}
	switch action {
	case "operator", "unoperator":
		_, err = people.SetOperator(ctx, s.DB, by, id, action == "operator")
	case "deactivated", "reactivated":
		_, err = people.SetActive(ctx, s.DB, by, id, action == "reactivated", now)
	default:
		err = errs.Errorf(errs.Invalid, "%q is not something this page does", action)
	}
	return err
}
