package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// actionItemForm is the meeting page's new action item form: its fields as
// typed and their problems, when the page comes back refused.
type actionItemForm struct {
	Text, Owner, Due string
	Errors           fieldErrors
}

// actionItemFields say beside which field the meetings service's messages
// about an action item go.
var actionItemFields = []fieldPrefix{{"text", "text"}, {"owner", "owner"}, {"due", "due"}}

// addActionItemForm adds an action item to the meeting in the path: an
// owner picked from its attendees, due at the end of the owner's working
// day on the date given (as action items from the notes are).
func (s *Server) addActionItemForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := actionItemForm{Text: r.PostForm.Get("text"), Owner: r.PostForm.Get("owner"), Due: r.PostForm.Get("due"), Errors: fieldErrors{}}
	in, err := s.actionItemInput(r.Context(), f)
	if err == nil && len(f.Errors) == 0 {
		_, err = s.Meetings.AddActionItem(r.Context(), actor(r), id, in)
		if err == nil {
			http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=action-item#action-items", id), http.StatusSeeOther)
			return
		}
	}
	if err != nil && !f.Errors.file(err, actionItemFields) {
		s.pageError(w, r, err)
		return
	}
	p, err := s.meetingPageFor(r, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p.NewItem = f
	s.render(w, r, http.StatusBadRequest, "dash.meeting", p)
}

// actionItemInput reads the form; what cannot be read goes into f.Errors.
func (s *Server) actionItemInput(ctx context.Context, f actionItemForm) (meetings.ActionItemInput, error) {
	in := meetings.ActionItemInput{Text: strings.TrimSpace(f.Text), Owner: f.Owner}
	if in.Text == "" {
		f.Errors.set("text", "Say what is to be done.")
	}
	day, err := time.Parse(dateLayout, strings.TrimSpace(f.Due))
	if err != nil {
		f.Errors.set("due", "Give the due date as YYYY-MM-DD.")
	}
	owner, err := people.ByEmail(ctx, s.DB, f.Owner)
	switch {
	case f.Owner == "":
		f.Errors.set("owner", "Pick who owns it.")
	case errs.Code(err) == errs.NotFound:
		f.Errors.set("owner", fmt.Sprintf("owner %s is not invited to this meeting", f.Owner))
	case err != nil:
		return in, err
	case !day.IsZero():
		in.Due = owner.EndOfWorkday(day)
	}
	return in, nil
}
