package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"meetingd/internal/db"
)

// -h and --help are asked for: usage on stdout and exit 0, with only the
// flags the command uses.
func TestCLIHelpSucceedsOnStdout(t *testing.T) {
	for _, args := range [][]string{{"schedule", "--help"}, {"outbox", "-h"}, {"decision", "--help"},
		{"decision", "create", "-h"}, {"publish", "--help"}, {"copy", "-h"}, {"serve", "-h"}, {"event", "-h"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Errorf("%v: %v (exit %d)", args, err, exitCode(err))
			continue
		}
		if stdout.Len() == 0 || stderr.Len() != 0 {
			t.Errorf("%v: stdout %q, stderr %q", args, stdout.String(), stderr.String())
		}
		if args[0] != "serve" && strings.Contains(stdout.String(), "-smtp") {
			t.Errorf("%v lists the server's flags:\n%s", args, stdout.String())
		}
		if args[0] == "serve" && !strings.Contains(stdout.String(), "-smtp") {
			t.Errorf("serve -h hides its flags:\n%s", stdout.String())
		}
	}
}

// Commands that only look refuse a database that is not there, and create
// nothing.
func TestCLILookingCreatesNoDatabase(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo.db")
	for _, cmd := range []string{"schedule", "outbox"} {
		err := run(context.Background(), []string{cmd, "--db", missing}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(errMessage(err), "no database at") {
			t.Errorf("%s on a missing database: %v", cmd, err)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("%s created %s", cmd, missing)
		}
	}
}

// Only serve (or a command given --operators) sets operators: a plain
// command leaves them as they are. Lists in JSON are [] when empty, and
// a cut-short schedule says so.
func TestCLIKeepsOperatorsAndSaysWhatItShows(t *testing.T) {
	dsn := tempDB(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--db", dsn, "--operators", "ops@example.com", "--email", "ana@example.com"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"outbox", "--db", dsn, "--json"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("empty outbox --json: %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"decision", "create", "--db", dsn, "--as", "ana@example.com", "--title", "Adopt Go",
		"--proposal", "Write the service in Go.", "--invite", "ben@example.com"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var steps []map[string]any
	out.Reset()
	if err := run(context.Background(), []string{"schedule", "--db", dsn, "--json", "-n", "500"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &steps); err != nil || len(steps) < 2 {
		t.Fatalf("a new database should have its standing steps scheduled: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"schedule", "--db", dsn, "-n", "1"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "the first 1 steps; -n shows more") {
		t.Fatalf("schedule cut short without saying so:\n%s", out.String())
	}
	d, err := db.Open(context.Background(), dsn, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Get(&n, d.Rebind(`SELECT COUNT(*) FROM people WHERE email = ? AND operator`), "ops@example.com"); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("a plain schedule removed the operator")
	}
}
