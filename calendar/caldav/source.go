// Package caldav syncs calendars kept on CalDAV servers (RFC 4791):
// Fastmail, iCloud, Nextcloud, Radicale, and Outlook through a bridge. An
// operator names the server, a user and an app password; meetingd
// discovers the user's calendar, reads it incrementally (a sync-collection
// REPORT with a sync token, RFC 6578, where the server offers it; the
// collection's getctag and the objects' etags otherwise), and hands what
// changed to meetings as every other source does. It writes back to the
// series' master event the notes link (an ATTACH;VALUE=URI property and a
// line in its DESCRIPTION) and, by policy, ROLE=OPT-PARTICIPANT for its
// attendees; every write is conditional on the etag meetingd read, so an
// edit a user made meanwhile is read again, never overwritten.
package caldav

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/meetings"
)

// Kind is the calendar kind of CalDAV calendars.
const Kind = calendar.KindCalDAV

// Job kinds. Subjects: "caldav:<calendar id>", and "caldavseries:<series
// id>" for a write-back.
const (
	JobSync      = "caldav.sync"      // sync now: just added, or asked for
	JobPoll      = "caldav.poll"      // the periodic sync; variants a and b alternate
	JobWriteBack = "caldav.writeback" // write the notes link and the attendance policy into a series' master event
)

// expandEvery is how often recurring series are expanded again from the
// stored objects, so instances that entered the horizon become meetings.
const expandEvery = 24 * time.Hour

// writeTries bounds how often a write-back reads a changed object again
// and retries, within one run: each 412 means a user's edit just landed.
const writeTries = 3

// Config is how CalDAV calendars are synced.
type Config struct {
	// Key seals app passwords at rest (AES-GCM: 16, 24 or 32 bytes). Without
	// it CalDAV calendars can be neither added nor read.
	Key  []byte
	Poll time.Duration // how often, unless a calendar says otherwise; 10 minutes by default
	// HTTPClient talks to the servers; nil is one with a two-minute
	// timeout. Its redirects are never followed from https to http.
	HTTPClient *http.Client
}

// Source is the CalDAV calendar source.
type Source struct {
	DB       *db.DB
	Clock    clock.Clock
	Meetings *meetings.Service
	Log      *slog.Logger
	Feeds    *calendar.Feeds
	Health   *calendar.FeedHealth
	Wake     jobs.Waker // told when work falls due now; may be nil

	cfg    Config
	aead   cipher.AEAD
	client *http.Client
	locks  *jobs.Locks // one calendar's sync or write: one at a time, across replicas
}

// New checks cfg and returns the source; register its jobs on a worker.
func New(database *db.DB, c clock.Clock, m *meetings.Service, outbox *mail.Outbox, log *slog.Logger, cfg Config) (*Source, error) {
	aead, err := newAEAD(cfg.Key)
	if err != nil {
		return nil, err
	}
	if cfg.Poll <= 0 {
		cfg.Poll = calendar.DefaultSubscriptionConfig().Poll
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		client = &cp
	}
	client.CheckRedirect = noDowngrade
	return &Source{DB: database, Clock: c, Meetings: m, Log: log, Feeds: calendar.NewFeeds(database, c, m, log),
		Health: &calendar.FeedHealth{DB: database, Outbox: outbox, Log: log},
		cfg:    cfg, aead: aead, client: client, locks: jobs.NewLocks(database, c, log)}, nil
}

// noDowngrade refuses a redirect from https to http: the password would
// follow in the clear.
func noDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return errors.New("redirected from https to http")
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// Register installs the CalDAV jobs on w, and the failing-calendar email
// on the outbox.
func (s *Source) Register(w *jobs.Worker) {
	w.Handle(JobSync, s.runSync)
	w.Handle(JobPoll, s.runPoll)
	w.Handle(JobWriteBack, s.runWriteBack)
	s.Health.Register(s.Health.Outbox)
}

// Input is a CalDAV calendar as an operator gives it.
type Input struct {
	Name      string `json:"name"`
	ServerURL string `json:"server_url"`
	Username  string `json:"username"`
	Password  string `json:"password"`           // an app password
	Calendar  string `json:"calendar,omitempty"` // display name or path; "" if the user has one calendar
	// Every is how often it is polled; zero is the default.
	Every time.Duration `json:"-"`
}

// Calendar is a CalDAV calendar as operators see it (never its password).
type Calendar struct {
	ID           int64               `json:"id"`
	Kind         string              `json:"kind"`
	Name         string              `json:"name"`
	ServerURL    string              `json:"server_url"`
	Username     string              `json:"username"`
	Collection   string              `json:"collection"`
	SyncMode     string              `json:"sync_mode"` // sync-token or ctag
	PollInterval string              `json:"poll_interval"`
	Health       calendar.FeedStatus `json:"health"`
	CreatedAt    time.Time           `json:"created_at"`
}

// row is a CalDAV calendar as stored.
type row struct {
	CalendarID  int64      `db:"calendar_id"`
	Name        string     `db:"name"`
	ServerURL   string     `db:"server_url"`
	Username    string     `db:"username"`
	Password    string     `db:"password"`
	Collection  string     `db:"collection"`
	SyncMode    string     `db:"sync_mode"`
	CTag        string     `db:"ctag"`
	SyncToken   string     `db:"sync_token"`
	PollSeconds int64      `db:"poll_seconds"`
	ExpandedAt  *time.Time `db:"expanded_at"`
	StoppedAt   *time.Time `db:"sync_stopped_at"`
	CreatedAt   time.Time  `db:"created_at"`
}

func (r row) every() time.Duration { return time.Duration(r.PollSeconds) * time.Second }

const rowQuery = `SELECT d.calendar_id, c.name, d.server_url, d.username, d.password, d.collection, d.sync_mode, d.ctag,
	c.sync_token, d.poll_seconds, d.expanded_at, c.sync_stopped_at, d.created_at
	FROM caldav_calendars d JOIN calendars c ON c.id = d.calendar_id `

func (s *Source) row(ctx context.Context, q db.Queryer, id int64) (row, error) {
	var r row
	err := q.GetContext(ctx, &r, q.Rebind(rowQuery+`WHERE d.calendar_id = ?`), id)
	if db.IsNoRows(err) {
		return row{}, errs.Errorf(errs.NotFound, "no CalDAV calendar %d", id)
	}
	if err != nil {
		return row{}, fmt.Errorf("CalDAV calendar %d: %w", id, err)
	}
	return r, nil
}

// checkServer refuses a server address an app password must not be sent
// to: anything but https, except on this machine's loopback.
func checkServer(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", errs.Errorf(errs.Invalid, "server_url %q is not a URL such as https://caldav.fastmail.com/", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return "", errs.Errorf(errs.Invalid, "server_url %q is not https: the app password would cross the network in the clear", raw)
	}
	if u.User != nil {
		return "", errs.Errorf(errs.Invalid, "server_url holds a user name: give it as username, and the password as password")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Add discovers the user's calendar on the server and syncs it from now
// on. Adding a name that exists already replaces its server, user,
// password and interval (and restarts a removed one); its meetings carry
// on, and a calendar moved to another collection is read whole again.
func (s *Source) Add(ctx context.Context, in Input) (Calendar, error) {
	in.Name, in.Username = strings.TrimSpace(in.Name), strings.TrimSpace(in.Username)
	if err := calendar.CheckName(in.Name); err != nil {
		return Calendar{}, err
	}
	server, err := checkServer(in.ServerURL)
	if err != nil {
		return Calendar{}, err
	}
	switch {
	case in.Username == "":
		return Calendar{}, errs.Errorf(errs.Invalid, "username is required")
	case in.Password == "":
		return Calendar{}, errs.Errorf(errs.Invalid, "password is required: an app password made for meetingd")
	case s.aead == nil:
		return Calendar{}, errNoKey
	}
	if err := calendar.CheckEvery(in.Every); err != nil {
		return Calendar{}, err
	}
	every := in.Every
	if every == 0 {
		every = s.cfg.Poll
	}
	found, err := s.discover(ctx, server, in.Username, in.Password, in.Calendar)
	if err != nil {
		return Calendar{}, err
	}
	var id int64
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		if id, err = calendar.Ensure(ctx, tx, Kind, in.Name, now); err != nil {
			return err
		}
		sealed, err := s.seal(id, in.Password)
		if err != nil {
			return err
		}
		var prev []string
		err = tx.SelectContext(ctx, &prev, tx.Rebind(`SELECT collection FROM caldav_calendars WHERE calendar_id = ?`), id)
		if err != nil {
			return fmt.Errorf("CalDAV calendar %s: %w", in.Name, err)
		}
		if len(prev) == 1 && prev[0] != found.collection {
			// Another collection: its objects are not the old one's.
			if err := calendar.SetSyncToken(ctx, tx, id, ""); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM caldav_objects WHERE calendar_id = ?`), id); err != nil {
				return fmt.Errorf("forget objects of calendar %s: %w", in.Name, err)
			}
		}
		if err := calendar.SetSource(ctx, tx, id, found.collection); err != nil {
			return err
		}
		if err := calendar.Resume(ctx, tx, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO caldav_calendars (calendar_id, server_url, username, password, collection,
				poll_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (calendar_id) DO UPDATE SET server_url = excluded.server_url, username = excluded.username,
				password = excluded.password, poll_seconds = excluded.poll_seconds,
				ctag = CASE WHEN caldav_calendars.collection = excluded.collection THEN caldav_calendars.ctag ELSE '' END,
				sync_mode = CASE WHEN caldav_calendars.collection = excluded.collection THEN caldav_calendars.sync_mode ELSE 'sync-token' END,
				collection = excluded.collection`),
			id, server, in.Username, sealed, found.collection, int64(every/time.Second), now)
		if err != nil {
			return fmt.Errorf("store CalDAV calendar %s: %w", in.Name, err)
		}
		if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobSync, calSubject(id)); err != nil {
			return err
		}
		return s.armPoll(ctx, tx, id, now.Add(every))
	})
	if err != nil {
		return Calendar{}, err
	}
	s.wake()
	s.Log.InfoContext(ctx, "CalDAV calendar added", "calendar", in.Name, "collection", found.collection, "user", in.Username, "every", every)
	return s.Get(ctx, id)
}

// Get reads CalDAV calendar id.
func (s *Source) Get(ctx context.Context, id int64) (Calendar, error) {
	r, err := s.row(ctx, s.DB, id)
	if err != nil {
		return Calendar{}, err
	}
	return s.view(ctx, r)
}

// ByName finds the CalDAV calendar named name.
func (s *Source) ByName(ctx context.Context, name string) (Calendar, error) {
	var r row
	err := s.DB.GetContext(ctx, &r, s.DB.Rebind(rowQuery+`WHERE c.kind = ? AND c.name = ?`), Kind, name)
	if db.IsNoRows(err) {
		return Calendar{}, errs.Errorf(errs.NotFound, "no CalDAV calendar named %q", name)
	}
	if err != nil {
		return Calendar{}, fmt.Errorf("CalDAV calendar %s: %w", name, err)
	}
	return s.view(ctx, r)
}

// List lists the CalDAV calendars by name.
func (s *Source) List(ctx context.Context) ([]Calendar, error) {
	var rows []row
	if err := s.DB.SelectContext(ctx, &rows, rowQuery+`ORDER BY c.name`); err != nil {
		return nil, fmt.Errorf("CalDAV calendars: %w", err)
	}
	out := make([]Calendar, 0, len(rows))
	for _, r := range rows {
		v, err := s.view(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Source) view(ctx context.Context, r row) (Calendar, error) {
	st, err := calendar.FeedStatusOf(ctx, s.DB, r.CalendarID)
	if err != nil {
		return Calendar{}, err
	}
	return Calendar{ID: r.CalendarID, Kind: Kind, Name: r.Name, ServerURL: r.ServerURL, Username: r.Username,
		Collection: r.Collection, SyncMode: r.SyncMode, PollInterval: r.every().String(), Health: st, CreatedAt: r.CreatedAt}, nil
}

// Remove stops syncing CalDAV calendar id and forgets its password and
// objects. Its meetings stay as they are.
func (s *Source) Remove(ctx context.Context, id int64) error {
	c, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		if _, err := calendar.Stop(ctx, tx, id, "removed by an operator", now); err != nil {
			return err
		}
		for _, t := range []string{"caldav_objects", "caldav_calendars", "feed_health"} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM `+t+` WHERE calendar_id = ?`), id); err != nil {
				return fmt.Errorf("remove CalDAV calendar %d: %w", id, err)
			}
		}
		return jobs.Cancel(ctx, tx, now, calSubject(id))
	})
	if err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "CalDAV calendar removed", "calendar", c.Name)
	return nil
}

// SyncNow makes CalDAV calendar id sync at once.
func (s *Source) SyncNow(ctx context.Context, id int64) error {
	if _, err := s.row(ctx, s.DB, id); err != nil {
		return err
	}
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		return jobs.Rearm(ctx, tx, s.Clock.Now(), jobs.Bulk, JobSync, calSubject(id))
	})
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

func (s *Source) runSync(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "caldav:")
	if err != nil {
		return err
	}
	_, err = s.Sync(ctx, id)
	return err
}

func (s *Source) runPoll(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "caldav:")
	if err != nil {
		return err
	}
	r, err := s.row(ctx, s.DB, id)
	if errs.Code(err) == errs.NotFound {
		return nil // removed: polling ends
	}
	if err != nil {
		return err
	}
	// The next poll first, so polling goes on whatever happens to this
	// one; it is put off if the server fails.
	next := JobPoll + "@b"
	if j.Variant() == "b" {
		next = JobPoll + "@a"
	}
	now := s.Clock.Now()
	due := now.Add(r.every())
	if err := jobs.ScheduleIn(ctx, s.DB, now, jobs.Bulk, next, j.Subject, due); err != nil {
		return err
	}
	out, err := s.Sync(ctx, id)
	if err != nil {
		return err
	}
	if !out.Next.IsZero() {
		due = out.Next
	}
	return db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		if err := jobs.ScheduleIn(ctx, tx, now, jobs.Bulk, next, j.Subject, due); err != nil {
			return err
		}
		return s.Health.Scheduled(ctx, tx, id, due)
	})
}

// armPoll starts the calendar's periodic polling unless it is armed.
func (s *Source) armPoll(ctx context.Context, q db.Queryer, id int64, due time.Time) error {
	armed, err := jobs.Armed(ctx, q, calSubject(id), JobPoll+"@a", JobPoll+"@b")
	if err != nil || armed {
		return err
	}
	if err := jobs.ScheduleIn(ctx, q, s.Clock.Now(), jobs.Bulk, JobPoll+"@a", calSubject(id), due); err != nil {
		return err
	}
	return s.Health.Scheduled(ctx, q, id, due)
}

// hold takes the calendar's lock, across replicas; work that finds it
// taken runs again shortly.
func (s *Source) hold(ctx context.Context, id int64) (func(), error) {
	unlock, ok, err := s.locks.TryLock(ctx, calSubject(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("CalDAV calendar %d is being worked on elsewhere: %w", id, jobs.ErrLater)
	}
	return unlock, nil
}

func (s *Source) wake() {
	if s.Wake != nil {
		s.Wake.Wake()
	}
}

func calSubject(id int64) string    { return jobs.Subject("caldav:", id) }
func seriesSubject(id int64) string { return jobs.Subject("caldavseries:", id) }
