package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"meetingd/calendar"
	"meetingd/calendar/caldav"
	"meetingd/internal/app"
	"meetingd/internal/errs"
)

// `meetingd calendar` manages the calendars meetingd polls: ICS
// subscriptions and CalDAV calendars. What it adds is polled by `meetingd
// serve`, at once and then every interval.

const calendarUsage = `meetingd calendar: the calendars meetingd polls.

  meetingd calendar list
  meetingd calendar subscribe --name NAME [--every 10m] URL
      an ICS calendar published at an https:// or webcal:// URL (kept secret: shown redacted)
  meetingd calendar caldav --name NAME --server URL --user USER [--calendar NAME] [--every 10m]
      a CalDAV calendar; the app password is read from $MEETINGD_CALDAV_PASSWORD or the first line of stdin
  meetingd calendar sync NAME      poll now
  meetingd calendar remove NAME    stop polling (its meetings stay)
`

// calendarSources are the app's polled calendars.
type calendarSources struct {
	subs *calendar.Subscriptions
	dav  *caldav.Source
}

// cliStdin is where the CLI reads a password from; tests replace it.
var cliStdin io.Reader = os.Stdin

func cmdCalendar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, calendarUsage)
		if len(args) == 0 {
			return usageError{"calendar takes list, subscribe, caldav, sync or remove"}
		}
		return nil
	}
	verb := args[0]
	var name, server, user, which string
	var every time.Duration
	return withApp(ctx, "calendar "+verb, args[1:], stderr, func(fs *flag.FlagSet) {
		switch verb {
		case "subscribe", "caldav":
			fs.StringVar(&name, "name", "", "the calendar's name in meetingd")
			fs.DurationVar(&every, "every", 0, "how often to poll it (default --calendar-poll)")
		}
		if verb == "caldav" {
			fs.StringVar(&server, "server", "", "the CalDAV server's URL, e.g. https://caldav.fastmail.com/")
			fs.StringVar(&user, "user", "", "the user name")
			fs.StringVar(&which, "calendar", "", "which of the user's calendars (its name or path), if they have several")
		}
	}, func(a *app.App, fs *flag.FlagSet) error {
		src := calendarSources{subs: a.Subscriptions, dav: a.CalDAV}
		switch verb {
		case "list":
			return listCalendars(ctx, src, stdout)
		case "subscribe":
			if fs.NArg() != 1 {
				return usageError{"calendar subscribe takes one URL: meetingd calendar subscribe --name NAME URL"}
			}
			sub, err := src.subs.Add(ctx, calendar.SubscriptionInput{Name: name, URL: fs.Arg(0), Every: every}, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "subscribed %s (id %d) to %s, polled every %s; meetingd serve reads it now\n",
				sub.Name, sub.ID, sub.URL, sub.PollInterval)
			return nil
		case "caldav":
			if fs.NArg() != 0 {
				return usageError{"calendar caldav takes no arguments; the password comes from $MEETINGD_CALDAV_PASSWORD or stdin"}
			}
			pass, err := readPassword()
			if err != nil {
				return err
			}
			c, err := src.dav.Add(ctx, caldav.Input{Name: name, ServerURL: server, Username: user, Password: pass,
				Calendar: which, Every: every})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added CalDAV calendar %s (id %d): %s as %s, polled every %s; meetingd serve reads it now\n",
				c.Name, c.ID, c.Collection, c.Username, c.PollInterval)
			return nil
		case "sync", "remove":
			if fs.NArg() != 1 {
				return usageError{"calendar " + verb + " takes a calendar's name"}
			}
			kind, id, err := findPolled(ctx, src, fs.Arg(0))
			if err != nil {
				return err
			}
			switch {
			case verb == "sync" && kind == calendar.KindICS:
				err = src.subs.SyncNow(ctx, id)
			case verb == "sync":
				err = src.dav.SyncNow(ctx, id)
			case kind == calendar.KindICS:
				err = src.subs.Remove(ctx, id)
			default:
				err = src.dav.Remove(ctx, id)
			}
			if err != nil {
				return err
			}
			if verb == "sync" {
				fmt.Fprintf(stdout, "%s is polled now\n", fs.Arg(0))
			} else {
				fmt.Fprintf(stdout, "%s is no longer polled; its meetings stay\n", fs.Arg(0))
			}
			return nil
		}
		fmt.Fprint(stderr, calendarUsage)
		return usageError{fmt.Sprintf("unknown calendar command %q: want list, subscribe, caldav, sync or remove", verb)}
	})
}

// readPassword reads the app password: never from a flag, which other
// users of the machine see in the process list.
func readPassword() (string, error) {
	if p, ok := os.LookupEnv("MEETINGD_CALDAV_PASSWORD"); ok {
		return p, nil
	}
	line, err := bufio.NewReader(cliStdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	if p := strings.TrimRight(line, "\r\n"); p != "" {
		return p, nil
	}
	return "", errs.Errorf(errs.Invalid, "no password: set $MEETINGD_CALDAV_PASSWORD or give it on stdin")
}

// findPolled finds the polled calendar named name.
func findPolled(ctx context.Context, src calendarSources, name string) (string, int64, error) {
	sub, errICS := src.subs.ByName(ctx, name)
	dav, errDAV := src.dav.ByName(ctx, name)
	switch {
	case errICS == nil && errDAV == nil:
		return "", 0, errs.Errorf(errs.Invalid, "an ICS subscription and a CalDAV calendar are both named %q: use the API with its id", name)
	case errICS == nil:
		return calendar.KindICS, sub.ID, nil
	case errDAV == nil:
		return calendar.KindCalDAV, dav.ID, nil
	case errs.Code(errICS) != errs.NotFound:
		return "", 0, errICS
	case errs.Code(errDAV) != errs.NotFound:
		return "", 0, errDAV
	}
	return "", 0, errs.Errorf(errs.NotFound, "no ICS subscription or CalDAV calendar named %q", name)
}

func listCalendars(ctx context.Context, src calendarSources, stdout io.Writer) error {
	subs, err := src.subs.List(ctx)
	if err != nil {
		return err
	}
	davs, err := src.dav.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tNAME\tSOURCE\tEVERY\tSTATE")
	for _, s := range subs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Kind, s.Name, s.URL, s.PollInterval, healthText(s.Health))
	}
	for _, d := range davs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s (%s)\t%s\t%s\n", d.ID, d.Kind, d.Name, d.Collection, d.Username, d.PollInterval, healthText(d.Health))
	}
	if len(subs)+len(davs) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	return tw.Flush()
}

// healthText is a calendar's state in a few words.
func healthText(h calendar.FeedStatus) string {
	next := ""
	if h.NextPollAt != nil {
		next = "; next poll " + h.NextPollAt.UTC().Format(time.RFC3339)
	}
	switch {
	case h.FailingSince != nil:
		return fmt.Sprintf("failing since %s (%d polls): %s%s", h.FailingSince.UTC().Format(time.RFC3339), h.Failures, h.LastError, next)
	case h.CheckedAt != nil:
		return "ok, read " + h.CheckedAt.UTC().Format(time.RFC3339) + next
	}
	return "not read yet" + next
}
