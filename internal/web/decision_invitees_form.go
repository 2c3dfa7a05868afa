package web

import (
	"fmt"
	"net/http"

	"meetingd/internal/errs"
)

// The invitee list of an open decision, changed by its owner or an
// operator on the decision page: the "decision.invitees" block, which the
// page includes as {{template "decision.invitees" .InviteeForm}}.

// inviteeForm is what the "decision.invitees" block shows.
type inviteeForm struct {
	DecisionID int64
	Title      string
	CSRF       string
	Owner      string   // the owner's address: always invited, never removable
	Invitees   []string // by address
	CanChange  bool     // the viewer may change the list now
	Add        string   // the addresses typed, when refused
	Errors     fieldErrors
}

// InviteeForm is the decision page's invitee block. Only the dashboard
// offers it (a signed email link's reader has no session to change who is
// asked), and only while the decision is open.
func (p decisionPage) InviteeForm() inviteeForm {
	return inviteeForm{DecisionID: p.ID, Title: p.Title, CSRF: p.CSRF, Owner: p.OwnerEmail, Invitees: p.Invitees,
		CanChange: p.Open && p.Forms.Name == "csrf" && (p.IsOwner || p.Me.Operator), Errors: fieldErrors{}}
}

// inviteeFields say where the decisions service's messages go.
var inviteeFields = []fieldPrefix{{"invitees", "add"}, {"invitee", "remove"}}

// inviteesForm adds (op=add, one address a line in "add") or removes
// (op=remove, "email") invitees; refused input comes back on a page of
// its own with what was typed.
func (s *Server) inviteesForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f, ctx, a := r.PostForm, r.Context(), actor(r)
	switch f.Get("op") {
	case "add":
		var emails []string
		if emails, err = s.knownInvitees(ctx, f.Get("add")); err == nil {
			_, err = s.Decisions.AddInvitees(ctx, a, id, emails)
		}
	case "remove":
		_, err = s.Decisions.RemoveInvitee(ctx, a, id, f.Get("email"))
	default:
		s.pageError(w, r, errs.Errorf(errs.Invalid, "unknown action %q: add or remove", f.Get("op")))
		return
	}
	if err == nil {
		http.Redirect(w, r, fmt.Sprintf("/decisions/%d?done=invitees#invitees", id), http.StatusSeeOther)
		return
	}
	s.inviteesRefused(w, r, id, err)
}

// inviteesRefused shows the invitee form again with the problem beside
// its field, or the error page for anything but bad input.
func (s *Server) inviteesRefused(w http.ResponseWriter, r *http.Request, id int64, cause error) {
	fe := fieldErrors{}
	if !fe.file(cause, inviteeFields) {
		s.pageError(w, r, cause)
		return
	}
	v, err := s.Decisions.Get(r.Context(), actor(r), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	b := s.baseFor(r, v.Title)
	p := decisionPage{Base: b, View: v, IsOwner: b.Me.ID == v.OwnerID, Forms: formTarget{Name: "csrf", Value: b.CSRF}}
	f := p.InviteeForm()
	f.Add, f.Errors = r.PostForm.Get("add"), fe
	s.render(w, r, http.StatusBadRequest, "decision.invitees.page", struct {
		Base
		Form inviteeForm
	}{b, f})
}
