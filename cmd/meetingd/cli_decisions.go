package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"meetingd/decisions"
	"meetingd/internal/app"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// asPerson resolves --as to an actor: contributions have an author.
func asPerson(ctx context.Context, a *app.App, email string) (people.Actor, error) {
	if email == "" {
		return people.Actor{}, usageError{"--as EMAIL is required: say who acts"}
	}
	p, err := people.ByEmail(ctx, a.DB, email)
	if err != nil {
		return people.Actor{}, err
	}
	return p.Actor(), nil
}

func decisionArg(fs *flag.FlagSet, want int, usage string) (int64, error) {
	if fs.NArg() != want {
		return 0, usageError{usage}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Sprintf("%q is not a decision id; `meetingd decision list` lists them", fs.Arg(0))}
	}
	return id, nil
}

// cmdDecision: create, list, show, support|object|comment, outcome, withdraw.
func cmdDecision(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"decision takes create, list, show, support, object, comment, outcome or withdraw"}
	}
	verb := args[0]
	var as, title, proposal, invite, text, state string
	var occurrence int64
	return withApp(ctx, "decision "+verb, reorder(args[1:]), stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&as, "as", "", "who acts (the owner, for create, outcome and withdraw)")
		fs.StringVar(&title, "title", "", "create: what is decided, in a line")
		fs.StringVar(&proposal, "proposal", "", "create: the proposal")
		fs.StringVar(&invite, "invite", "", "create: comma-separated emails to invite besides the occurrence's attendees")
		fs.Int64Var(&occurrence, "occurrence", 0, "create: the occurrence it came from")
		fs.StringVar(&text, "text", "", "support/object/comment: why; outcome/withdraw: the rationale")
		fs.StringVar(&state, "state", "", "list: only this state")
	}, func(a *app.App, fs *flag.FlagSet) error {
		switch verb {
		case "create":
			actor, err := asPerson(ctx, a, as)
			if err != nil {
				return err
			}
			// --window, shared with serve, says how long it stays open.
			in := decisions.Input{Title: title, Proposal: proposal, Window: a.Cfg.Window.String()}
			for _, e := range strings.Split(invite, ",") {
				if e = strings.TrimSpace(e); e != "" {
					in.Invitees = append(in.Invitees, e)
				}
			}
			d, err := a.Meetings.OpenDecision(ctx, actor, occurrence, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "decision %d open until %s\n", d.ID, d.ClosesAt.Format(time.RFC3339))
			return nil
		case "list":
			list, err := a.Decisions.List(ctx, cliActor, decisions.Filter{State: state}, nil, 100)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tCLOSES (UTC)\tOWNER\tTITLE")
			for _, d := range list {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.ID, d.State, d.ClosesAt.Format("2006-01-02 15:04"), d.OwnerEmail, d.Title)
			}
			return tw.Flush()
		case "show":
			id, err := decisionArg(fs, 1, "decision show takes a decision id")
			if err != nil {
				return err
			}
			v, err := a.Decisions.Get(ctx, cliActor, id)
			if err != nil {
				return err
			}
			return printJSON(stdout, v)
		case decisions.Support, decisions.Object, decisions.Comment, "outcome", "withdraw":
			return decisionAct(ctx, a, fs, verb, as, text, stdout)
		}
		return usageError{fmt.Sprintf("unknown decision command %q", verb)}
	})
}

func decisionAct(ctx context.Context, a *app.App, fs *flag.FlagSet, verb, as, text string, stdout io.Writer) error {
	want, usage := 1, "decision "+verb+" takes a decision id: meetingd decision "+verb+" ID --as EMAIL [--text WHY]"
	if verb == "outcome" {
		want, usage = 2, "decision outcome takes: ID accepted|rejected|deferred --as OWNER --text RATIONALE"
	}
	id, err := decisionArg(fs, want, usage)
	if err != nil {
		return err
	}
	actor, err := asPerson(ctx, a, as)
	if err != nil {
		return err
	}
	switch verb {
	case "outcome":
		d, err := a.Decisions.RecordOutcome(ctx, actor, id, fs.Arg(1), text)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "decision %d: %s\n", d.ID, d.State)
	case "withdraw":
		d, err := a.Decisions.Withdraw(ctx, actor, id, text)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "decision %d: %s\n", d.ID, d.State)
	default:
		c, err := a.Decisions.Contribute(ctx, actor, id, verb, text)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "contribution %d (%s) to decision %d recorded\n", c.ID, c.Kind, id)
	}
	return nil
}

// cmdAction: add, done, undone, list.
func cmdAction(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"action takes add, done, undone or list"}
	}
	verb := args[0]
	var owner, text, due string
	var all bool
	return withApp(ctx, "action "+verb, reorder(args[1:]), stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&owner, "owner", "", "add/list: whose action item (email)")
		fs.StringVar(&text, "text", "", "add: what is to be done")
		fs.StringVar(&due, "due", "", "add: when, as RFC 3339 (2026-12-01T17:00:00+01:00) or a date (2026-12-01, end of the owner's day)")
		fs.BoolVar(&all, "all", false, "list: done ones too")
	}, func(a *app.App, fs *flag.FlagSet) error {
		switch verb {
		case "add":
			id, err := occurrenceArg(fs, 1, "action add takes an occurrence id: meetingd action add ID --owner EMAIL --text WHAT --due WHEN")
			if err != nil {
				return err
			}
			when, err := parseDue(ctx, a, owner, due)
			if err != nil {
				return err
			}
			it, err := a.Meetings.AddActionItem(ctx, cliActor, id, meetings.ActionItemInput{Owner: owner, Text: text, Due: when})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "action item %d for %s, due %s\n", it.ID, it.OwnerEmail, it.DueAt.Format(time.RFC3339))
			return nil
		case "done", "undone":
			if fs.NArg() != 1 {
				return usageError{"action " + verb + " takes an action item id"}
			}
			id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
			if err != nil {
				return usageError{fmt.Sprintf("%q is not an action item id", fs.Arg(0))}
			}
			it, err := a.Meetings.SetActionItemDone(ctx, cliActor, id, verb == "done")
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "action item %d: done=%v\n", it.ID, it.DoneAt != nil)
			return nil
		case "list":
			p, err := people.ByEmail(ctx, a.DB, owner)
			if err != nil {
				return err
			}
			items, err := a.Meetings.ActionItemsOf(ctx, p.ID, all, nil, 200)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tDUE (UTC)\tDONE\tTEXT")
			for _, it := range items {
				fmt.Fprintf(tw, "%d\t%s\t%v\t%s\n", it.ID, it.DueAt.Format("2006-01-02 15:04"), it.DoneAt != nil, it.Text)
			}
			return tw.Flush()
		}
		return usageError{fmt.Sprintf("unknown action command %q", verb)}
	})
}

// parseDue reads --due: a full time, or a date meaning the end of the
// owner's working day in their zone.
func parseDue(ctx context.Context, a *app.App, owner, due string) (time.Time, error) {
	if due == "" || owner == "" {
		return time.Time{}, nil // AddActionItem names what is missing
	}
	if t, err := time.Parse(time.RFC3339, due); err == nil {
		return t, nil
	}
	day, err := time.Parse("2006-01-02", due)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--due %q is neither RFC 3339 nor a date like 2026-12-01", due)}
	}
	p, err := people.Ensure(ctx, a.DB, owner, "", "", a.Clock.Now())
	if err != nil {
		return time.Time{}, err
	}
	return p.EndOfWorkday(day), nil
}
