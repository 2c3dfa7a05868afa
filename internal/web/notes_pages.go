package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// The notes doc and the publish page open from links in emails: the
// signed token in the link says who reads, so they work without a session,
// and every form carries the token back, which also keeps cross-site posts
// out (a forger does not have it).

type notesPage struct {
	meetings.NotesDocView
	Token string
	Loc   *time.Location
}

func (s *Server) notesDoc(w http.ResponseWriter, r *http.Request) {
	seriesID, err := pathID(r, "series")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	token := r.URL.Query().Get("t")
	var reader people.Person
	if token == "" {
		// The stable link (on the calendar event, notes_url): whoever is
		// signed in reads as themselves; anyone else is asked to sign in.
		sess, ok, err := s.creds.Session(r.Context(), cookie(r))
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		if !ok {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		reader, token = sess.Person, s.Meetings.NotesToken(seriesID, sess.Person.ID)
	} else if reader, err = s.Meetings.NotesReader(r.Context(), token, seriesID); err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.Meetings.NotesDoc(r.Context(), reader, seriesID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "notes.doc", notesPage{NotesDocView: v, Token: token, Loc: reader.Location()})
}

func (s *Server) notesForm(w http.ResponseWriter, r *http.Request) {
	seriesID, err1 := pathID(r, "series")
	occID, err2 := pathID(r, "id")
	if err1 != nil || err2 != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "bad notes doc address"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 6*meetings.MaxSectionText)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	var p meetings.SectionPatch
	for f, dst := range map[string]**string{"pre_read": &p.PreRead, "agenda": &p.Agenda, "notes": &p.Notes,
		"decisions": &p.Decisions, "action_items": &p.ActionItems} {
		if vals, ok := r.PostForm[f]; ok && len(vals) > 0 {
			v := vals[0]
			*dst = &v
		}
	}
	token := r.PostForm.Get("t")
	if err := s.Meetings.EditNotes(r.Context(), token, seriesID, occID, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/notes/%d?t=%s#occurrence-%d", seriesID, url.QueryEscape(token), occID), http.StatusSeeOther)
}

type publishPage struct {
	meetings.Occurrence
	Loc     *time.Location
	Token   string
	PreRead string
	Done    bool
}

// publishLinkPage asks for confirmation: a GET never acts, since mail
// scanners open links.
func (s *Server) publishLinkPage(w http.ResponseWriter, r *http.Request) {
	s.publishLinkAnswer(w, r, r.URL.Query().Get("t"), false)
}

func (s *Server) publishLinkForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*meetings.MaxSectionText)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	token := r.PostForm.Get("t")
	p, occID, err := s.Meetings.PublishReader(r.Context(), token)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var content *string
	if v, ok := r.PostForm["pre_read"]; ok {
		content = &v[0]
	}
	if _, err := s.Meetings.Publish(r.Context(), p.Actor(), occID, content); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.publishLinkAnswer(w, r, token, true)
}

func (s *Server) publishLinkAnswer(w http.ResponseWriter, r *http.Request, token string, done bool) {
	p, occID, err := s.Meetings.PublishReader(r.Context(), token)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.Meetings.View(r.Context(), p.Actor(), occID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "publish", publishPage{Occurrence: v.Occurrence, Loc: p.Location(),
		Token: token, PreRead: v.Section.PreRead, Done: done})
}
