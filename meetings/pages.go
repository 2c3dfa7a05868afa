package meetings

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
)

// The notes doc and the publish page are opened from links in emails: the
// signed token in the link says who the reader is, so they work without a
// session, and a form carries the token back, which also makes the form
// safe from cross-site posting (a forger does not have it).

type notesSection struct {
	Occ       Occurrence
	Attendees []Attendee
	Section   Section
}

type notesPage struct {
	Series    Series
	Organizer Person
	Sections  []notesSection
	Token     string
	Loc       *time.Location
}

func (s *Service) handleNotesDoc(w http.ResponseWriter, r *http.Request) {
	seriesID, err := httpx.PathID(r, "series")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	token := r.URL.Query().Get("t")
	reader, err := s.notesReader(r.Context(), token, seriesID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	page, err := s.notesPage(r.Context(), reader, seriesID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	page.Token = token
	s.render(w, r, http.StatusOK, "notes.doc", page)
}

func (s *Service) notesPage(ctx context.Context, reader Person, seriesID int64) (notesPage, error) {
	ser, err := getSeries(ctx, s.DB, seriesID)
	if err != nil {
		return notesPage{}, err
	}
	org, err := PersonByID(ctx, s.DB, ser.OrganizerID)
	if err != nil {
		return notesPage{}, err
	}
	occs, err := seriesOccurrences(ctx, s.DB, seriesID)
	if err != nil {
		return notesPage{}, err
	}
	p := notesPage{Series: ser, Organizer: org, Loc: reader.location()}
	a := Actor{PersonID: reader.ID, Operator: reader.Operator}
	for _, o := range occs {
		if _, err := canSee(ctx, s.DB, a, o); err != nil {
			continue // invited to some occurrences of the series, not all
		}
		sec, err := getSection(ctx, s.DB, o.ID)
		if err != nil {
			return notesPage{}, err
		}
		atts, err := attendees(ctx, s.DB, o.ID)
		if err != nil {
			return notesPage{}, err
		}
		p.Sections = append(p.Sections, notesSection{Occ: o, Attendees: atts, Section: sec})
	}
	if len(p.Sections) == 0 {
		return notesPage{}, errs.Errorf(errs.NotFound, "no notes doc %d", seriesID)
	}
	return p, nil
}

// notesReader checks a notes link and returns whom it was sent to.
func (s *Service) notesReader(ctx context.Context, token string, seriesID int64) (Person, error) {
	c, err := s.Links.Verify(token, ActionNotes, s.Clock.Now())
	if err != nil {
		return Person{}, err
	}
	if c.Subject != seriesID {
		return Person{}, errs.Errorf(errs.Unauthorized, "link is for another notes doc")
	}
	return PersonByID(ctx, s.DB, c.Person)
}

func (s *Service) handleNotesForm(w http.ResponseWriter, r *http.Request) {
	seriesID, err1 := httpx.PathID(r, "series")
	occID, err2 := httpx.PathID(r, "id")
	if err1 != nil || err2 != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "bad notes doc address"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 6*MaxSectionText)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	token := r.PostForm.Get("t")
	reader, err := s.notesReader(r.Context(), token, seriesID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	o, err := getOccurrence(r.Context(), s.DB, occID)
	if err != nil || o.SeriesID != seriesID {
		s.pageError(w, r, errs.Errorf(errs.NotFound, "no occurrence %d in this notes doc", occID))
		return
	}
	var p SectionPatch
	for f, dst := range map[string]**string{"pre_read": &p.PreRead, "agenda": &p.Agenda, "notes": &p.Notes,
		"decisions": &p.Decisions, "action_items": &p.ActionItems} {
		if vals, ok := r.PostForm[f]; ok && len(vals) > 0 {
			v := vals[0]
			*dst = &v
		}
	}
	if _, err := s.UpdateSection(r.Context(), Actor{PersonID: reader.ID, Operator: reader.Operator}, occID, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/notes/%d?t=%s#occurrence-%d", seriesID, url.QueryEscape(token), occID), http.StatusSeeOther)
}

type publishPage struct {
	Occurrence
	Loc     *time.Location
	Token   string
	PreRead string
	Done    bool
}

// handlePublishPage asks for confirmation: a GET never acts, since mail
// scanners open links.
func (s *Service) handlePublishPage(w http.ResponseWriter, r *http.Request) {
	s.publishPage(w, r, r.URL.Query().Get("t"), false)
}

func (s *Service) handlePublishForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*MaxSectionText)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, errs.Errorf(errs.Invalid, "form: %v", err))
		return
	}
	token := r.PostForm.Get("t")
	c, err := s.Links.Verify(token, ActionPublish, s.Clock.Now())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := PersonByID(r.Context(), s.DB, c.Person)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var content *string
	if v, ok := r.PostForm["pre_read"]; ok {
		content = &v[0]
	}
	if _, err := s.Publish(r.Context(), Actor{PersonID: p.ID, Operator: p.Operator}, c.Subject, content); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.publishPage(w, r, token, true)
}

func (s *Service) publishPage(w http.ResponseWriter, r *http.Request, token string, done bool) {
	c, err := s.Links.Verify(token, ActionPublish, s.Clock.Now())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := PersonByID(r.Context(), s.DB, c.Person)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.View(r.Context(), Actor{PersonID: p.ID, Operator: p.Operator}, c.Subject)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "publish", publishPage{Occurrence: v.Occurrence, Loc: p.location(),
		Token: token, PreRead: v.Section.PreRead, Done: done})
}

func (p Person) location() *time.Location {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (s *Service) pages() httpx.Pages { return httpx.Pages{Templates: s.Templates, Log: s.Log} }

func (s *Service) pageError(w http.ResponseWriter, r *http.Request, err error) {
	s.pages().Error(w, r, err)
}

func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.pages().Render(w, r, status, name, data)
}
