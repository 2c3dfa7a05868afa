// Command meetingd runs the meeting lifecycle: it watches calendars,
// attaches notes docs, requires pre-reads, records attendance and emails
// people through a durable outbox.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // people's time zones, even on machines without a zone database

	"meetingd/internal/app"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/demo"
	"meetingd/internal/errs"
)

var version = "dev"

const usage = `meetingd: the meeting lifecycle for teams that work asynchronously.

Usage: meetingd <command> [flags]

Commands:
  serve       run the HTTP API and the scheduler
  demo        run a sample team's week on an accelerated clock (3 hours a second)
  import      import an ICS file:   meetingd import [--name NAME] FILE.ics
  event       create, update or cancel an event in the built-in calendar
  publish     publish a pre-read:   meetingd publish OCCURRENCE_ID [--text TEXT]
  attendance  record attendance:    meetingd attendance OCCURRENCE_ID EMAIL present|absent|async
  decision    create, list, show, support, object, comment, outcome, withdraw
  action      action items: add OCCURRENCE_ID, done ID, undone ID, list --owner EMAIL
  token       create an API token:  meetingd token create --email EMAIL
  person      set a person's time zone, working hours or digest
  schedule    list the steps due next
  outbox      list emails, newest first
  migrate     bring the database schema up to date (a deploy step for replicas)
  calendar    the calendars meetingd polls: list, subscribe (ICS URL), caldav, sync, remove
  copy        move a SQLite installation to PostgreSQL:
              meetingd copy --from meetingd.db --to postgres://user@host/db
  version     print the version

Every command takes the shared flags (run 'meetingd <command> -h');
each flag has a MEETINGD_* environment variable, e.g. --db and MEETINGD_DB.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "meetingd:", errMessage(err))
		os.Exit(exitCode(err))
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// errMessage shows an application error's message, anything else whole.
func errMessage(err error) string {
	if errs.Code(err) != errs.Internal {
		return errs.Message(err)
	}
	return err.Error()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	var h helpText
	if errors.As(err, &h) {
		// Asked for: usage on stdout, and success.
		fmt.Fprint(stdout, string(h))
		return nil
	}
	return err
}

// ownHelp are the commands whose flags parse answers -h itself; the others
// take a verb or an argument first, and -h in its place shows their line of
// the usage.
var ownHelp = map[string]bool{"serve": true, "demo": true, "import": true, "schedule": true, "outbox": true,
	"migrate": true, "copy": true, "calendar": true, "version": true, "help": true}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// commandHelp is cmd's line of the usage, and where its flags are listed.
func commandHelp(cmd string) string {
	for _, line := range strings.Split(usage, "\n") {
		if strings.HasPrefix(line, "  "+cmd+" ") {
			return "meetingd " + strings.TrimSpace(strings.TrimPrefix(line, "  "+cmd)) + "\n\n" +
				"Run 'meetingd " + cmd + " VERB -h' (or with its argument) for the flags it takes.\n"
		}
	}
	return usage
}

// given reports whether flag name was set, on the command line or by its
// MEETINGD_* variable.
func given(fs *flag.FlagSet, name string) bool {
	if _, ok := os.LookupEnv(envName(name)); ok {
		return true
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// helpText is a command's usage, asked for with -h or --help.
type helpText string

func (h helpText) Error() string { return "help requested" }

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && isHelp(rest[0]) && !ownHelp[cmd] {
		return helpText(commandHelp(cmd))
	}
	switch cmd {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "meetingd", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return cmdServe(ctx, rest, stderr)
	case "demo":
		return cmdDemo(ctx, rest, stdout, stderr)
	case "import":
		return cmdImport(ctx, rest, stdout, stderr)
	case "event":
		return cmdEvent(ctx, rest, stdout, stderr)
	case "publish":
		return cmdPublish(ctx, rest, stdout, stderr)
	case "attendance":
		return cmdAttendance(ctx, rest, stdout, stderr)
	case "decision":
		return cmdDecision(ctx, rest, stdout, stderr)
	case "action":
		return cmdAction(ctx, rest, stdout, stderr)
	case "token":
		return cmdToken(ctx, rest, stdout, stderr)
	case "person":
		return cmdPerson(ctx, rest, stdout, stderr)
	case "schedule":
		return cmdSchedule(ctx, rest, stdout, stderr)
	case "outbox":
		return cmdOutbox(ctx, rest, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "copy":
		return cmdCopy(ctx, rest, stdout, stderr)
	case "calendar":
		return cmdCalendar(ctx, rest, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// parse parses the shared flags and a command's own; extra may be nil.
func parse(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (config, *flag.FlagSet, error) {
	var cfg config
	fs := flag.NewFlagSet("meetingd "+name, flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	cfg.register(fs)
	shared := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { shared[f.Name] = true })
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() { commandUsage(fs, name, shared) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, fs, helpText(out.String())
		}
		fmt.Fprint(stderr, out.String())
		return cfg, fs, usageError{err.Error()}
	}
	return cfg, fs, nil
}

// sharedShown are the shared flags every command's help lists; serve's
// lists them all. The rest are read too (each has its MEETINGD_* variable)
// but belong to the server.
var sharedShown = map[string]bool{"db": true, "base-url": true, "log-format": true}

// commandUsage lists the flags name uses: its own and the few shared ones
// that matter to it.
func commandUsage(fs *flag.FlagSet, name string, shared map[string]bool) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage of meetingd %s:\n", name)
	var hidden int
	fs.VisitAll(func(f *flag.Flag) {
		if name != "serve" && shared[f.Name] && !sharedShown[f.Name] {
			hidden++
			return
		}
		fmt.Fprintf(w, "  -%s\n    \t%s", f.Name, f.Usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	if hidden > 0 {
		fmt.Fprintf(w, "\nThe server's %d other settings (SMTP, limits, Google...) are listed by 'meetingd serve -h'.\n", hidden)
	}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, _, err := parse("serve", args, stderr, nil)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, clock.Real{}, newLogger(cfg, stderr))
}

// serve runs HTTP and the scheduler until SIGINT or SIGTERM, then lets
// requests and the job in hand finish.
func serve(ctx context.Context, cfg config, c clock.Clock, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	acfg, err := cfg.app()
	if err != nil {
		return err
	}
	if acfg.TimeZone == "" {
		acfg.TimeZone = "UTC" // serve sets the default zone, as it sets operators
	}
	a, err := app.New(ctx, acfg, c, log)
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{Addr: cfg.Addr, Handler: a.Handler(ctx), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	workerDone := make(chan struct{})
	a.Worker.MaxIdle = cfg.Poll
	release, err := a.Serve(ctx)
	if err != nil {
		return err
	}
	defer release()
	go func() {
		defer close(workerDone)
		a.Worker.Run(ctx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	mailMode := "local outbox (read it with `meetingd outbox`)"
	if cfg.SMTP != "" {
		mailMode = "SMTP"
	}
	log.Info("meetingd serving", "addr", cfg.Addr, "db", db.Redact(cfg.DB), "mail", mailMode, "base_url", cfg.BaseURL)
	if err := a.LogNextSteps(ctx); err != nil {
		log.Error("first-run check", "err", err)
	}
	select {
	case err := <-serveErr:
		stop()
		<-workerDone
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	<-workerDone
	return err
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var speed, length time.Duration
	cfg, fs, err := parse("demo", args, stderr, func(fs *flag.FlagSet) {
		fs.DurationVar(&speed, "speed", 3*time.Hour, "virtual time that passes per real second")
		fs.DurationVar(&length, "length", 7*24*time.Hour, "virtual time the demo covers")
	})
	if err != nil {
		return err
	}
	if speed < time.Second {
		return usageError{"--speed must be at least 1s"}
	}
	acfg, err := cfg.app()
	if err != nil {
		return err
	}
	// Given --db (or MEETINGD_DB), the demo's week is kept there to explore;
	// it never writes into an existing database.
	keep := ""
	if given(fs, "db") {
		keep = cfg.DB
		if db.IsPostgres(keep) {
			return usageError{"the demo writes a new SQLite file: give --db a file name such as demo.db"}
		}
		if _, err := os.Stat(keep); err == nil {
			return usageError{fmt.Sprintf("%s exists: the demo writes a new database, so give --db a new file name", keep)}
		}
	}
	return demo.Run(ctx, acfg, speed, length, keep, stdout)
}
