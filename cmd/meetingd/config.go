package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/app"
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
	Lead              time.Duration
	Reminders         string
	OptionalByDefault bool
	Poll              time.Duration
	LogFormat         string
	Window            time.Duration
	MaxExtensions     int
	OIDC              oidcConfig     // --oidc-*: sign-in with Google (oidc.go)
	Google            googleSettings // --google-*: Google Workspace (google.go)
}

// register adds the shared flags to fs, each defaulting to its environment
// variable: --base-url reads MEETINGD_BASE_URL.
func (c *config) register(fs *flag.FlagSet) {
	def := app.Defaults()
	str(fs, &c.DB, "db", def.DB, "SQLite database file")
	str(fs, &c.Addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	str(fs, &c.SMTP, "smtp", "", "SMTP server URL, smtp://[user:pass@]host:port or smtps://...; unset keeps mail in the local outbox")
	str(fs, &c.From, "from", def.From, "From address of emails")
	str(fs, &c.BaseURL, "base-url", def.BaseURL, "public URL of this service, for links in emails")
	str(fs, &c.TemplatesDir, "templates-dir", "", "folder with edited copies of the templates (default: the embedded ones)")
	str(fs, &c.Operators, "operators", "", "comma-separated emails of operators, who see every meeting and the outbox")
	dur(fs, &c.Lead, "lead", def.Lead, "how long before the start a pre-read is due (at least 24h)")
	str(fs, &c.Reminders, "reminders", "72h,48h", "comma-separated organizer reminders before the start")
	boolean(fs, &c.OptionalByDefault, "optional-by-default", def.OptionalByDefault, "make every attendee but organizer and speakers optional")
	dur(fs, &c.Window, "window", def.Window, "how long a decision stays open for contributions by default (at least 24h)")
	integer(fs, &c.MaxExtensions, "max-extensions", def.MaxExtensions, "how many times late objections may extend a decision's window")
	dur(fs, &c.Poll, "poll", 5*time.Second, "longest the scheduler sleeps when nothing is due (it wakes for what falls due sooner)")
	str(fs, &c.LogFormat, "log", "text", "log format: text or json")
	c.registerOIDC(fs)
	c.registerGoogle(fs)
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
	cfg.DB, cfg.SMTP, cfg.From, cfg.BaseURL, cfg.TemplatesDir = c.DB, c.SMTP, c.From, c.BaseURL, c.TemplatesDir
	cfg.Operators, cfg.Lead, cfg.Reminders, cfg.OptionalByDefault = c.operators(), c.Lead, reminders, c.OptionalByDefault
	cfg.Window, cfg.MaxExtensions = c.Window, c.MaxExtensions
	cfg.OIDC = c.OIDC.people()
	if cfg.Google, err = googleConfig(c.Google, c.BaseURL); err != nil {
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

func (c *config) operators() []string {
	var out []string
	for _, e := range strings.Split(c.Operators, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, strings.ToLower(e))
		}
	}
	return out
}
