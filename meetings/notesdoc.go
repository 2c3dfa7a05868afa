package meetings

import (
	"context"
	"fmt"

	"meetingd/internal/errs"
	"meetingd/internal/links"
	"meetingd/internal/people"
)

// The notes doc and the publish page are opened from links in emails: the
// signed token in the link says who the reader is, so they work without a
// session, and a form carries the token back, which also keeps forms safe
// from cross-site posting (a forger does not have it).

// NotesSection is one occurrence's dated section as the doc shows it.
type NotesSection struct {
	Occ       Occurrence
	Attendees []Attendee
	Section   Section
}

// NotesDocView is a series' notes doc as one reader may see it: the
// sections of the occurrences they are invited to, newest first.
type NotesDocView struct {
	Series    Series
	Organizer people.Person
	Sections  []NotesSection
	Hints     map[string]string // each heading's guidance, shown as a placeholder
}

// NotesReader checks a notes link for seriesID and returns whom it was
// sent to.
func (s *Service) NotesReader(ctx context.Context, token string, seriesID int64) (people.Person, error) {
	c, err := s.Links.Verify(token, ActionNotes, s.Clock.Now())
	if err != nil {
		return people.Person{}, err
	}
	if c.Subject != seriesID {
		return people.Person{}, errs.Errorf(errs.Unauthorized, "link is for another notes doc")
	}
	return people.ByID(ctx, s.DB, c.Person)
}

// NotesDoc is the notes doc of seriesID as reader may see it.
func (s *Service) NotesDoc(ctx context.Context, reader people.Person, seriesID int64) (NotesDocView, error) {
	ser, err := getSeries(ctx, s.DB, seriesID)
	if err != nil {
		return NotesDocView{}, err
	}
	org, err := people.ByID(ctx, s.DB, ser.OrganizerID)
	if err != nil {
		return NotesDocView{}, err
	}
	occs, err := seriesOccurrences(ctx, s.DB, seriesID)
	if err != nil {
		return NotesDocView{}, err
	}
	v := NotesDocView{Series: ser, Organizer: org, Hints: s.Hints()}
	for _, o := range occs {
		if _, err := canSee(ctx, s.DB, reader.Actor(), o); err != nil {
			continue // invited to some occurrences of the series, not all
		}
		sec, err := getSection(ctx, s.DB, o.ID)
		if err != nil {
			return NotesDocView{}, err
		}
		atts, err := attendees(ctx, s.DB, o.ID)
		if err != nil {
			return NotesDocView{}, err
		}
		v.Sections = append(v.Sections, NotesSection{Occ: o, Attendees: atts, Section: s.withoutHints(sec)})
	}
	if len(v.Sections) == 0 {
		return NotesDocView{}, errs.Errorf(errs.NotFound, "no notes doc %d", seriesID)
	}
	return v, nil
}

// EditNotes is an edit made in the notes doc opened by a link: the reader
// edits occurrence occID's section of series seriesID.
func (s *Service) EditNotes(ctx context.Context, token string, seriesID, occID int64, p SectionPatch) error {
	reader, err := s.NotesReader(ctx, token, seriesID)
	if err != nil {
		return err
	}
	o, err := getOccurrence(ctx, s.DB, occID)
	if err != nil || o.SeriesID != seriesID {
		return errs.Errorf(errs.NotFound, "no occurrence %d in this notes doc", occID)
	}
	_, err = s.UpdateSection(ctx, reader.Actor(), occID, p)
	return err
}

// PublishReader checks a publish link and returns whom it was sent to and
// the occurrence whose pre-read it publishes.
func (s *Service) PublishReader(ctx context.Context, token string) (people.Person, int64, error) {
	return s.occurrenceLink(ctx, token, ActionPublish)
}

// occurrenceLink checks a signed link for action on an occurrence and
// returns whom it was sent to and the occurrence.
func (s *Service) occurrenceLink(ctx context.Context, token, action string) (people.Person, int64, error) {
	c, err := s.Links.Verify(token, action, s.Clock.Now())
	if err != nil {
		return people.Person{}, 0, err
	}
	p, err := people.ByID(ctx, s.DB, c.Person)
	return p, c.Subject, err
}

// docURL is where a notes doc opens. meetingd's own doc is built from the
// running server's base URL, not the one stored when it was made (which a
// CLI import sets from its own flags); an external doc keeps its URL.
func (s *Service) docURL(d NotesDoc) string {
	if d.Kind == "local" {
		return fmt.Sprintf("%s/notes/%d", s.baseURL(), d.SeriesID)
	}
	return d.URL
}

// NotesToken signs a notes link's token for a signed-in reader, so the
// doc's forms work for them as for someone who came from an email.
func (s *Service) NotesToken(seriesID, personID int64) string {
	return s.Links.Sign(links.Claims{Action: ActionNotes, Subject: seriesID, Person: personID, Expires: s.Clock.Now().Add(s.Cfg.LinkTTL)})
}
