package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/limits"
	"meetingd/internal/people"
)

// config is everything an operator can set, by flag or MEETINGD_* variable.
type config struct {
	DB                string
	Addr              string
	SMTP              string
	From              string
	BaseURL           string
	TemplatesDir      string
	Operators         string
	TimeZone          string
	Lead              time.Duration
	Reminders         string
	OptionalByDefault bool
	OfferAsync        bool
	AutoAsync         bool
	Poll              time.Duration
	LogFormat         string
	Window            time.Duration
	MaxExtensions     int
	Domains           string
	MaxInvitees       int
	MaxWindow         time.Duration
	MetricsToken      string
	RateLimits        string
	OIDC              oidcConfig       // --oidc-*: sign-in with Google (oidc.go)
	Google            googleSettings   // --google-*: Google Workspace (google.go)
	Calendars         calendarSettings // --calendar-poll, --ics-max-size, --caldav-key (cli_calendars.go)
}

// register adds the shared flags to fs, each defaulting to its environment
// variable: --base-url reads MEETINGD_BASE_URL.
func (c *config) register(fs *flag.FlagSet) {
	def := app.Defaults()
	str(fs, &c.DB, "db", def.DB, "SQLite database file, or postgres://user@host/db for several replicas")
	str(fs, &c.Addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	str(fs, &c.SMTP, "smtp", "", "SMTP server URL, smtp://[user:pass@]host:port or smtps://...; unset keeps mail in the local outbox")
	str(fs, &c.From, "from", def.From, "From address of emails")
	str(fs, &c.BaseURL, "base-url", def.BaseURL, "public URL of this service, for links in emails")
	str(fs, &c.TemplatesDir, "templates-dir", "", "folder with edited copies of the templates (default: the embedded ones)")
	str(fs, &c.Operators, "operators", "", "comma-separated emails of operators, who see every meeting and the outbox")
	str(fs, &c.TimeZone, "time-zone", "", "IANA time zone of people who have not set their own (serve's default: UTC)")
	dur(fs, &c.Lead, "lead", def.Lead, "how long before the start a pre-read is due (at least 24h)")
	str(fs, &c.Reminders, "reminders", "72h,48h", "comma-separated organizer reminders before the start")
	boolean(fs, &c.OptionalByDefault, "optional-by-default", def.OptionalByDefault, "make every attendee but organizer and speakers optional")
	boolean(fs, &c.OfferAsync, "offer-async", false, "the email saying a pre-read is missing offers the organizer to hold the meeting async, with one click")
	boolean(fs, &c.AutoAsync, "auto-async", false, "hold a meeting async, without asking, when its pre-read is missing at the deadline")
	dur(fs, &c.Window, "window", def.Window, "how long a decision stays open for contributions by default (at least 24h)")
	integer(fs, &c.MaxExtensions, "max-extensions", def.MaxExtensions, "how many times late objections may extend a decision's window")
	dur(fs, &c.Poll, "poll", 5*time.Second, "longest the scheduler sleeps when nothing is due (it wakes for what falls due sooner)")
	str(fs, &c.LogFormat, "log", "text", "log format: text or json")
	str(fs, &c.Domains, "domains", "", "comma-separated email domains of the organisation: only they (and people operators add) are invited and emailed; unset: anyone")
	integer(fs, &c.MaxInvitees, "max-invitees", def.MaxInvitees, "most people one decision or event may name")
	dur(fs, &c.MaxWindow, "max-window", def.MaxWindow, "longest decision window")
	str(fs, &c.MetricsToken, "metrics-token", "", "bearer token /metrics requires; unset: /metrics is public")
	str(fs, &c.RateLimits, "rate-limits", formatLimits(def.Limits), "rate limits: contributions and decisions per person, sign-in links per address and per client IP; \"off\" for none")
	c.registerOIDC(fs)
	c.registerGoogle(fs)
	c.Calendars.register(fs)
}

// app turns the flags into the app's configuration, refusing settings that
// cannot work with a message that names the flag.
func (c *config) app() (app.Config, error) {
	cfg := app.Defaults()
	switch {
	case c.Lead < 24*time.Hour:
		return cfg, fmt.Errorf("--lead %s is below the minimum of 24h", c.Lead)
	case c.Window < 24*time.Hour:
		return cfg, fmt.Errorf("--window %s is below the minimum of 24h", c.Window)
	case c.MaxExtensions < 0:
		return cfg, fmt.Errorf("--max-extensions %d is negative", c.MaxExtensions)
	case c.LogFormat != "text" && c.LogFormat != "json":
		return cfg, fmt.Errorf("--log %q is not text or json", c.LogFormat)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("--base-url %q is not an http(s) URL", c.BaseURL)
	}
	reminders, err := c.reminders()
	if err != nil {
		return cfg, err
	}
	if err := c.OIDC.check(); err != nil {
		return cfg, err
	}
	if cfg.Org, err = people.NewOrg(c.Domains); err != nil {
		return cfg, fmt.Errorf("--domains: %w", err)
	}
	if c.MaxInvitees < 1 {
		return cfg, fmt.Errorf("--max-invitees %d: at least 1", c.MaxInvitees)
	}
	if c.MaxWindow < c.Window {
		return cfg, fmt.Errorf("--max-window %s is shorter than --window %s", c.MaxWindow, c.Window)
	}
	if cfg.Limits, err = parseLimits(c.RateLimits); err != nil {
		return cfg, fmt.Errorf("--rate-limits: %w", err)
	}
	cfg.MaxInvitees, cfg.MaxWindow, cfg.MetricsToken = c.MaxInvitees, c.MaxWindow, c.MetricsToken
	cfg.DB, cfg.SMTP, cfg.From, cfg.BaseURL, cfg.TemplatesDir = c.DB, c.SMTP, c.From, c.BaseURL, c.TemplatesDir
	cfg.Operators, cfg.Lead, cfg.Reminders, cfg.OptionalByDefault = c.operators(), c.Lead, reminders, c.OptionalByDefault
	cfg.OfferAsync, cfg.AutoAsync = c.OfferAsync, c.AutoAsync
	cfg.Window, cfg.MaxExtensions, cfg.TimeZone = c.Window, c.MaxExtensions, c.TimeZone
	cfg.OIDC = c.OIDC.people()
	if cfg.Google, err = googleConfig(c.Google, c.BaseURL); err != nil {
		return cfg, err
	}
	if err := c.Calendars.check(); err != nil {
		return cfg, err
	}
	cfg.Subscriptions = c.Calendars.subscriptions()
	if cfg.CalDAV, err = c.Calendars.caldav(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func envName(flagName string) string {
	return "MEETINGD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func str(fs *flag.FlagSet, p *string, name, def, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	fs.StringVar(p, name, def, usage+" ($"+envName(name)+")")
}

func dur(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "meetingd: $%s=%q is not a duration like 24h\n", envName(name), v)
			os.Exit(2)
		}
		def = d
	}
	fs.DurationVar(p, name, def, usage+" ($"+envName(name)+")")
}

func integer(fs *flag.FlagSet, p *int, name string, def int, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "meetingd: $%s=%q is not a whole number\n", envName(name), v)
			os.Exit(2)
		}
		def = n
	}
	fs.IntVar(p, name, def, usage+" ($"+envName(name)+")")
}

func boolean(fs *flag.FlagSet, p *bool, name string, def bool, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
	}
	fs.BoolVar(p, name, def, usage+" ($"+envName(name)+")")
}

// reminders parses --reminders.
func (c *config) reminders() ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(c.Reminders, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--reminders: %q is not a positive duration like 72h", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// limitNames are --rate-limits' keys, each naming one of app.Limits.
var limitNames = []string{"contributions", "decisions", "signin", "signin-ip"}

func limitFields(l *app.Limits) []*limits.Rule {
	return []*limits.Rule{&l.Contributions, &l.Decisions, &l.SignInAddress, &l.SignInIP}
}

// formatLimits writes limits as --rate-limits takes them.
func formatLimits(l app.Limits) string {
	var parts []string
	for i, r := range limitFields(&l) {
		parts = append(parts, fmt.Sprintf("%s=%d/%s", limitNames[i], r.Max, shortDuration(r.Per)))
	}
	return strings.Join(parts, ",")
}

func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// parseLimits reads "contributions=60/1m,decisions=60/1h,…" (keys left
// out keep their defaults) or "off".
func parseLimits(v string) (app.Limits, error) {
	out := app.Defaults().Limits
	if strings.TrimSpace(v) == "off" {
		return app.Limits{}, nil
	}
	fields := limitFields(&out)
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, rule, _ := strings.Cut(part, "=")
		i := slices.Index(limitNames, strings.TrimSpace(name))
		if i < 0 {
			return out, fmt.Errorf("%q: the limits are %s", name, strings.Join(limitNames, ", "))
		}
		n, per, ok := strings.Cut(rule, "/")
		max, err1 := strconv.Atoi(strings.TrimSpace(n))
		d, err2 := time.ParseDuration(strings.TrimSpace(per))
		if !ok || err1 != nil || err2 != nil || max < 1 || d <= 0 {
			return out, fmt.Errorf("%q: write a limit as %s=60/1m", part, name)
		}
		*fields[i] = limits.Rule{Max: max, Per: d}
	}
	return out, nil
}

func (c *config) operators() []string {
	var out []string
	for _, e := range strings.Split(c.Operators, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, strings.ToLower(e))
		}
	}
	return out
}
