package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"meetingd/calendar"
	"meetingd/internal/app"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/mail"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// The CLI acts as the operator.
var cliActor = people.Actor{Operator: true}

// cliClock is the CLI's time; tests set a fake one.
var cliClock clock.Clock = clock.Real{}

// withApp parses flags, opens the app, and runs fn with it.
func withApp(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet),
	fn func(a *app.App, fs *flag.FlagSet) error) error {
	cfg, fs, err := parse(name, args, stderr, extra)
	if err != nil {
		return err
	}
	acfg, err := cfg.app()
	if err != nil {
		return err
	}
	// Operators are serve's to set: a command run without --operators
	// leaves them as they are.
	acfg.KeepOperators = cfg.Operators == ""
	if err := mustExist(name, cfg.DB); err != nil {
		return err
	}
	a, err := app.New(ctx, acfg, cliClock, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, fs)
}

// readOnly commands only look: on a database that is not there they say so
// rather than create an empty one and report it empty.
var readOnly = map[string]bool{"schedule": true, "outbox": true}

func mustExist(command, dsn string) error {
	if !readOnly[command] || db.IsPostgres(dsn) {
		return nil
	}
	if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
		return usageError{fmt.Sprintf("no database at %s: pass --db (or MEETINGD_DB) with the file meetingd serve uses", dsn)}
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parse("migrate", args, stderr, nil)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DB, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database", db.Redact(cfg.DB), "is up to date")
	return d.Close()
}

func cmdCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// Its own flags: --from here is a database, not the sender of emails.
	var from, to string
	fs := flag.NewFlagSet("meetingd copy", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	fs.StringVar(&from, "from", "", "the SQLite file to copy")
	fs.StringVar(&to, "to", "", "the empty PostgreSQL database to copy into, postgres://…")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpText(out.String())
		}
		fmt.Fprint(stderr, out.String())
		return usageError{err.Error()}
	}
	switch {
	case from == "" || to == "":
		return usageError{"copy takes --from FILE.db and --to postgres://…"}
	case db.IsPostgres(from):
		return usageError{"--from is the SQLite file; --to is the PostgreSQL URL"}
	case !db.IsPostgres(to):
		return usageError{fmt.Sprintf("--to %q is not a postgres:// URL", db.Redact(to))}
	}
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	log := newLogger(config{}, stderr)
	src, err := db.Open(ctx, from, log)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := db.Open(ctx, to, log)
	if err != nil {
		return err
	}
	defer dst.Close()
	var total int64
	_, err = db.Copy(ctx, src, dst, func(table string, rows int64) {
		total += rows
		fmt.Fprintf(stdout, "%-24s %9d rows\n", table, rows)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %d rows; every table's count matches. Serve with --db %s\n", total, db.Redact(to))
	return nil
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var name string
	return withApp(ctx, "import", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "calendar name (default: the file's name)")
	}, func(a *app.App, fs *flag.FlagSet) error {
		if fs.NArg() != 1 {
			return usageError{"import takes one ICS file: meetingd import [--name NAME] FILE.ics"}
		}
		path := fs.Arg(0)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if name == "" {
			name = filepath.Base(path)
		}
		bar := progressBar{w: stderr, name: filepath.Base(path)}
		res, err := a.Calendar.Import(ctx, f, name, bar.show)
		bar.end()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %s: %d created, %d updated, %d cancelled, %d skipped (not meetings)\n",
			path, res.Created, res.Updated, res.Cancelled, res.Skipped)
		return nil
	})
}

func cmdEvent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"event takes create FILE.json|-, update FILE.json|-, or cancel UID"}
	}
	verb := args[0]
	return withApp(ctx, "event "+verb, args[1:], stderr, nil, func(a *app.App, fs *flag.FlagSet) error {
		if fs.NArg() != 1 {
			return usageError{"event " + verb + " takes one argument"}
		}
		var in calendar.EventInput
		if verb == "create" || verb == "update" {
			if err := readJSON(fs.Arg(0), &in); err != nil {
				return err
			}
		}
		var res meetings.SyncResult
		var err error
		uid := in.UID
		switch verb {
		case "create":
			uid, res, err = a.Calendar.Create(ctx, in)
		case "update":
			if uid == "" {
				return errs.Errorf(errs.Invalid, "uid is required to update an event")
			}
			res, err = a.Calendar.Update(ctx, in)
		case "cancel":
			uid = fs.Arg(0)
			res, err = a.Calendar.Cancel(ctx, uid)
		default:
			return usageError{fmt.Sprintf("unknown event command %q: want create, update or cancel", verb)}
		}
		if err != nil {
			return err
		}
		return printJSON(stdout, map[string]any{"uid": uid, "result": res})
	})
}

func readJSON(path string, v any) error {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Errorf(errs.Invalid, "%s: %v", path, err)
	}
	return nil
}

func occurrenceArg(fs *flag.FlagSet, want int, usage string) (int64, error) {
	if fs.NArg() != want {
		return 0, usageError{usage}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Sprintf("%q is not an occurrence id; `meetingd schedule` lists them", fs.Arg(0))}
	}
	return id, nil
}

func cmdPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var text string
	return withApp(ctx, "publish", reorder(args), stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&text, "text", "", "pre-read text (default: what the notes doc's Pre-read section holds)")
	}, func(a *app.App, fs *flag.FlagSet) error {
		id, err := occurrenceArg(fs, 1, "publish takes an occurrence id: meetingd publish [--text TEXT] ID")
		if err != nil {
			return err
		}
		var content *string
		if text != "" {
			content = &text
		}
		o, err := a.Meetings.Publish(ctx, cliActor, id, content)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "occurrence %d (%s): pre-read %s; every attendee is emailed\n", o.ID, o.Title, o.PreReadState)
		return nil
	})
}

func cmdAttendance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withApp(ctx, "attendance", reorder(args), stderr, nil, func(a *app.App, fs *flag.FlagSet) error {
		id, err := occurrenceArg(fs, 3, "attendance takes: OCCURRENCE_ID EMAIL present|absent|async|accepted|declined|tentative")
		if err != nil {
			return err
		}
		p := meetings.AttendancePatch{Email: fs.Arg(1)}
		v := fs.Arg(2)
		switch v {
		case meetings.RSVPAccepted, meetings.RSVPDeclined, meetings.RSVPTentative, meetings.RSVPNeedsAction:
			p.RSVP = &v
		default:
			p.Attendance = &v
		}
		at, err := a.Meetings.RecordAttendance(ctx, cliActor, id, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s in occurrence %d: rsvp %s, attendance %q\n", at.Email, id, at.RSVP, at.Attendance)
		return nil
	})
}

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"token takes: create --email EMAIL [--label LABEL]"}
	}
	var email, label string
	return withApp(ctx, "token create", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "whose token it is")
		fs.StringVar(&label, "label", "", "what the token is for")
	}, func(a *app.App, fs *flag.FlagSet) error {
		if email == "" {
			return usageError{"token create needs --email"}
		}
		now := a.Clock.Now()
		p, err := people.Ensure(ctx, a.DB, email, "", "", now)
		if err != nil {
			return err
		}
		// Whom an operator gives a token is theirs to invite (--domains).
		if err := people.Vouch(ctx, a.DB, p.ID); err != nil {
			return err
		}
		tok, err := people.NewToken(ctx, a.DB, p.ID, label, now)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	})
}

func cmdPerson(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email, name, tz, start, end, days, digest string
	return withApp(ctx, "person", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "whom to change (required)")
		fs.StringVar(&name, "name", "", "display name")
		fs.StringVar(&tz, "tz", "", "IANA time zone, e.g. Asia/Tokyo")
		fs.StringVar(&start, "work-start", "", "start of working hours, e.g. 09:00")
		fs.StringVar(&end, "work-end", "", "end of working hours, e.g. 17:00")
		fs.StringVar(&days, "work-days", "", "working days, e.g. mon,tue,wed,thu,fri")
		fs.StringVar(&digest, "digest", "", "true for one daily digest instead of single emails")
	}, func(a *app.App, fs *flag.FlagSet) error {
		if email == "" {
			return usageError{"person needs --email"}
		}
		p, err := people.Ensure(ctx, a.DB, email, name, "", a.Clock.Now())
		if err != nil {
			return err
		}
		if err := people.Vouch(ctx, a.DB, p.ID); err != nil { // an operator added them
			return err
		}
		var patch people.Patch
		set := func(v string) *string {
			if v == "" {
				return nil
			}
			return &v
		}
		patch.Name, patch.TimeZone, patch.WorkStart, patch.WorkEnd = set(name), set(tz), set(start), set(end)
		if days != "" {
			d := strings.Split(days, ",")
			patch.WorkDays = &d
		}
		if digest != "" {
			b, err := strconv.ParseBool(digest)
			if err != nil {
				return usageError{fmt.Sprintf("--digest %q is not true or false", digest)}
			}
			patch.Digest = &b
		}
		out, err := people.Update(ctx, a.DB, p.ID, patch)
		if err != nil {
			return err
		}
		return printJSON(stdout, out)
	})
}

func cmdSchedule(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	var limit int
	return withApp(ctx, "schedule", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		fs.IntVar(&limit, "n", 30, "how many steps")
	}, func(a *app.App, fs *flag.FlagSet) error {
		if limit < 1 || limit > 500 {
			return usageError{fmt.Sprintf("-n %d: show from 1 to 500 steps", limit)}
		}
		rows, err := a.Meetings.Schedule(ctx, limit+1)
		if err != nil {
			return err
		}
		more := len(rows) > limit
		if more {
			rows = rows[:limit]
		}
		if asJSON {
			if rows == nil {
				rows = []meetings.Step{} // none is [], never null
			}
			return printJSON(stdout, rows)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN (UTC)\tSTEP\tOCCURRENCE")
		for _, r := range rows {
			what := r.Occurrence
			if what == "" {
				what = r.Subject
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.When.Format("2006-01-02 15:04"), r.Kind, what)
		}
		if len(rows) == 0 {
			fmt.Fprintln(tw, "(nothing scheduled)")
		}
		if more {
			fmt.Fprintf(tw, "(the first %d steps; -n shows more)\n", limit)
		}
		return tw.Flush()
	})
}

func cmdOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var asJSON, full bool
	var limit int
	var to string
	return withApp(ctx, "outbox", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON, with bodies")
		fs.BoolVar(&full, "full", false, "print each email's text")
		fs.IntVar(&limit, "n", 30, "how many emails")
		fs.StringVar(&to, "to", "", "only emails to this address")
	}, func(a *app.App, fs *flag.FlagSet) error {
		if limit < 1 || limit > 500 {
			return usageError{fmt.Sprintf("-n %d: show from 1 to 500 emails", limit)}
		}
		items, err := a.Outbox.List(ctx, a.DB, strings.ToLower(to), 0, limit)
		if err != nil {
			return err
		}
		if asJSON {
			if items == nil {
				items = []mail.Item{} // none is [], never null
			}
			return printJSON(stdout, items)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tNOT BEFORE (UTC)\tTO\tSUBJECT")
		for _, it := range items {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", it.ID, it.State, it.NotBefore.Format("2006-01-02 15:04"), it.To, it.Subject)
		}
		if len(items) == 0 {
			fmt.Fprintln(tw, "(no email yet)")
		}
		tw.Flush()
		if full {
			for _, it := range items {
				fmt.Fprintf(stdout, "\n==== #%d to %s: %s\n%s", it.ID, it.To, it.Subject, it.Text)
			}
		}
		return nil
	})
}

// reorder moves flags before positional arguments, so `publish 12 --text x`
// works as well as `publish --text x 12`.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	a = strings.TrimLeft(a, "-")
	return a == "json" || a == "full" || a == "all" || a == "optional-by-default" || a == "offer-async" || a == "auto-async"
}

// progressBar shows a large import's progress on one line of stderr.
type progressBar struct {
	w       io.Writer
	name    string
	percent int
	shown   bool
}

// show draws the bar when the import is large enough to wait for, and
// only when its percentage moves.
func (b *progressBar) show(done, total int) {
	if total < 2000 {
		return
	}
	p := done * 100 / total
	if b.shown && p == b.percent {
		return
	}
	b.percent, b.shown = p, true
	fmt.Fprintf(b.w, "\rimporting %s [%-30s] %3d%% (%d of %d events)", b.name, strings.Repeat("#", p*30/100), p, done, total)
}

func (b *progressBar) end() {
	if b.shown {
		fmt.Fprintln(b.w)
	}
}
