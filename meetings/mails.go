package meetings

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
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

var mailKinds = []string{MailReminder, MailPublished, MailMissing, MailNotesShared, MailActionItemDue, MailHeldAsync}

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
	AsyncURL    string // the missing-pre-read email, when operators offer holding it async
	Section     Section
	Attendees   []Attendee
	ActionItems []ActionItem
	Decisions   []LinkedDecision // open for contributions (notes shared)
	Untracked   []string         // action item lines with no owner or due date
	Recordings  []Recording      // the meeting's recordings and transcripts
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

// mailAll owes kind about o to every current attendee, optional ones and
// absentees included; it is written when sent (Compose).
func (s *Service) mailAll(ctx context.Context, q db.Queryer, o Occurrence, kind, key string, urgent bool, latest time.Time) error {
	people, err := recipients(ctx, q, o.ID)
	if err != nil {
		return err
	}
	to := make([]mail.Recipient, len(people))
	for i, p := range people {
		to[i] = p.Recipient()
	}
	_, err = s.Outbox.EnqueueAll(ctx, q, mail.Message{Kind: kind, SubjectKey: key, Urgent: urgent, Latest: latest}, to)
	return err
}

// Compose writes an occurrence email as it is sent, from the meeting as it
// is then, and drops it where its reason is gone: the meeting was
// cancelled, moved (a new email is owed for the new time) or has started,
// the pre-read came, the action item was done.
func (s *Service) Compose(ctx context.Context, q db.Queryer, kind, key string, to []mail.Item) (mail.Composed, error) {
	if kind == MailActionItemDue {
		return s.composeActionItem(ctx, q, key, to)
	}
	version, _, _ := strings.Cut(key, "/")
	subject, at, versioned := strings.Cut(version, "@")
	id, err := jobs.SubjectID(subject, "occurrence:")
	if err != nil {
		return mail.Composed{}, err
	}
	o, err := getOccurrence(ctx, q, id)
	if errs.Code(err) == errs.NotFound {
		return mail.DropAll(to, "the meeting is gone"), nil
	}
	if err != nil {
		return mail.Composed{}, err
	}
	if reason := s.stale(kind, o, at, versioned); reason != "" {
		return mail.DropAll(to, reason), nil
	}
	data, ser, err := s.occurrenceMail(ctx, q, o)
	if err != nil {
		return mail.Composed{}, err
	}
	if kind == MailNotesShared || kind == MailHeldAsync {
		if data.Decisions, data.Untracked, err = s.sharedWithNotes(ctx, q, o, data.Section); err != nil {
			return mail.Composed{}, err
		}
	}
	data.NotesURL, data.PublishURL = mail.Slot(0), mail.Slot(1)
	now := s.Clock.Now()
	out := mail.Composed{Data: data, Links: map[int64][]string{}}
	offer := kind == MailMissing && s.Cfg.OfferAsync && !o.HeldAsync
	if offer {
		data.AsyncURL = mail.Slot(2 + 3*len(data.Decisions)) // after the decisions' links
		out.Data = data
	}
	for _, it := range to {
		links := []string{s.NotesLink(ser.ID, it.RecipientID, o.ID, now), s.publishLink(o, it.RecipientID)}
		for _, d := range data.Decisions {
			page, support, object := s.Decisions.DecideLinks(d.decision, it.RecipientID)
			links = append(links, page, support, object)
		}
		if offer {
			links = append(links, s.asyncLink(o, it.RecipientID))
		}
		out.Links[it.RecipientID] = links
	}
	return out, nil
}

// stale says why an email of kind about o no longer applies, or "". at is
// the start the email was owed for, when its key has one.
func (s *Service) stale(kind string, o Occurrence, at string, versioned bool) string {
	now := s.Clock.Now()
	switch {
	case o.Cancelled:
		return "the meeting was cancelled"
	case versioned && at != strconv.FormatInt(o.StartsAt.Unix(), 10):
		return "the meeting moved"
	case kind == MailReminder && (o.PreReadState != PreReadPending || !now.Before(o.PreReadDueAt)):
		return "the pre-read is " + o.PreReadState + " now"
	case kind == MailMissing && o.PreReadState != PreReadMissing:
		return "a pre-read came since: it is " + o.PreReadState
	case (kind == MailReminder || kind == MailPublished || kind == MailMissing) && !now.Before(o.StartsAt):
		return "the meeting has started"
	}
	return ""
}

// occurrenceMail gathers what every email about o shows; per-recipient
// links are added by the caller.
func (s *Service) occurrenceMail(ctx context.Context, q db.Queryer, o Occurrence) (OccurrenceMail, Series, error) {
	ser, err := getSeries(ctx, q, o.SeriesID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	org, err := people.ByID(ctx, q, ser.OrganizerID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	sec, err := getSection(ctx, q, o.ID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	atts, err := attendees(ctx, q, o.ID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	items, err := actionItems(ctx, q, o.ID)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	recs, err := recordingsOf(ctx, q, o)
	if err != nil {
		return OccurrenceMail{}, Series{}, err
	}
	return OccurrenceMail{Title: o.Title, Start: o.StartsAt, End: o.EndsAt, Due: o.PreReadDueAt,
		State: o.PreReadState, Organizer: org.Display(), Section: s.withoutHints(sec), Attendees: atts, ActionItems: items, Recordings: recs}, ser, nil
}

// sharedWithNotes is what the notes email lists beside the notes: the
// decisions still open, and the action item lines that are not tracked.
func (s *Service) sharedWithNotes(ctx context.Context, q db.Queryer, o Occurrence, sec Section) ([]LinkedDecision, []string, error) {
	open, err := s.Decisions.OpenOf(ctx, q, o.ID)
	if err != nil {
		return nil, nil, err
	}
	ds := make([]LinkedDecision, 0, len(open))
	for i, d := range open {
		// Slots 0 and 1 are the notes and publish links; each decision's
		// three follow.
		ds = append(ds, LinkedDecision{Title: d.Title, ClosesAt: d.ClosesAt, decision: d,
			URL: mail.Slot(2 + 3*i), SupportURL: mail.Slot(3 + 3*i), ObjectURL: mail.Slot(4 + 3*i)})
	}
	_, untracked := s.actionLines(sec)
	return ds, untracked, nil
}

func (s *Service) composeActionItem(ctx context.Context, q db.Queryer, key string, to []mail.Item) (mail.Composed, error) {
	subject, at, _ := strings.Cut(key, "@")
	id, err := jobs.SubjectID(subject, "action:")
	if err != nil {
		return mail.Composed{}, err
	}
	it, err := actionItem(ctx, q, id)
	switch {
	case errs.Code(err) == errs.NotFound:
		return mail.DropAll(to, "the action item is gone"), nil
	case err != nil:
		return mail.Composed{}, err
	case it.DoneAt != nil:
		return mail.DropAll(to, "the action item was done"), nil
	case at != strconv.FormatInt(it.DueAt.Unix(), 10):
		return mail.DropAll(to, "the action item's due date moved"), nil
	}
	return mail.Composed{Data: it}, nil
}
