package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"meetingd/internal/clock"
)

// The CLI answers bad input with a message naming the problem and a
// non-zero exit, and changes nothing.
func TestCLIRefusesBadInput(t *testing.T) {
	dbPath := tempDB(t)
	bad := t.TempDir() + "/bad.ics"
	os.WriteFile(bad, []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261301T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), 0o600)
	badJSON := t.TempDir() + "/bad.json"
	os.WriteFile(badJSON, []byte(`{"title": "x", "start": "soon"}`), 0o600)
	cases := []struct {
		args []string
		code int
		says string
	}{
		{nil, 2, "no command"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"import", "--db", dbPath}, 2, "one ICS file"},
		{[]string{"import", "--db", dbPath, "/does/not/exist.ics"}, 1, "no such file"},
		{[]string{"import", "--db", dbPath, bad}, 1, "line 5"},
		{[]string{"publish", "--db", dbPath, "twelve"}, 2, "not an occurrence id"},
		{[]string{"publish", "--db", dbPath, "999"}, 1, "no occurrence 999"},
		{[]string{"attendance", "--db", dbPath, "1", "ben@example.com"}, 2, "attendance takes"},
		{[]string{"event", "create", "--db", dbPath, badJSON}, 1, "bad.json"},
		{[]string{"event", "cancel", "--db", dbPath, "nope"}, 1, "no event"},
		{[]string{"token", "create", "--db", dbPath}, 2, "--email"},
		{[]string{"token", "create", "--db", dbPath, "--email", "not-an-address"}, 1, "not an email address"},
		{[]string{"person", "--db", dbPath, "--email", "a@example.com", "--tz", "Nowhere/Land"}, 1, "IANA"},
		{[]string{"schedule", "--db", dbPath, "--lead", "2h"}, 1, "below the minimum of 24h"},
		{[]string{"serve", "--db", dbPath, "--base-url", "localhost"}, 1, "--base-url"},
		{[]string{"serve", "--db", dbPath, "--smtp", "ftp://x"}, 1, "smtp or smtps"},
		{[]string{"outbox", "--db", dbPath, "--reminders", "soon"}, 1, "--reminders"},
		{[]string{"schedule", "--db", dbPath, "--no-such-flag"}, 2, "not defined"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		if err == nil {
			t.Errorf("%v succeeded", c.args)
			continue
		}
		msg := errMessage(err)
		if exitCode(err) != c.code || !strings.Contains(msg+stderr.String(), c.says) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", c.args, exitCode(err), msg, c.code, c.says)
		}
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"schedule", "--db", dbPath}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String(), "occurrence") || strings.Contains(stdout.String(), "email.") {
		t.Fatalf("refused commands left something scheduled:\n%s", stdout.String())
	}
}

// The CLI's happy path: import, schedule as a table and JSON, publish,
// attendance and outbox.
func TestCLIWorkflow(t *testing.T) {
	cliClock = clock.NewFake(octT0)
	defer func() { cliClock = clock.Real{} }()
	dbPath := tempDB(t)
	do := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(context.Background(), append(args[:1:1], append([]string{"--db", dbPath}, args[1:]...)...), &out, &errb); err != nil {
			t.Fatalf("%v: %v %s", args, err, errb.String())
		}
		return out.String()
	}
	if out := do("import", "../../internal/app/testdata/team.ics"); !strings.Contains(out, "skipped") {
		t.Fatalf("import: %s", out)
	}
	table := do("schedule", "-n", "100")
	if !strings.Contains(table, "preread.deadline") || !strings.Contains(table, "Weekly team sync") {
		t.Fatalf("schedule table:\n%s", table)
	}
	if js := do("schedule", "--json"); !strings.HasPrefix(strings.TrimSpace(js), "[") || !strings.Contains(js, `"kind"`) {
		t.Fatalf("schedule --json:\n%s", js)
	}
	if out := do("publish", "1", "--text", "Read the roadmap"); !strings.Contains(out, "pre-read ready") {
		t.Fatalf("publish: %s", out)
	}
	if out := do("attendance", "1", "chen@example.com", "async"); !strings.Contains(out, `attendance "async"`) {
		t.Fatalf("attendance: %s", out)
	}
	if out := do("outbox", "--full"); !strings.Contains(out, "Pre-read: Weekly team sync") || !strings.Contains(out, "Read the roadmap") {
		t.Fatalf("outbox:\n%s", out)
	}
}

func TestCLIDecisionsAndActionItems(t *testing.T) {
	cliClock = clock.NewFake(crashT0)
	defer func() { cliClock = clock.Real{} }()
	dbPath := tempDB(t)
	do := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(context.Background(), append(args, "--db", dbPath), &out, &errb)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := do(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	must("person", "--email", "ana@example.com", "--tz", "Europe/Berlin")
	must("person", "--email", "ben@example.com")
	if _, err := do("decision", "create", "--as", "ana@example.com", "--title", "T", "--proposal", "P", "--window", "1h"); err == nil || !strings.Contains(errMessage(err), "minimum of 24h") {
		t.Fatalf("short window: %v", err)
	}
	if out := must("decision", "create", "--as", "ana@example.com", "--title", "Ship it", "--proposal", "Now.", "--invite", "ben@example.com"); !strings.Contains(out, "decision 1 open until") {
		t.Fatalf("create: %s", out)
	}
	if out := must("decision", "object", "1", "--as", "ben@example.com", "--text", "Tests first."); !strings.Contains(out, "(object)") {
		t.Fatalf("object: %s", out)
	}
	if out := must("decision", "list"); !strings.Contains(out, "Ship it") {
		t.Fatalf("list: %s", out)
	}
	if _, err := do("decision", "outcome", "1", "accepted", "--as", "ana@example.com", "--text", "x"); err == nil || !strings.Contains(errMessage(err), "contested") {
		t.Fatalf("outcome while open: %v", err)
	}
	if _, err := do("action", "add", "1", "--owner", "ben@example.com", "--text", "Write tests"); err == nil || !strings.Contains(errMessage(err), "due is required") {
		t.Fatalf("action without due: %v", err)
	}
}
