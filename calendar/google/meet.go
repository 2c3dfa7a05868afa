package google

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	gcalendar "google.golang.org/api/calendar/v3"
	meet "google.golang.org/api/meet/v2"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// Google Meet: for an occurrence whose event has a Meet link, once it has
// ended (MeetDelay after), its conference records are read: who joined,
// and for how long, from the participants and their sessions, becomes
// attendance (present with minutes; the others absent, unless they took
// part async); the recordings and transcripts Meet wrote to Drive are
// linked in the occurrence's Notes, and so in its doc and its notes email,
// which waits for them until MeetWait after the end. A 1:1 or a private or
// sensitive meeting never has one linked: its organizer is told that one
// exists. Meet writes its files some minutes after a conference ends; until
// they are written the read is tried again every MeetRetry.

// MailRecordingWithheld tells an organizer that a meeting meetingd links
// no recording of (a 1:1, a private or sensitive one) has one.
const MailRecordingWithheld = "google_recording_withheld"

// RecordingWithheld is the data of a MailRecordingWithheld email.
type RecordingWithheld struct {
	Title  string
	Start  time.Time
	Reason string   // why it is not linked
	Links  []string // for the organizer alone
}

// meetCode is the meeting code of an event's Meet link, or "".
func meetCode(e *gcalendar.Event) string {
	if e == nil {
		return ""
	}
	if cd := e.ConferenceData; cd != nil && cd.ConferenceSolution != nil && cd.ConferenceSolution.Key != nil &&
		cd.ConferenceSolution.Key.Type == "hangoutsMeet" && cd.ConferenceId != "" {
		return cd.ConferenceId
	}
	if u, err := url.Parse(e.HangoutLink); err == nil && u.Host == "meet.google.com" {
		return strings.Trim(u.Path, "/")
	}
	return ""
}

// scheduleMeet arms the read of an occurrence's conference and holds its
// notes email for it; an occurrence without a Meet link has its email let go.
func (g *Source) scheduleMeet(ctx context.Context, tx *sqlx.Tx, now time.Time, st *docState, o meetings.OccurrenceRef) error {
	if !g.cfg.Meet || meetCode(st.event(o)) == "" {
		return meetings.ReleaseNotes(ctx, tx, now, o.ID)
	}
	read, err := g.meetRead(ctx, tx, o.ID)
	if err != nil || read {
		return err
	}
	if err := meetings.HoldNotes(ctx, tx, o.ID, o.EndsAt.Add(g.cfg.MeetWait)); err != nil {
		return err
	}
	return jobs.ScheduleIn(ctx, tx, now, jobs.Bulk, JobMeet+"@a", occSubject(o.ID), o.EndsAt.Add(g.cfg.MeetDelay))
}

func (g *Source) meetRead(ctx context.Context, q db.Queryer, occID int64) (bool, error) {
	var n int
	if err := q.GetContext(ctx, &n, q.Rebind(`SELECT COUNT(*) FROM google_meet WHERE occurrence_id = ?`), occID); err != nil {
		return false, fmt.Errorf("conference of occurrence %d: %w", occID, err)
	}
	return n > 0, nil
}

func (g *Source) runMeet(ctx context.Context, j jobs.Job) error {
	occID, err := jobs.SubjectID(j.Subject, "goccurrence:")
	if err != nil {
		return err
	}
	now := g.Clock.Now()
	release := func() error { return meetings.ReleaseNotes(ctx, g.DB, now, occID) }
	seriesID, err := meetings.SeriesOf(ctx, g.DB, occID)
	if err != nil || seriesID == 0 {
		return err
	}
	st, ok, err := g.docState(ctx, seriesID)
	if err != nil {
		return err
	}
	o, found := meetings.OccurrenceRef{}, false
	if ok {
		o, found = st.occurrence(occID)
	}
	if !ok || !found || o.Cancelled || !g.cfg.Meet {
		return release()
	}
	if read, err := g.meetRead(ctx, g.DB, occID); err != nil || read {
		return err
	}
	code := meetCode(st.event(o))
	if code == "" {
		return release()
	}
	later := func(at time.Time) error {
		return jobs.ScheduleIn(ctx, g.DB, now, jobs.Bulk, JobMeet+"@"+otherVariant(j), j.Subject, at)
	}
	if at := o.EndsAt.Add(g.cfg.MeetDelay); now.Before(at) {
		return later(at) // it moved since this was armed
	}
	cl, err := g.client(ctx, st.cal)
	if err != nil {
		return err
	}
	conf, err := g.readConference(ctx, cl, o, code, now.After(o.EndsAt.Add(g.cfg.MeetWait)))
	var re *revokedError
	switch {
	case errors.As(err, &re):
		return g.stopIfRevoked(ctx, st.cal, err)
	case isStatus(err, http.StatusForbidden) || isStatus(err, http.StatusUnauthorized):
		// Meet's scopes not granted (or Meet not in this Workspace): the
		// meeting goes without, and its notes email goes now.
		g.Log.WarnContext(ctx, "Google Meet conference not readable; its attendance and recordings are not taken",
			"occurrence", occID, "err", shortError(err))
		conf = &conference{}
	case err != nil:
		return err
	case conf == nil:
		return later(now.Add(g.cfg.MeetRetry))
	}
	if conf.held {
		if err := g.Meetings.RecordConferenceAttendance(ctx, occID, conf.minutes); err != nil {
			return err
		}
	}
	return g.finishMeet(ctx, st, o, conf, now)
}

// conference is what an occurrence's conference records say.
type conference struct {
	held    bool           // there was a conference at all
	minutes map[string]int // by address, those who joined
	links   []meetings.Recording
}

// readConference reads the conference records of a meeting code around an
// occurrence. It returns nil while a conference runs or its files are not
// yet written, unless final.
func (g *Source) readConference(ctx context.Context, cl *googleClient, o meetings.OccurrenceRef, code string, final bool) (*conference, error) {
	filter := fmt.Sprintf(`space.meeting_code = %q AND start_time >= %q AND start_time <= %q`, code,
		o.StartsAt.Add(-30*time.Minute).UTC().Format(time.RFC3339), o.EndsAt.UTC().Format(time.RFC3339))
	var records []*meet.ConferenceRecord
	err := g.call(ctx, cl, "conferenceRecords.list", func() error {
		records = nil
		return cl.meet.ConferenceRecords.List().Filter(filter).PageSize(25).Pages(ctx, func(p *meet.ListConferenceRecordsResponse) error {
			records = append(records, p.ConferenceRecords...)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := &conference{held: len(records) > 0, minutes: map[string]int{}}
	if len(records) == 0 {
		if final {
			return out, nil // nobody joined by Meet
		}
		return nil, nil
	}
	for _, r := range records {
		if r.EndTime == "" && !final {
			return nil, nil // still running
		}
	}
	// The files first: while Meet still writes them, nothing else is read.
	for _, r := range records {
		links, done, err := g.conferenceFiles(ctx, cl, r.Name)
		if err != nil {
			return nil, err
		}
		if !done && !final {
			return nil, nil
		}
		out.links = append(out.links, links...)
	}
	byAccount := map[string]time.Duration{}
	for _, r := range records {
		if err := g.participantTime(ctx, cl, r, byAccount); err != nil {
			return nil, err
		}
	}
	ids := make([]string, 0, len(byAccount))
	for id := range byAccount {
		ids = append(ids, id)
	}
	emails, err := g.accountEmails(ctx, cl, ids)
	if err != nil {
		return nil, err
	}
	for id, d := range byAccount {
		if e := emails[id]; e != "" {
			out.minutes[e] += int(math.Round(d.Minutes()))
		}
	}
	return out, nil
}

// conferenceFiles lists a conference's recordings and transcripts; done
// is false while Meet still writes one.
func (g *Source) conferenceFiles(ctx context.Context, cl *googleClient, record string) ([]meetings.Recording, bool, error) {
	var out []meetings.Recording
	done := true
	err := g.call(ctx, cl, "conferenceRecords.recordings.list", func() error {
		return cl.meet.ConferenceRecords.Recordings.List(record).Pages(ctx, func(p *meet.ListRecordingsResponse) error {
			for _, r := range p.Recordings {
				if r.State != "FILE_GENERATED" || r.DriveDestination == nil {
					done = false
					continue
				}
				u := r.DriveDestination.ExportUri
				if u == "" {
					u = "https://drive.google.com/file/d/" + r.DriveDestination.File + "/view"
				}
				out = append(out, meetings.Recording{Kind: meetings.KindRecording, URL: u})
			}
			return nil
		})
	})
	if err != nil {
		return nil, false, err
	}
	err = g.call(ctx, cl, "conferenceRecords.transcripts.list", func() error {
		return cl.meet.ConferenceRecords.Transcripts.List(record).Pages(ctx, func(p *meet.ListTranscriptsResponse) error {
			for _, t := range p.Transcripts {
				if t.State != "FILE_GENERATED" || t.DocsDestination == nil {
					done = false
					continue
				}
				u := t.DocsDestination.ExportUri
				if u == "" {
					u = docURL(t.DocsDestination.Document)
				}
				out = append(out, meetings.Recording{Kind: meetings.KindTranscript, URL: u})
			}
			return nil
		})
	})
	return out, done, err
}

// participantTime adds up the time each signed-in participant of a
// conference spent in it, from their sessions (one who left and came back
// has several), by account id.
func (g *Source) participantTime(ctx context.Context, cl *googleClient, r *meet.ConferenceRecord, by map[string]time.Duration) error {
	var ps []*meet.Participant
	err := g.call(ctx, cl, "conferenceRecords.participants.list", func() error {
		ps = nil
		return cl.meet.ConferenceRecords.Participants.List(r.Name).PageSize(250).Pages(ctx, func(p *meet.ListParticipantsResponse) error {
			ps = append(ps, p.Participants...)
			return nil
		})
	})
	if err != nil {
		return err
	}
	recordEnd, _ := time.Parse(time.RFC3339, r.EndTime)
	for _, p := range ps {
		if p.SignedinUser == nil || p.SignedinUser.User == "" {
			continue // anonymous or by phone: no one meetingd can name
		}
		id := strings.TrimPrefix(p.SignedinUser.User, "users/")
		err := g.call(ctx, cl, "participantSessions.list", func() error {
			var total time.Duration
			err := cl.meet.ConferenceRecords.Participants.ParticipantSessions.List(p.Name).PageSize(250).Pages(ctx,
				func(s *meet.ListParticipantSessionsResponse) error {
					for _, ss := range s.ParticipantSessions {
						start, err1 := time.Parse(time.RFC3339, ss.StartTime)
						end, err2 := time.Parse(time.RFC3339, ss.EndTime)
						if err2 != nil {
							end, err2 = recordEnd, nil // still in it when the record was read
						}
						if err1 == nil && err2 == nil && end.After(start) {
							total += end.Sub(start)
						}
					}
					return nil
				})
			if err == nil {
				by[id] += total
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// accountEmails maps Google account ids to addresses: those seen before
// from the store, the rest from the People API (the directory), 200 a call.
func (g *Source) accountEmails(ctx context.Context, cl *googleClient, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(`SELECT account_id, email FROM google_accounts WHERE account_id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID    string `db:"account_id"`
		Email string `db:"email"`
	}
	if err := g.DB.SelectContext(ctx, &rows, g.DB.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("google accounts: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Email
	}
	var missing []string
	for _, id := range ids {
		if out[id] == "" {
			missing = append(missing, "people/"+id)
		}
	}
	now := g.Clock.Now()
	for start := 0; start < len(missing); start += 200 {
		part := missing[start:min(start+200, len(missing))]
		found := map[string]string{}
		err := g.call(ctx, cl, "people.getBatchGet", func() error {
			res, err := cl.people.People.GetBatchGet().ResourceNames(part...).PersonFields("emailAddresses").
				Sources("READ_SOURCE_TYPE_PROFILE").Context(ctx).Do()
			if err != nil {
				return err
			}
			for _, r := range res.Responses {
				if r.Person == nil || len(r.Person.EmailAddresses) == 0 {
					continue
				}
				email := r.Person.EmailAddresses[0].Value
				for _, e := range r.Person.EmailAddresses {
					if e.Metadata != nil && e.Metadata.Primary {
						email = e.Value
					}
				}
				found[strings.TrimPrefix(r.RequestedResourceName, "people/")] = email
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for id, email := range found {
			out[id] = email
			_, err := g.DB.ExecContext(ctx, g.DB.Rebind(`INSERT INTO google_accounts (account_id, email, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (account_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at`), id, email, now)
			if err != nil {
				return nil, fmt.Errorf("store google account: %w", err)
			}
		}
	}
	return out, nil
}

// finishMeet links the conference's files (or tells the organizer of
// them), records the conference read, and lets the notes email go.
func (g *Source) finishMeet(ctx context.Context, st *docState, o meetings.OccurrenceRef, conf *conference, now time.Time) error {
	why, err := meetings.RecordingRefusal(ctx, g.DB, o.ID)
	if err != nil {
		return err
	}
	if why == "" && len(conf.links) > 0 {
		if err := g.Meetings.AddRecordings(ctx, o.ID, conf.links); err != nil {
			return err
		}
	}
	withheld := ""
	if why != "" {
		var urls []string
		for _, l := range conf.links {
			urls = append(urls, l.URL)
		}
		withheld = strings.Join(urls, "\n")
	}
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_meet (occurrence_id, read_at, withheld) VALUES (?, ?, ?)
			ON CONFLICT (occurrence_id) DO NOTHING`), o.ID, now, withheld)
		if err != nil {
			return fmt.Errorf("record conference of occurrence %d: %w", o.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 && withheld != "" {
			if err := g.tellOrganizer(ctx, tx, st.seriesID, mail.Message{Kind: MailRecordingWithheld,
				SubjectKey: jobs.Subject("occurrence:", o.ID)}); err != nil {
				return err
			}
		}
		return meetings.ReleaseNotes(ctx, tx, now, o.ID)
	})
	if err != nil {
		return err
	}
	g.wake()
	g.Log.InfoContext(ctx, "Google Meet conference read", "occurrence", o.ID, "joined", len(conf.minutes),
		"files", len(conf.links), "withheld", why)
	return nil
}

// composeRecordingWithheld writes a MailRecordingWithheld email as it is sent.
func (g *Source) composeRecordingWithheld(ctx context.Context, q db.Queryer, key string, to []mail.Item) (mail.Composed, error) {
	occID, err := jobs.SubjectID(key, "occurrence:")
	if err != nil {
		return mail.Composed{}, err
	}
	var withheld string
	err = q.GetContext(ctx, &withheld, q.Rebind(`SELECT withheld FROM google_meet WHERE occurrence_id = ?`), occID)
	if db.IsNoRows(err) || (err == nil && withheld == "") {
		return mail.DropAll(to, "no recording is held back"), nil
	}
	if err != nil {
		return mail.Composed{}, fmt.Errorf("conference of occurrence %d: %w", occID, err)
	}
	why, err := meetings.RecordingRefusal(ctx, q, occID)
	if err != nil {
		return mail.Composed{}, err
	}
	v, err := g.Meetings.View(ctx, people.Actor{Operator: true}, occID)
	if err != nil {
		return mail.Composed{}, err
	}
	if why == "" {
		why = "it was a 1:1 or private when it was held"
	}
	return mail.Composed{Data: RecordingWithheld{Title: v.Title, Start: v.StartsAt, Reason: why,
		Links: strings.Split(withheld, "\n")}}, nil
}
