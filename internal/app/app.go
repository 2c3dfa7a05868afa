// Package app builds meetingd: it opens the database and wires every
// package together, once, for `meetingd serve`, each CLI command, the demo,
// and every test that needs the whole service.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar"
	"meetingd/calendar/caldav"
	"meetingd/calendar/google"
	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/limits"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/internal/metrics"
	"meetingd/internal/people"
	"meetingd/internal/web"
	"meetingd/meetings"
	"meetingd/templates"
)

// Config is everything an operator sets.
type Config struct {
	DB                string // the SQLite file
	SMTP              string // smtp:// or smtps:// URL; "" keeps mail in the outbox
	From              string
	BaseURL           string // public URL, for links in emails
	TemplatesDir      string // an edited copy of templates/; "" for the embedded ones
	Operators         []string
	KeepOperators     bool   // leave the stored operators as they are (CLI commands not given --operators)
	TimeZone          string // of people without their own; "" leaves the stored default (UTC if none)
	Lead              time.Duration
	Reminders         []time.Duration
	OptionalByDefault bool
	OfferAsync        bool // the missing-pre-read email offers holding the meeting async
	AutoAsync         bool // a meeting whose pre-read is missing at the deadline is held async
	Window            time.Duration
	MaxExtensions     int
	OIDC              people.OIDCConfig // sign-in with Google; off without a ClientID
	Google            *google.Config    // nil: Google Workspace is off
	// Subscriptions is how ICS subscriptions are polled, CalDAV how CalDAV
	// calendars are; without CalDAV.Key none can be added.
	Subscriptions calendar.SubscriptionConfig
	CalDAV        caldav.Config
	// WriteWait is how long a request waits for its turn to write before
	// it is answered 503 (busy, try again).
	WriteWait time.Duration
	// MaxInFlight bounds the requests worked on at once; 0 is 8 per CPU.
	MaxInFlight int
	// Org is who may be invited and emailed (--domains); MaxInvitees the
	// people one decision or event may name; MaxWindow the longest window.
	Org         people.Org
	MaxInvitees int
	MaxWindow   time.Duration
	Limits      Limits
	// MetricsToken, when set, is what /metrics requires.
	MetricsToken string
	// Transport replaces the one SMTP chooses: the demo shows mail as it
	// leaves, the crash test dies mid-send.
	Transport mail.Transport
}

// Limits are the rate limits (zero rules limit nothing).
type Limits struct {
	Contributions, Decisions limits.Rule // per person; operators are exempt
	SignInAddress, SignInIP  limits.Rule
}

// Defaults is SPEC.md's configuration for the embedded default.
func Defaults() Config {
	m, d := meetings.DefaultConfig(), decisions.DefaultConfig()
	return Config{DB: "meetingd.db", From: "meetingd <meetingd@localhost>", BaseURL: "http://localhost:8080",
		Lead: m.Lead, Reminders: m.Reminders, OptionalByDefault: m.OptionalByDefault,
		Window: d.Window, MaxExtensions: d.MaxExtensions, WriteWait: 3 * time.Second,
		OIDC:          people.OIDCConfig{Issuer: "https://accounts.google.com"},
		Subscriptions: calendar.DefaultSubscriptionConfig(), CalDAV: caldav.Config{Poll: calendar.DefaultSubscriptionConfig().Poll},
		MaxInvitees: d.MaxInvitees, MaxWindow: d.MaxWindow,
		Limits: Limits{Contributions: d.ContribLimit, Decisions: d.CreateLimit,
			SignInAddress: people.DefaultSignInLimits[0], SignInIP: people.DefaultSignInLimits[1]}}
}

// App is meetingd wired together.
type App struct {
	Cfg       Config
	DB        *db.DB
	Clock     clock.Clock
	Log       *slog.Logger
	Templates *templates.Set
	Outbox    *mail.Outbox
	Worker    *jobs.Worker
	Deliverer *mail.Deliverer
	Metrics   *metrics.Metrics
	SignIn    *people.SignIn
	Decisions *decisions.Service
	Meetings  *meetings.Service
	Calendar  *calendar.Local
	Feed      *calendar.Feed
	Google    *google.Source // nil unless Config.Google is set
	// Subscriptions and CalDAV are the polled calendars.
	Subscriptions *calendar.Subscriptions
	CalDAV        *caldav.Source

	web *web.Server
}

// New opens the database (migrating it) and wires every part on clock c.
func New(ctx context.Context, cfg Config, c clock.Clock, log *slog.Logger) (*App, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	tpl, err := templates.Load(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	transport := cfg.Transport
	if transport == nil {
		if transport, err = newTransport(cfg, base.Hostname()); err != nil {
			return nil, err
		}
	}
	database, err := db.Open(ctx, cfg.DB, log)
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, DB: database, Clock: c, Log: log, Templates: tpl}
	if err := a.wire(ctx, transport); err != nil {
		database.Close()
		return nil, err
	}
	return a, nil
}

func newTransport(cfg Config, domain string) (mail.Transport, error) {
	if cfg.SMTP == "" {
		return mail.LocalTransport{}, nil
	}
	return mail.NewSMTPTransport(cfg.SMTP, cfg.From, domain)
}

// wire builds the services, lowest first, and registers their jobs.
func (a *App) wire(ctx context.Context, transport mail.Transport) error {
	cfg, c, log := a.Cfg, a.Clock, a.Log
	key, err := links.LoadKey(ctx, a.DB)
	if err != nil {
		return err
	}
	signer, err := links.NewSigner(key)
	if err != nil {
		return err
	}
	if !cfg.KeepOperators {
		err = db.InTx(ctx, a.DB, func(tx *sqlx.Tx) error { return people.SetOperators(ctx, tx, cfg.Operators, c.Now()) })
		if err != nil {
			return err
		}
	}
	if cfg.TimeZone != "" {
		if err := people.SetDefaultZone(ctx, a.DB, cfg.TimeZone); err != nil {
			return err
		}
	}
	a.Worker = jobs.NewWorker(a.DB, c, log)
	a.Outbox = &mail.Outbox{Templates: a.Templates, Clock: c, BaseURL: cfg.BaseURL, Log: log, People: people.Directory{Org: cfg.Org}}
	a.Deliverer = &mail.Deliverer{DB: a.DB, Outbox: a.Outbox, Transport: transport, MaxAttempts: a.Worker.MaxAttempts}
	a.SignIn = &people.SignIn{DB: a.DB, Clock: c, Links: signer, Outbox: a.Outbox, BaseURL: cfg.BaseURL, Log: log, Wake: a.Worker,
		AddressLimit: cfg.Limits.SignInAddress, ClientLimit: cfg.Limits.SignInIP}
	a.Outbox.Register(people.MailSignIn, a.SignIn)

	dcfg := decisions.DefaultConfig()
	dcfg.Window, dcfg.MaxExtensions, dcfg.BaseURL = cfg.Window, cfg.MaxExtensions, cfg.BaseURL
	dcfg.MaxWindow, dcfg.MaxInvitees, dcfg.Org = cfg.MaxWindow, cfg.MaxInvitees, cfg.Org
	dcfg.CreateLimit, dcfg.ContribLimit = cfg.Limits.Decisions, cfg.Limits.Contributions
	a.Decisions = &decisions.Service{DB: a.DB, Clock: c, Cfg: dcfg, Outbox: a.Outbox, Links: signer, Log: log, Wake: a.Worker}

	mcfg := meetings.DefaultConfig()
	mcfg.Lead, mcfg.Reminders, mcfg.OptionalByDefault, mcfg.BaseURL = cfg.Lead, cfg.Reminders, cfg.OptionalByDefault, cfg.BaseURL
	mcfg.OfferAsync, mcfg.AutoAsync = cfg.OfferAsync, cfg.AutoAsync
	a.Meetings = &meetings.Service{DB: a.DB, Clock: c, Cfg: mcfg, Outbox: a.Outbox, Links: signer, Templates: a.Templates,
		Log: log, Decisions: a.Decisions, Wake: a.Worker}

	a.Calendar = calendar.NewLocal(a.DB, c, a.Meetings, log)
	a.Calendar.Wake = a.Worker
	a.Calendar.MaxAttendees, a.Calendar.Org = cfg.MaxInvitees, cfg.Org
	a.Feed = &calendar.Feed{DB: a.DB, Clock: c, Meetings: a.Meetings, Decisions: a.Decisions, BaseURL: cfg.BaseURL}
	a.Metrics = metrics.New(a.Decisions)
	a.Worker.Observer, a.Deliverer.Observer = a.Metrics, a.Metrics

	a.Deliverer.Register(a.Worker)
	a.Decisions.Register(a.Worker)
	a.Meetings.Register(a.Worker)
	if err := a.Calendar.Register(ctx, a.Worker); err != nil {
		return err
	}
	if err := a.startPolled(); err != nil {
		return err
	}
	return a.startGoogle(ctx)
}

// startPolled builds the polled calendars (ICS subscriptions and CalDAV)
// and registers their jobs. Each calendar's polling lives in its job rows,
// armed when it is added, so a restart carries on where it left off.
func (a *App) startPolled() error {
	dav, err := caldav.New(a.DB, a.Clock, a.Meetings, a.Outbox, a.Log, a.Cfg.CalDAV)
	if err != nil {
		return err
	}
	subs := calendar.NewSubscriptions(a.DB, a.Clock, a.Meetings, a.Outbox, a.Log, a.Cfg.Subscriptions)
	subs.Wake, dav.Wake = a.Worker, a.Worker
	subs.Register(a.Worker)
	dav.Register(a.Worker)
	a.Subscriptions, a.CalDAV = subs, dav
	return nil
}

// startGoogle builds the Google source, registers its jobs and starts it.
func (a *App) startGoogle(ctx context.Context) error {
	if a.Cfg.Google == nil {
		return nil
	}
	g, err := google.New(a.DB, a.Clock, a.Meetings, a.Outbox, a.Log, *a.Cfg.Google)
	if err != nil {
		return err
	}
	g.Wake = a.Worker
	g.Register(a.Worker)
	if err := g.Start(ctx); err != nil {
		return err
	}
	a.Google = g
	a.Log.Info("Google Workspace on", "calendars", len(a.Cfg.Google.Calendars), "push", a.Cfg.Google.WebhookURL != "")
	return nil
}

// Handler is the whole HTTP surface, built on first use: with sign-in with
// Google configured, building it asks the issuer for its keys, which the
// CLI's commands need not wait for.
func (a *App) Handler(ctx context.Context) *web.Server {
	if a.web != nil {
		return a.web
	}
	s := &web.Server{DB: a.DB, Clock: a.Clock, Log: a.Log, Templates: a.Templates, BaseURL: a.Cfg.BaseURL,
		SignIn: a.SignIn, Meetings: a.Meetings, Decisions: a.Decisions, Calendar: a.Calendar, Feed: a.Feed,
		Google: a.Google, Subscriptions: a.Subscriptions, CalDAV: a.CalDAV, Metrics: a.Metrics, Outbox: a.Outbox, WriteWait: a.Cfg.WriteWait,
		MaxInFlight: a.Cfg.MaxInFlight, MetricsToken: a.Cfg.MetricsToken}
	if o := a.Cfg.OIDC; o.ClientID != "" {
		o.RedirectURL = a.Cfg.BaseURL + "/signin/google/callback"
		// If Google cannot be reached at start, sign-in by email still
		// works, and the log says why Google's is off.
		if err := s.EnableOIDC(ctx, o, nil); err != nil {
			a.Log.Error("sign-in with Google is off", "err", err)
		} else {
			a.Log.InfoContext(ctx, "sign-in with Google on", "issuer", o.Issuer, "client_id", o.ClientID,
				"hosted_domain", o.HostedDomain, "redirect_url", o.RedirectURL)
		}
	}
	s.Handle()
	a.web = s
	return s
}

// Serve makes this process a worker of the database. On SQLite it takes
// the lock that keeps a second server off the same file and, being the
// only worker, takes back at once what a stopped predecessor held. On
// PostgreSQL any number of replicas serve together: a dead one's claims
// come due as their 15-second leases lapse. Call release when the worker
// stops.
func (a *App) Serve(ctx context.Context) (release func(), err error) {
	if a.DB.Postgres() {
		return func() {}, a.Worker.Recover(ctx, false)
	}
	release, err = db.LockFile(a.Cfg.DB + ".lock")
	if errors.Is(err, db.ErrLocked) {
		return nil, fmt.Errorf("another meetingd is serving %s", a.Cfg.DB)
	}
	if err != nil {
		return nil, err
	}
	if err := a.Worker.Recover(ctx, true); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }
