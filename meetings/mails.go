package meetings

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/internal/people"
)

// Email kinds, each with templates in templates/email.
const (
	MailReminder      = "preread_reminder"
	MailPublished     = "preread_published"
	MailMissing       = "preread_missing"
	MailNotesShared   = "notes_shared"
	MailActionItemDue = "action_item_due"
)

// Link actions.
const (
	ActionPublish = "publish"
	ActionNotes   = "notes"
)

// OccurrenceMail is what occurrence emails show.
type OccurrenceMail struct {
	Title       string
	Start, End  time.Time
	Due         time.Time
	State       string
	Organizer   string
	NotesURL    string // signed for the recipient
	PublishURL  string // organizer reminders only
	Section     Section
	Attendees   []Attendee
	ActionItems []ActionItem
	Decisions   []LinkedDecision // open for contributions (notes shared)
	Untracked   []string         // action item lines with no owner or due date
}

// occurrenceMail gathers what every email about o shows; per-recipient
// links are added by the caller.
func (s *Service) occurrenceMail(ctx context.Context, tx *sqlx.Tx, o Occurrence) (OccurrenceMail, Series, error) {
	ser, err := getSeries(ctx, tx, o.SeriesID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	org, err := people.ByID(ctx, tx, ser.OrganizerID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	sec, err := getSection(ctx, tx, o.ID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	atts, err := attendees(ctx, tx, o.ID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	items, err := actionItems(ctx, tx, o.ID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	return OccurrenceMail{Title: o.Title, Start: o.StartsAt, End: o.EndsAt, Due: o.PreReadDueAt,
		State: o.PreReadState, Organizer: org.Display(), Section: sec, Attendees: atts, ActionItems: items}, ser, nil
}

// NotesLink is the notes doc's URL, signed so the recipient can open and
// edit it from the email without signing in.
func (s *Service) NotesLink(seriesID, personID int64, occID int64, now time.Time) string {
	tok := s.Links.Sign(links.Claims{Action: ActionNotes, Subject: seriesID, Person: personID, Expires: now.Add(s.Cfg.LinkTTL)})
	return fmt.Sprintf("%s/notes/%d?t=%s#occurrence-%d", s.baseURL(), seriesID, url.QueryEscape(tok), occID)
}

// publishLink lets the organizer publish the pre-read from the reminder;
// it expires when the meeting starts.
func (s *Service) publishLink(o Occurrence, personID int64) string {
	tok := s.Links.Sign(links.Claims{Action: ActionPublish, Subject: o.ID, Person: personID, Expires: o.StartsAt})
	return fmt.Sprintf("%s/publish?t=%s", s.baseURL(), url.QueryEscape(tok))
}

// mailAll sends kind about o to every current attendee, optional ones and
// absentees included.
func (s *Service) mailAll(ctx context.Context, tx *sqlx.Tx, now time.Time, o Occurrence, kind, key string, urgent bool,
	latest time.Time, extra func(*OccurrenceMail)) error {
	data, ser, err := s.occurrenceMail(ctx, tx, o)
	if err != nil {
		return err
	}
	if extra != nil {
		extra(&data)
	}
	people, err := recipients(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	for _, p := range people {
		d := data
		d.NotesURL = s.NotesLink(ser.ID, p.ID, o.ID, now)
		if _, err := s.Outbox.Enqueue(ctx, tx, mail.Message{Kind: kind, SubjectKey: key, To: p.Recipient(),
			Urgent: urgent, Latest: latest, Data: d}); err != nil {
			return err
		}
	}
	return nil
}
