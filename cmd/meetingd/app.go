package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar"
	"meetingd/calendar/google"
	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/httpx"
	"meetingd/internal/jobs"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/internal/metrics"
	"meetingd/meetings"
	"meetingd/templates"
)

// app is meetingd wired together.
type app struct {
	cfg       config
	db        *sqlx.DB
	clock     clock.Clock
	log       *slog.Logger
	meetings  *meetings.Service
	decisions *decisions.Service
	calendar  *calendar.Local
	worker    *jobs.Worker
	deliverer *mail.Deliverer
	metrics   *metrics.Metrics
	google    *google.Source // nil unless --google-calendars is set
}

// newApp opens the database (migrating it) and wires every part.
func newApp(ctx context.Context, cfg config, c clock.Clock, log *slog.Logger) (*app, error) {
	if cfg.Lead < 24*time.Hour {
		return nil, fmt.Errorf("--lead %s is below the minimum of 24h", cfg.Lead)
	}
	if cfg.Window < 24*time.Hour {
		return nil, fmt.Errorf("--window %s is below the minimum of 24h", cfg.Window)
	}
	if cfg.MaxExtensions < 0 {
		return nil, fmt.Errorf("--max-extensions %d is negative", cfg.MaxExtensions)
	}
	reminders, err := cfg.reminders()
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("--base-url %q is not an http(s) URL", cfg.BaseURL)
	}
	if err := cfg.checkOIDC(); err != nil {
		return nil, err
	}
	tpl, err := templates.Load(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	var transport mail.Transport = mail.LocalTransport{}
	if cfg.SMTP != "" {
		if transport, err = mail.NewSMTPTransport(cfg.SMTP, cfg.From, base.Hostname()); err != nil {
			return nil, err
		}
	}
	database, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	key, err := links.LoadKey(ctx, database)
	if err != nil {
		database.Close()
		return nil, err
	}
	signer, err := links.NewSigner(key)
	if err != nil {
		database.Close()
		return nil, err
	}
	if err := markOperators(ctx, database, cfg.operators(), c.Now()); err != nil {
		database.Close()
		return nil, err
	}
	mcfg := meetings.DefaultConfig()
	mcfg.Lead, mcfg.Reminders, mcfg.OptionalByDefault, mcfg.BaseURL = cfg.Lead, reminders, cfg.OptionalByDefault, cfg.BaseURL
	outbox := &mail.Outbox{Templates: tpl, Clock: c, BaseURL: cfg.BaseURL, Log: log}
	a := &app{cfg: cfg, db: database, clock: c, log: log}
	a.worker = jobs.NewWorker(database, c, log)
	a.meetings = &meetings.Service{DB: database, Clock: c, Cfg: mcfg, Outbox: outbox, Links: signer,
		Templates: tpl, Log: log, Wake: a.worker.Wake}
	dcfg := decisions.DefaultConfig()
	dcfg.Window, dcfg.MaxExtensions, dcfg.BaseURL = cfg.Window, cfg.MaxExtensions, cfg.BaseURL
	a.decisions = &decisions.Service{DB: database, Clock: c, Cfg: dcfg, Outbox: outbox, Links: signer,
		Meetings: a.meetings, Log: log, Wake: a.worker.Wake}
	a.meetings.OnNotesShared = a.decisions.FromNotes
	a.meetings.DecisionsOf = a.decisions.OfMeeting
	a.calendar = calendar.NewLocal(database, c, a.meetings, log)
	a.calendar.BaseURL = cfg.BaseURL
	a.decisions.FeedURL = func(ctx context.Context, id int64) (string, error) { return a.calendar.FeedURL(ctx, id, false) }
	a.deliverer = &mail.Deliverer{DB: database, Outbox: outbox, Transport: transport, MaxAttempts: a.worker.MaxAttempts}
	a.metrics = metrics.New(database)
	a.worker.OnResult = func(j jobs.Job, err error) { a.metrics.Job(j.Kind, err) }
	a.deliverer.OnSent = func(it mail.Item, transport string) { a.metrics.Email(it.Kind, transport) }
	a.meetings.Register(a.worker)
	a.decisions.Register(a.worker)
	a.deliverer.Register(a.worker)
	if err := a.calendar.Register(ctx, a.worker); err != nil {
		database.Close()
		return nil, err
	}
	if a.google, err = a.newGoogle(ctx); err != nil {
		database.Close()
		return nil, err
	}
	if a.google != nil {
		// A closed decision is written into the Google Doc in the same
		// transaction that closes it: queued, then done by a job.
		a.decisions.OnFinish = func(ctx context.Context, q db.Queryer, occID int64, line string) error {
			return a.google.QueueDecision(ctx, q, occID, line)
		}
	}
	return a, nil
}

// markOperators makes the configured operators' people operators, and
// nobody else.
func markOperators(ctx context.Context, database *sqlx.DB, emails []string, now time.Time) error {
	return db.InTx(ctx, database, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE people SET operator = 0 WHERE operator = 1`); err != nil {
			return fmt.Errorf("reset operators: %w", err)
		}
		for _, e := range emails {
			p, err := meetings.EnsurePerson(ctx, tx, e, "", "UTC", now)
			if err != nil {
				return fmt.Errorf("--operators: %w", err)
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE people SET operator = 1 WHERE id = ?`), p.ID); err != nil {
				return fmt.Errorf("mark operator %s: %w", e, err)
			}
		}
		return nil
	})
}

func (a *app) close() error { return a.db.Close() }

// handler is the whole HTTP surface: the JSON API (token or session), the
// dashboard (session), and the pages signed links open (no session).
func (a *app) handler() http.Handler {
	auth := httpx.Auth{DB: a.db, Now: a.clock.Now}
	api := http.NewServeMux()
	a.meetings.Routes(api, http.NewServeMux())
	a.calendar.Routes(api)
	api.HandleFunc("GET /api/v1/schedule", a.handleSchedule)
	api.HandleFunc("GET /api/v1/outbox", a.handleOutbox)
	api.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, errNoRoute(r))
	})
	dash := http.NewServeMux()
	a.meetings.DashboardRoutes(dash)
	a.decisions.DashboardRoutes(dash)
	dash.HandleFunc("GET /outbox", a.meetings.Outbox.PageHandler(a.db))
	dash.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/decisions", http.StatusSeeOther)
	})

	pub := http.NewServeMux()
	a.meetings.Routes(http.NewServeMux(), pub)
	a.meetings.SignInRoutes(pub)
	// handler cannot fail: if Google cannot be reached at start, sign-in
	// by email still works and the log says why Google's is off.
	if err := a.wireOIDC(context.Background(), pub); err != nil {
		a.log.Error("sign-in with Google is off", "err", err)
	}
	a.decisions.Routes(api, pub)
	a.calendar.FeedRoutes(api, pub)
	if a.google != nil {
		a.google.Routes(api, pub)
	}
	pub.Handle("/api/", auth.API(api))
	pub.HandleFunc("GET /healthz", a.handleHealth)
	pub.Handle("GET /metrics", a.metrics.Handler())
	pub.Handle("/", auth.Pages(dash))
	return a.logRequests(pub)
}

func (a *app) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.db.PingContext(ctx); err != nil {
		httpx.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// logRequests logs and measures every request. Latency is wall time, not
// the service clock: it is about the machine, not the lifecycle.
func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		a.metrics.ObserveHTTP(r.Method, r.URL.Path, rec.status, d)
		// The path only: query strings carry signed tokens. Feed paths
		// hold a secret too.
		path := r.URL.Path
		if strings.HasPrefix(path, "/feed/") {
			path = "/feed/…"
		}
		a.log.InfoContext(r.Context(), "http", "method", r.Method, "path", path, "status", rec.status, "duration", d)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
