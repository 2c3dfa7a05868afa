package google

import (
	"context"
	"crypto/cipher"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"meetingd/calendar"
	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/meetings"
)

// Kind is the calendar kind of Google calendars, and the notes doc kind
// of Google Docs.
const Kind = calendar.KindGoogle

// Paths on meetingd that Google calls: the push webhook, and where the
// OAuth consent returns.
const (
	NotifyPath   = "/google/notify"
	CallbackPath = "/google/oauth/callback"
)

// Job kinds of the Google source. Subjects: "gcal:<calendar id>",
// "gchannel:<channel id>", "gseries:<series id>", "goccurrence:<occurrence
// id>", "gdecision:<row id>".
const (
	JobSync      = "google.sync"      // sync a calendar now (push, start, resume)
	JobPoll      = "google.poll"      // the periodic sync; variants a and b alternate
	JobRenew     = "google.renew"     // renew a push channel before it expires
	JobDoc       = "google.doc"       // make a series' doc, mirror it both ways, share and attach it
	JobSection   = "google.section"   // an occurrence's section falls due
	JobPreRead   = "google.preread"   // read an occurrence's Pre-read back
	JobDecision  = "google.decision"  // write a closed decision into a doc
	JobDrive     = "google.drive"     // read the calendar owner's Drive changes: which docs were edited
	JobDrivePoll = "google.drivepoll" // read them periodically; variants a and b alternate
	JobRetire    = "google.retire"    // stop the channels of a calendar no longer configured
	JobMeet      = "google.meet"      // read an ended meeting's Meet conference; variants a and b
)

// Calendar is a calendar to watch.
type Calendar struct {
	ID string // the Google calendar id, often the owner's address
	// Subject is the user a service account impersonates to read it; ""
	// means ID. Unused with OAuth user consent.
	Subject string
}

func (c Calendar) subject() string {
	if c.Subject != "" {
		return c.Subject
	}
	return c.ID
}

// Config is how the Google source is set up.
type Config struct {
	Calendars []Calendar
	// ServiceAccount is a service account's JSON key with domain-wide
	// delegation; OAuthClient an OAuth client's JSON ("web"), whose users
	// consent through ConnectURL. Exactly one is set.
	ServiceAccount []byte
	OAuthClient    []byte
	// TokenKey seals OAuth tokens at rest (AES-GCM; 16, 24 or 32 bytes).
	TokenKey []byte
	// Endpoint replaces Google's base URLs (tests, proxies): Calendar is
	// served under Endpoint+"calendar/v3/", Drive under "drive/v3/", Docs
	// under "v1/", OAuth at "token" and "o/oauth2/auth". "" is Google.
	Endpoint string
	// TemplateDoc is the Drive id of the notes template, whose
	// {{title}}, {{organizer}}, {{attendees}} and {{recurrence}} are filled
	// in; "" creates blank docs.
	TemplateDoc string
	ShareRole   string // what attendees may do in the doc: writer or commenter
	// SendUpdates is whom Google tells when meetingd cancels the call of a
	// meeting held async: all, externalOnly or none.
	SendUpdates string
	BaseURL     string // this service's public URL: OAuth redirect, links in docs
	// WebhookURL receives push notifications; "" means no public URL, so
	// calendars are polled every Poll instead.
	WebhookURL string
	Poll       time.Duration // without push
	SafetyPoll time.Duration // with push: a safety net for lost notifications
	// Past and Horizon bound recurring series' expansion around now.
	Past, Horizon time.Duration
	// SectionAhead is how long before an occurrence its dated section is
	// added to the doc (so the doc's top is the next meeting, not one
	// months away).
	SectionAhead time.Duration
	ChannelTTL   time.Duration // asked of Google for each push channel
	RenewBefore  time.Duration // channels are renewed this long before they expire
	// PreReadCheckAhead is how long before each reminder and the deadline
	// the Pre-read section is read back.
	PreReadCheckAhead time.Duration
	// DocPoll is how often, without push, the calendar owners' Drive
	// changes are read, so an edit in a notes doc reaches meetingd within it.
	DocPoll time.Duration
	// ShareTries is how often a share that fails is tried before the
	// organizer is told; ShareRetry the first wait between tries (each next
	// one is four times as long).
	ShareTries int
	ShareRetry time.Duration
	// Meet reads Google Meet conference records: attendance, recordings,
	// transcripts. It needs the scopes MeetScopes lists granted (consent or
	// domain-wide delegation), so it is off unless set.
	Meet bool
	// MeetDelay is how long after an occurrence's end its conference is
	// first read; MeetWait how long after its end the notes email waits
	// at most for recordings and transcripts; MeetRetry the wait between
	// reads until they are written.
	MeetDelay, MeetWait, MeetRetry time.Duration
	Retry                          Retry
	// HTTPClient makes API and token requests; nil is http.DefaultClient.
	HTTPClient *http.Client
}

// DefaultConfig has the defaults; Calendars and credentials are the
// operator's.
func DefaultConfig() Config {
	return Config{ShareRole: "writer", SendUpdates: "all", Poll: 5 * time.Minute, SafetyPoll: 6 * time.Hour,
		Past: 30 * 24 * time.Hour, Horizon: 180 * 24 * time.Hour, SectionAhead: 14 * 24 * time.Hour,
		ChannelTTL: 7 * 24 * time.Hour, RenewBefore: 6 * time.Hour, PreReadCheckAhead: 5 * time.Minute,
		DocPoll: time.Minute, ShareTries: 4, ShareRetry: 5 * time.Minute,
		MeetDelay: 5 * time.Minute, MeetWait: 2 * time.Hour, MeetRetry: 15 * time.Minute,
		Retry: DefaultRetry()}
}

// Google is the Google Workspace calendar source: it syncs calendars into
// meetings, keeps one Google Doc per series, and writes back to Google
// (attachments, optional attendance, sections, decisions) from jobs, never
// inside a database transaction.
type Source struct {
	DB       *db.DB
	Clock    clock.Clock
	Meetings *meetings.Service
	Outbox   *mail.Outbox
	Log      *slog.Logger
	Wake     jobs.Waker // told when work falls due now; may be nil

	cfg   Config
	oauth *oauth2.Config
	jwt   *jwt.Config
	aead  cipher.AEAD

	mu      sync.Mutex
	clients map[int64]*googleClient
	locks   *jobs.Locks // one calendar's sync, one series' doc: one replica at a time
}

// New checks cfg and returns the source. Register its jobs on a
// worker, its routes on the muxes, and call Start.
func New(database *db.DB, c clock.Clock, m *meetings.Service, outbox *mail.Outbox, log *slog.Logger, cfg Config) (*Source, error) {
	g := &Source{DB: database, Clock: c, Meetings: m, Outbox: outbox, Log: log, cfg: cfg,
		clients: map[int64]*googleClient{}, locks: jobs.NewLocks(database, c, log)}
	if err := g.checkConfig(); err != nil {
		return nil, err
	}
	if err := g.loadCredentials(); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *Source) checkConfig() error {
	cfg := &g.cfg
	if len(cfg.Calendars) == 0 {
		return fmt.Errorf("google: no calendars to watch")
	}
	seen := map[string]bool{}
	for _, c := range cfg.Calendars {
		if c.ID == "" || seen[c.ID] {
			return fmt.Errorf("google: calendar id %q is empty or repeated", c.ID)
		}
		seen[c.ID] = true
	}
	if cfg.SendUpdates != "all" && cfg.SendUpdates != "externalOnly" && cfg.SendUpdates != "none" {
		return fmt.Errorf("google: sendUpdates %q is not all, externalOnly or none", cfg.SendUpdates)
	}
	if cfg.ShareRole != "writer" && cfg.ShareRole != "commenter" {
		return fmt.Errorf("google: share role %q is not writer or commenter", cfg.ShareRole)
	}
	if cfg.Endpoint != "" && !strings.HasSuffix(cfg.Endpoint, "/") {
		cfg.Endpoint += "/"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	for name, d := range map[string]time.Duration{"poll": cfg.Poll, "safety poll": cfg.SafetyPoll,
		"horizon": cfg.Horizon, "channel ttl": cfg.ChannelTTL} {
		if d <= 0 {
			return fmt.Errorf("google: %s must be positive", name)
		}
	}
	// Settings added after a Config was first written default rather than
	// refuse: a caller's older Config keeps working.
	def := DefaultConfig()
	for _, d := range []struct{ v, def *time.Duration }{{&cfg.DocPoll, &def.DocPoll}, {&cfg.ShareRetry, &def.ShareRetry},
		{&cfg.MeetDelay, &def.MeetDelay}, {&cfg.MeetWait, &def.MeetWait}, {&cfg.MeetRetry, &def.MeetRetry}} {
		if *d.v <= 0 {
			*d.v = *d.def
		}
	}
	if cfg.ShareTries < 1 {
		cfg.ShareTries = def.ShareTries
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	retry := DefaultRetry()
	if cfg.Retry.Tries < 1 {
		cfg.Retry.Tries = retry.Tries
	}
	if cfg.Retry.Base <= 0 || cfg.Retry.Max <= 0 {
		cfg.Retry.Base, cfg.Retry.Max = retry.Base, retry.Max
	}
	if cfg.Retry.Sleep == nil {
		cfg.Retry.Sleep = retry.Sleep
	}
	return nil
}

// Register installs the Google jobs' handlers on w.
func (g *Source) Register(w *jobs.Worker) {
	w.Handle(JobSync, g.runSync)
	w.Handle(JobPoll, g.runPoll)
	w.Handle(JobRenew, g.runRenew)
	w.Handle(JobDoc, g.runDoc)
	w.Handle(JobSection, g.runSection)
	w.Handle(JobPreRead, g.runPreRead)
	w.Handle(JobDecision, g.runDecision)
	w.Handle(JobDrive, g.runDrive)
	w.Handle(JobDrivePoll, g.runDrivePoll)
	w.Handle(JobRetire, g.runRetire)
	w.Handle(JobMeet, g.runMeet)
	w.Subscribe(decisions.EventFinished, g.decisionFinished)
	w.Subscribe(meetings.EventOccurrenceChanged, g.occurrenceChanged)
	for _, kind := range []string{MailStopped, MailShareFailed, MailRecordingWithheld} {
		g.Outbox.Register(kind, g)
	}
}

// Start records the configured calendars and makes each one's first sync
// due now, and its polling armed at this configuration's intervals. The
// configuration may have changed since the last start: the sync stops
// channels that push no longer wants, and calendars no longer configured
// have theirs stopped (their meetings stay as they are).
func (g *Source) Start(ctx context.Context) error {
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		now := g.Clock.Now()
		if err := g.retireRemoved(ctx, tx, now); err != nil {
			return err
		}
		for _, c := range g.cfg.Calendars {
			id, err := calendar.Ensure(ctx, tx, Kind, c.ID, now)
			if err != nil {
				return err
			}
			if err := calendar.SetSource(ctx, tx, id, c.ID); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_calendars (calendar_id) VALUES (?)
				ON CONFLICT (calendar_id) DO NOTHING`), id)
			if err != nil {
				return fmt.Errorf("calendar %s: %w", c.ID, err)
			}
			if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobSync, calSubject(id)); err != nil {
				return err
			}
			if err := g.rearmPolls(ctx, tx, now, id); err != nil {
				return err
			}
		}
		g.wake()
		return nil
	})
}

func (g *Source) wake() {
	if g.Wake != nil {
		g.Wake.Wake()
	}
}

// hold takes the lock on what subject names, across every replica (and
// every runner of this one). Work that finds it taken runs again shortly.
func (g *Source) hold(ctx context.Context, subject string) (unlock func(), err error) {
	unlock, ok, err := g.locks.TryLock(ctx, subject)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s is being worked on elsewhere: %w", subject, jobs.ErrLater)
	}
	return unlock, nil
}

// calendarConfig is the configured entry for a Google calendar id.
func (g *Source) calendarConfig(googleID string) (Calendar, bool) {
	for _, c := range g.cfg.Calendars {
		if c.ID == googleID {
			return c, true
		}
	}
	return Calendar{}, false
}

// watched reports whether the calendar is still configured: one dropped
// from the configuration keeps its data but is no longer synced.
func (g *Source) watched(cal calRow) bool {
	_, ok := g.calendarConfig(cal.GoogleID)
	return ok
}

func calSubject(id int64) string      { return jobs.Subject("gcal:", id) }
func seriesSubject(id int64) string   { return jobs.Subject("gseries:", id) }
func occSubject(id int64) string      { return jobs.Subject("goccurrence:", id) }
func channelSubject(id string) string { return "gchannel:" + id }
