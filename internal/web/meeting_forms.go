package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"meetingd/calendar"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// Meetings of the built-in calendar, created and changed from the
// dashboard: /meetings/new, and the edit and cancel forms a meeting's page
// offers its organizer. Meetings of other calendars (Google, CalDAV, feeds)
// are changed where they come from, which would overwrite any change here.

// meetingForm is the page of the new-meeting and edit forms.
type meetingForm struct {
	Base
	Action     string // where the form posts
	Editing    bool
	MeetingID  int64    // the occurrence whose page the edit form came from
	Recurrence []string // an edited series' rules, kept as they are
	Values     meetingValues
	Errors     fieldErrors
	Repeats    []repeatOption
}

func (s *Server) newMeetingPage(w http.ResponseWriter, r *http.Request) {
	b := s.baseFor(r, "New meeting")
	s.render(w, r, http.StatusOK, "meeting.form", meetingForm{Base: b, Action: "/meetings/new",
		Values: newMeetingValues(b.Now, b.Loc), Repeats: repeatOptions})
}

// createMeetingForm creates the meeting, organized by the viewer, and
// opens its first occurrence; bad input comes back beside its field.
func (s *Server) createMeetingForm(w http.ResponseWriter, r *http.Request) {
	f := meetingForm{Base: s.baseFor(r, "New meeting"), Action: "/meetings/new", Values: meetingFormValues(r),
		Errors: fieldErrors{}, Repeats: repeatOptions}
	in := f.Values.event(viewer(r).Email, f.Errors)
	in.Recurrence = f.Values.recurrence(f.Errors)
	if len(f.Errors) == 0 {
		uid, _, err := s.Calendar.Create(r.Context(), in)
		if err == nil {
			s.toMeeting(w, r, uid, 0, "created")
			return
		}
		if !f.Errors.file(err, calendarFields) {
			s.pageError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusBadRequest, "meeting.form", f)
}

// toMeeting redirects to occurrence prefer of the event, or to its first
// occurrence when that one is gone (moved or cancelled by the change).
func (s *Server) toMeeting(w http.ResponseWriter, r *http.Request, uid string, prefer int64, done string) {
	ids, err := s.Calendar.Occurrences(r.Context(), uid)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	switch {
	case slices.Contains(ids, prefer):
	case len(ids) > 0:
		prefer = ids[0]
	default:
		http.Redirect(w, r, "/meetings", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=%s", prefer, done), http.StatusSeeOther)
}

// organizedMeeting is the occurrence in the path and its built-in event,
// if the viewer may change it: its organizer, or an operator (as on the
// API). Who cannot see the meeting is told it does not exist.
func (s *Server) organizedMeeting(r *http.Request) (meetings.OccurrenceView, calendar.EventInput, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return meetings.OccurrenceView{}, calendar.EventInput{}, err
	}
	v, err := s.Meetings.View(r.Context(), actor(r), id)
	if err != nil {
		return meetings.OccurrenceView{}, calendar.EventInput{}, err
	}
	local, err := s.Calendar.IsLocal(r.Context(), v.Series.CalendarID)
	if err == nil && !local {
		err = errs.Errorf(errs.Conflict, "%q comes from another calendar: change it there", v.Title)
	}
	if err != nil {
		return meetings.OccurrenceView{}, calendar.EventInput{}, err
	}
	in, err := s.Calendar.Get(r.Context(), v.Series.UID)
	if err != nil {
		return meetings.OccurrenceView{}, calendar.EventInput{}, err
	}
	if me := viewer(r); people.NormalizeEmail(in.Organizer) != me.Email && !me.Operator {
		return meetings.OccurrenceView{}, calendar.EventInput{}, errs.Errorf(errs.Forbidden, "only the organizer may change %q", v.Title)
	}
	return v, in, nil
}

// editable reports whether the meeting page offers v's edit and cancel
// forms to its viewer; organizedMeeting decides when they are sent.
func (s *Server) editable(ctx context.Context, me people.Person, v meetings.OccurrenceView) (bool, error) {
	if v.Series.OrganizerID != me.ID && !me.Operator {
		return false, nil
	}
	return s.Calendar.IsLocal(ctx, v.Series.CalendarID)
}

func (s *Server) editMeetingPage(w http.ResponseWriter, r *http.Request) {
	v, in, err := s.organizedMeeting(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "meeting.form", s.editForm(r, v, in, eventValues(in)))
}

func (s *Server) editForm(r *http.Request, v meetings.OccurrenceView, in calendar.EventInput, vals meetingValues) meetingForm {
	return meetingForm{Base: s.baseFor(r, "Edit "+in.Title), Action: fmt.Sprintf("/meetings/%d/edit", v.ID), Editing: true,
		MeetingID: v.ID, Recurrence: in.Recurrence, Values: vals, Errors: fieldErrors{}}
}

// editMeetingForm replaces the event's title, time, duration, attendees
// and privacy; its rules (and cancelled occurrences) stay as they are.
func (s *Server) editMeetingForm(w http.ResponseWriter, r *http.Request) {
	v, cur, err := s.organizedMeeting(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := s.editForm(r, v, cur, meetingFormValues(r))
	in := f.Values.event(cur.Organizer, f.Errors)
	in.UID, in.Description, in.Recurrence = cur.UID, cur.Description, cur.Recurrence
	if len(f.Errors) == 0 {
		_, err := s.Calendar.Update(r.Context(), in)
		if err == nil {
			s.toMeeting(w, r, cur.UID, v.ID, "saved")
			return
		}
		if !f.Errors.file(err, calendarFields) {
			s.pageError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusBadRequest, "meeting.form", f)
}

// cancelMeetingForm cancels this occurrence (scope=occurrence) or every
// occurrence of the series (scope=series).
func (s *Server) cancelMeetingForm(w http.ResponseWriter, r *http.Request) {
	v, in, err := s.organizedMeeting(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	switch scope := r.PostForm.Get("scope"); {
	case scope == "series":
		_, err = s.Calendar.Cancel(r.Context(), in.UID)
	case scope != "occurrence":
		err = errs.Errorf(errs.Invalid, "scope %q is not occurrence or series", scope)
	case v.Cancelled:
		err = errs.Errorf(errs.Conflict, "%q on %s is cancelled already", v.Title, v.StartsAt.Format(dateLayout))
	case !s.Clock.Now().Before(v.StartsAt):
		err = errs.Errorf(errs.Conflict, "%q has started: only meetings ahead can be cancelled", v.Title)
	default:
		_, err = s.Calendar.CancelOccurrence(r.Context(), in.UID, v.Occurrence)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/meetings/%d?done=cancelled", v.ID), http.StatusSeeOther)
}
