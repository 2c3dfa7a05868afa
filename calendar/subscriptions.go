package calendar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/calendar/ics"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/meetings"
)

// An ICS subscription is a calendar published at a URL (Outlook's "publish
// calendar" link, a Fastmail or iCloud share link, Nextcloud's export)
// that meetingd polls: every Poll (10 minutes by default) it asks for the
// calendar again, conditionally, and applies what changed as a re-import
// would. It is a calendar of kind "ics": subscribing under the name of a
// calendar imported before carries its meetings on, rather than
// duplicating them.

// Job kinds of subscriptions; subjects "ics:<calendar id>".
const (
	JobSubscriptionSync = "ics.sync" // poll now: just added, or asked for
	JobSubscriptionPoll = "ics.poll" // the periodic poll; variants a and b alternate
)

// fullReadEvery is how often a subscription is read whole even if the
// server says it has not changed, so recurring series are expanded into
// the horizon as time passes.
const fullReadEvery = 24 * time.Hour

// SubscriptionConfig is how subscriptions are polled.
type SubscriptionConfig struct {
	Poll     time.Duration // how often, unless a subscription says otherwise
	MaxBytes int64         // a larger calendar is refused
	// HTTPClient fetches calendars; nil is one with a two-minute timeout.
	// Its redirects are held to https whatever it says.
	HTTPClient *http.Client
	UserAgent  string
}

// DefaultSubscriptionConfig polls every 10 minutes and refuses calendars
// over 32 MiB.
func DefaultSubscriptionConfig() SubscriptionConfig {
	return SubscriptionConfig{Poll: 10 * time.Minute, MaxBytes: 32 << 20, UserAgent: "meetingd (calendar subscription)"}
}

// Poll intervals an operator may choose.
const (
	MinPoll = time.Minute
	MaxPoll = 24 * time.Hour
)

// Subscriptions polls the ICS subscriptions.
type Subscriptions struct {
	DB     *db.DB
	Clock  clock.Clock
	Log    *slog.Logger
	Feeds  *Feeds
	Health *FeedHealth
	Cfg    SubscriptionConfig
	Wake   jobs.Waker // told when a poll falls due now; may be nil

	client *http.Client
	locks  *jobs.Locks // one calendar's poll: one replica at a time
}

// NewSubscriptions returns the subscriptions, with cfg's zero fields set
// to their defaults. Register its jobs on a worker.
func NewSubscriptions(database *db.DB, c clock.Clock, m *meetings.Service, outbox *mail.Outbox, log *slog.Logger, cfg SubscriptionConfig) *Subscriptions {
	def := DefaultSubscriptionConfig()
	if cfg.Poll <= 0 {
		cfg.Poll = def.Poll
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = def.MaxBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = def.UserAgent
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		client = &cp
	}
	client.CheckRedirect = httpsOnly
	return &Subscriptions{DB: database, Clock: c, Log: log, Feeds: NewFeeds(database, c, m, log),
		Health: &FeedHealth{DB: database, Outbox: outbox, Log: log}, Cfg: cfg, client: client,
		locks: jobs.NewLocks(database, c, log)}
}

// Register installs the subscription jobs on w, and the failing-calendar
// email on the outbox.
func (s *Subscriptions) Register(w *jobs.Worker) {
	w.Handle(JobSubscriptionSync, s.runSync)
	w.Handle(JobSubscriptionPoll, s.runPoll)
	s.Health.Register(s.Health.Outbox)
}

// SubscriptionInput is a subscription as an operator gives it.
type SubscriptionInput struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Every is how often it is polled; zero is the default.
	Every time.Duration `json:"-"`
}

// Subscription is a subscription as operators see it: its URL redacted.
type Subscription struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind"`
	Name         string     `json:"name"`
	URL          string     `json:"url"` // redacted
	PollInterval string     `json:"poll_interval"`
	ReadAt       *time.Time `json:"read_at,omitempty"`
	Health       FeedStatus `json:"health"`
	CreatedAt    time.Time  `json:"created_at"`
}

// subRow is a subscription as stored.
type subRow struct {
	CalendarID   int64      `db:"calendar_id"`
	Name         string     `db:"name"`
	URL          string     `db:"url"`
	PollSeconds  int64      `db:"poll_seconds"`
	ETag         string     `db:"etag"`
	LastModified string     `db:"last_modified"`
	ReadAt       *time.Time `db:"read_at"`
	StoppedAt    *time.Time `db:"sync_stopped_at"`
	CreatedAt    time.Time  `db:"created_at"`
}

func (r subRow) every() time.Duration { return time.Duration(r.PollSeconds) * time.Second }

const subQuery = `SELECT s.calendar_id, c.name, s.url, s.poll_seconds, s.etag, s.last_modified, s.read_at,
	c.sync_stopped_at, s.created_at FROM ics_subscriptions s JOIN calendars c ON c.id = s.calendar_id `

// CheckName refuses a calendar name an operator cannot have meant.
func CheckName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errs.Errorf(errs.Invalid, "name is required: it names the calendar")
	case len(name) > 200:
		return errs.Errorf(errs.Invalid, "name is %d bytes; at most 200", len(name))
	case strings.ContainsAny(name, "\r\n\t"):
		return errs.Errorf(errs.Invalid, "name holds a line break or tab")
	}
	return nil
}

// CheckEvery refuses a poll interval out of bounds; zero is the default.
func CheckEvery(d time.Duration) error {
	switch {
	case d == 0:
	case d < MinPoll:
		return errs.Errorf(errs.Invalid, "poll interval %s is below the minimum of %s", d, MinPoll)
	case d > MaxPoll:
		return errs.Errorf(errs.Invalid, "poll interval %s is above the maximum of %s", d, MaxPoll)
	}
	return nil
}

// Add subscribes to the calendar at in.URL under in.Name, polling it at
// once. Adding a name that is subscribed already replaces its URL and
// interval (and restarts a removed one); its meetings carry on.
func (s *Subscriptions) Add(ctx context.Context, in SubscriptionInput, by int64) (Subscription, error) {
	in.Name, in.URL = strings.TrimSpace(in.Name), strings.TrimSpace(in.URL)
	if err := CheckName(in.Name); err != nil {
		return Subscription{}, err
	}
	if in.URL == "" {
		return Subscription{}, errs.Errorf(errs.Invalid, "url is required: the https:// or webcal:// address the calendar is published at")
	}
	if len(in.URL) > 4096 {
		return Subscription{}, errs.Errorf(errs.Invalid, "url is %d bytes; at most 4096", len(in.URL))
	}
	if _, err := fetchURL(in.URL); err != nil {
		return Subscription{}, err
	}
	if err := CheckEvery(in.Every); err != nil {
		return Subscription{}, err
	}
	every := in.Every
	if every == 0 {
		every = s.Cfg.Poll
	}
	var creator *int64
	if by != 0 {
		creator = &by
	}
	var id int64
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		var err error
		if id, err = Ensure(ctx, tx, KindICS, in.Name, now); err != nil {
			return err
		}
		if err := SetSource(ctx, tx, id, RedactURL(in.URL)); err != nil {
			return err
		}
		if err := Resume(ctx, tx, id); err != nil {
			return err
		}
		// A new URL is read whole, unconditionally: the validators and
		// the last full read were the old one's.
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO ics_subscriptions (calendar_id, url, poll_seconds, created_by, created_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (calendar_id) DO UPDATE SET poll_seconds = excluded.poll_seconds,
				etag = CASE WHEN ics_subscriptions.url = excluded.url THEN ics_subscriptions.etag ELSE '' END,
				last_modified = CASE WHEN ics_subscriptions.url = excluded.url THEN ics_subscriptions.last_modified ELSE '' END,
				read_at = CASE WHEN ics_subscriptions.url = excluded.url THEN ics_subscriptions.read_at ELSE NULL END,
				url = excluded.url`), id, in.URL, int64(every/time.Second), creator, now)
		if err != nil {
			return fmt.Errorf("store subscription %s: %w", in.Name, err)
		}
		if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobSubscriptionSync, subSubject(id)); err != nil {
			return err
		}
		return s.armPoll(ctx, tx, id, now.Add(every))
	})
	if err != nil {
		return Subscription{}, err
	}
	s.wake()
	s.Log.InfoContext(ctx, "ICS subscription added", "calendar", in.Name, "url", RedactURL(in.URL), "every", every)
	return s.Get(ctx, id)
}

// Get reads the subscription of calendar id.
func (s *Subscriptions) Get(ctx context.Context, id int64) (Subscription, error) {
	var r subRow
	err := s.DB.GetContext(ctx, &r, s.DB.Rebind(subQuery+`WHERE s.calendar_id = ?`), id)
	if db.IsNoRows(err) {
		return Subscription{}, errs.Errorf(errs.NotFound, "no ICS subscription %d", id)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("subscription %d: %w", id, err)
	}
	return s.view(ctx, r)
}

// ByName finds the subscription named name.
func (s *Subscriptions) ByName(ctx context.Context, name string) (Subscription, error) {
	var r subRow
	err := s.DB.GetContext(ctx, &r, s.DB.Rebind(subQuery+`WHERE c.kind = ? AND c.name = ?`), KindICS, name)
	if db.IsNoRows(err) {
		return Subscription{}, errs.Errorf(errs.NotFound, "no ICS subscription named %q", name)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("subscription %s: %w", name, err)
	}
	return s.view(ctx, r)
}

// List lists the subscriptions by name.
func (s *Subscriptions) List(ctx context.Context) ([]Subscription, error) {
	var rows []subRow
	if err := s.DB.SelectContext(ctx, &rows, subQuery+`ORDER BY c.name`); err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	out := make([]Subscription, 0, len(rows))
	for _, r := range rows {
		v, err := s.view(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Subscriptions) view(ctx context.Context, r subRow) (Subscription, error) {
	st, err := FeedStatusOf(ctx, s.DB, r.CalendarID)
	if err != nil {
		return Subscription{}, err
	}
	return Subscription{ID: r.CalendarID, Kind: KindICS, Name: r.Name, URL: RedactURL(r.URL), PollInterval: r.every().String(),
		ReadAt: r.ReadAt, Health: st, CreatedAt: r.CreatedAt}, nil
}

// Remove ends the subscription of calendar id: polling stops and its URL
// is forgotten. Its meetings stay as they are.
func (s *Subscriptions) Remove(ctx context.Context, id int64) error {
	sub, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		if _, err := Stop(ctx, tx, id, "removed by an operator", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM ics_subscriptions WHERE calendar_id = ?`), id); err != nil {
			return fmt.Errorf("remove subscription %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM feed_health WHERE calendar_id = ?`), id); err != nil {
			return fmt.Errorf("remove subscription %d: %w", id, err)
		}
		return jobs.Cancel(ctx, tx, now, subSubject(id))
	})
	if err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "ICS subscription removed", "calendar", sub.Name, "url", sub.URL)
	return nil
}

// SyncNow makes the subscription of calendar id poll at once.
func (s *Subscriptions) SyncNow(ctx context.Context, id int64) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		return jobs.Rearm(ctx, tx, s.Clock.Now(), jobs.Bulk, JobSubscriptionSync, subSubject(id))
	})
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

func (s *Subscriptions) runSync(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "ics:")
	if err != nil {
		return err
	}
	_, err = s.Poll(ctx, id)
	return err
}

func (s *Subscriptions) runPoll(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "ics:")
	if err != nil {
		return err
	}
	var every []int64
	err = s.DB.SelectContext(ctx, &every, s.DB.Rebind(`SELECT poll_seconds FROM ics_subscriptions WHERE calendar_id = ?`), id)
	if err != nil || len(every) == 0 {
		return err // removed: polling ends
	}
	// The next poll first, so polling goes on whatever happens to this
	// one; it is put off if the feed fails.
	next := JobSubscriptionPoll + "@b"
	if j.Variant() == "b" {
		next = JobSubscriptionPoll + "@a"
	}
	now := s.Clock.Now()
	due := now.Add(time.Duration(every[0]) * time.Second)
	if err := jobs.ScheduleIn(ctx, s.DB, now, jobs.Bulk, next, j.Subject, due); err != nil {
		return err
	}
	out, err := s.Poll(ctx, id)
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

// armPoll starts the subscription's periodic polling unless it is armed.
func (s *Subscriptions) armPoll(ctx context.Context, q db.Queryer, id int64, due time.Time) error {
	armed, err := jobs.Armed(ctx, q, subSubject(id), JobSubscriptionPoll+"@a", JobSubscriptionPoll+"@b")
	if err != nil || armed {
		return err
	}
	if err := jobs.ScheduleIn(ctx, q, s.Clock.Now(), jobs.Bulk, JobSubscriptionPoll+"@a", subSubject(id), due); err != nil {
		return err
	}
	return s.Health.Scheduled(ctx, q, id, due)
}

// PollOutcome is what one poll did.
type PollOutcome struct {
	NotModified bool
	Failed      string // why the feed failed, if it did
	Result      FeedResult
	Next        time.Time // when the periodic poll should next run
}

// Poll reads the subscription of calendar id now and applies what
// changed. A feed that fails (unreachable, an error status, a body refused)
// is recorded against the calendar, which is polled again later; only
// meetingd's own failures (its database) are errors.
func (s *Subscriptions) Poll(ctx context.Context, id int64) (PollOutcome, error) {
	unlock, ok, err := s.locks.TryLock(ctx, subSubject(id))
	if err != nil {
		return PollOutcome{}, err
	}
	if !ok {
		return PollOutcome{}, fmt.Errorf("subscription %d is being polled elsewhere: %w", id, jobs.ErrLater)
	}
	defer unlock()
	var r subRow
	err = s.DB.GetContext(ctx, &r, s.DB.Rebind(subQuery+`WHERE s.calendar_id = ?`), id)
	if db.IsNoRows(err) || (err == nil && r.StoppedAt != nil) {
		return PollOutcome{}, nil // removed
	}
	if err != nil {
		return PollOutcome{}, fmt.Errorf("subscription %d: %w", id, err)
	}
	now := s.Clock.Now()
	conditional := r.ReadAt != nil && now.Sub(*r.ReadAt) < fullReadEvery
	f, err := s.fetch(ctx, r.URL, r.ETag, r.LastModified, conditional)
	var res FeedResult
	if err == nil && !f.notModified {
		res, err = s.apply(ctx, r, f, now)
	}
	var fe *feedError
	if errors.As(err, &fe) {
		return s.failed(ctx, r, now, fe)
	}
	if err != nil {
		return PollOutcome{}, err
	}
	out := PollOutcome{NotModified: f.notModified, Result: res, Next: now.Add(r.every())}
	if err := s.Health.Succeeded(ctx, s.DB, id, now); err != nil {
		return out, err
	}
	if f.notModified {
		s.Log.DebugContext(ctx, "ICS subscription unchanged", "calendar", r.Name)
	} else {
		s.Log.InfoContext(ctx, "ICS subscription applied", "calendar", r.Name, "url", RedactURL(r.URL), "series", res.Series,
			"changed", len(res.Changed), "created", res.Created, "updated", res.Updated, "cancelled", res.Cancelled,
			"skipped", res.Skipped, "invalid", res.Invalid)
	}
	return out, nil
}

// apply checks the whole body, then applies it; a body the parser refuses
// stores nothing. The validators are kept only once it is applied, so a
// poll cut short fetches it again.
func (s *Subscriptions) apply(ctx context.Context, r subRow, f fetched, now time.Time) (FeedResult, error) {
	p, err := s.Feeds.Begin(ctx, r.CalendarID, true)
	if err != nil {
		return FeedResult{}, err
	}
	var perr *ics.ParseError
	if err := ics.Scan(f.body, p.Window(), func(ics.Series) error { return nil }); errors.As(err, &perr) {
		return FeedResult{}, feedErrorf("the calendar cannot be read: %v", perr)
	} else if err != nil {
		return FeedResult{}, fmt.Errorf("read subscription %s: %w", r.Name, err)
	}
	if err := ics.Scan(f.body, p.Window(), func(se ics.Series) error { return p.Add(ctx, se) }); err != nil {
		return FeedResult{}, err
	}
	res, err := p.Finish(ctx)
	if err != nil {
		return res, err
	}
	_, err = s.DB.ExecContext(ctx, s.DB.Rebind(`UPDATE ics_subscriptions SET etag = ?, last_modified = ?, read_at = ?
		WHERE calendar_id = ? AND url = ?`), f.etag, f.lastModified, now, r.CalendarID, r.URL)
	if err != nil {
		return res, fmt.Errorf("record read of subscription %s: %w", r.Name, err)
	}
	return res, nil
}

// failed records a failed poll and puts the next one off.
func (s *Subscriptions) failed(ctx context.Context, r subRow, now time.Time, fe *feedError) (PollOutcome, error) {
	cal, err := ByID(ctx, s.DB, r.CalendarID)
	if err != nil {
		return PollOutcome{}, err
	}
	failures, err := s.Health.Failed(ctx, cal, now, fe.msg)
	if err != nil {
		return PollOutcome{}, err
	}
	next := NextPoll(now, r.every(), failures, fe.retryAfter)
	s.Log.WarnContext(ctx, "ICS subscription poll failed", "calendar", r.Name, "url", RedactURL(r.URL), "failures", failures,
		"next", next, "err", fe.msg)
	return PollOutcome{Failed: fe.msg, Next: next}, nil
}

func (s *Subscriptions) wake() {
	if s.Wake != nil {
		s.Wake.Wake()
	}
}

func subSubject(id int64) string { return jobs.Subject("ics:", id) }
