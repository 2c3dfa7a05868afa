// Package apptest runs the whole of meetingd for tests, wired by
// internal/app as in production: a real SQLite file in the test's temporary
// folder and a fake clock that only moves when told. web/webtest serves it
// on loopback for tests that speak HTTP.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/clock"
	"meetingd/internal/dbtest"
	"meetingd/internal/people"
)

// App is meetingd under test.
type App struct {
	*app.App
	T     testing.TB
	Clock *clock.Fake
}

// Options are what a test may change before the app is built.
type Options struct {
	Config app.Config
	Log    *slog.Logger
	Clock  *clock.Fake // nil: one standing at New's now
}

// Option changes the app's options.
type Option func(*Options)

// DB uses the SQLite file at path (to reopen one a test made before).
func DB(path string) Option { return func(o *Options) { o.Config.DB = path } }

// SMTP delivers mail to the SMTP server at url.
func SMTP(url string) Option { return func(o *Options) { o.Config.SMTP = url } }

// Log sends the app's log to w.
func Log(w io.Writer) Option {
	return func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// Clock runs the app on c, which another fake (Google's) shares.
func Clock(c *clock.Fake) Option { return func(o *Options) { o.Clock = c } }

// BaseURL is the address links in emails point to.
func BaseURL(u string) Option { return func(o *Options) { o.Config.BaseURL = u } }

// Config changes the configuration in any other way; options before it
// (a BaseURL) are already applied.
func Config(fn func(*app.Config)) Option { return func(o *Options) { fn(&o.Config) } }

// New builds meetingd as of now, with ops@example.com its operator. It is
// closed when the test ends.
func New(t testing.TB, now time.Time, opts ...Option) *App {
	t.Helper()
	o := Options{Config: app.Defaults(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	o.Config.DB = dbtest.DSN(t)
	o.Config.Operators = []string{"ops@example.com"}
	o.Config.BaseURL = "https://meetingd.test"
	for _, opt := range opts {
		opt(&o)
	}
	c := o.Clock
	if c == nil {
		c = clock.NewFake(now)
	}
	a, err := app.New(context.Background(), o.Config, c, o.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &App{App: a, T: t, Clock: c}
}

// RunDue runs every job due now, and those that fall due meanwhile.
func (a *App) RunDue() {
	a.T.Helper()
	if _, err := a.Worker.RunDue(context.Background()); err != nil {
		a.T.Fatal(err)
	}
}

// At moves the clock to when and runs all work due by then.
func (a *App) At(when time.Time) {
	a.T.Helper()
	a.Clock.Set(when)
	a.RunDue()
}

// Person makes email known, if new, and returns them.
func (a *App) Person(email string) people.Person {
	a.T.Helper()
	p, err := people.Ensure(context.Background(), a.DB, email, "", "UTC", a.Clock.Now())
	if err != nil {
		a.T.Fatal(err)
	}
	return p
}

// Token is an API token for email.
func (a *App) Token(email string) string {
	a.T.Helper()
	tok, err := people.NewToken(context.Background(), a.DB, a.Person(email).ID, "test", a.Clock.Now())
	if err != nil {
		a.T.Fatal(err)
	}
	return tok
}
