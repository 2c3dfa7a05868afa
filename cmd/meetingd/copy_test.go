package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"meetingd/internal/clock"
	"meetingd/internal/dbtest"
)

// A SQLite installation copied to PostgreSQL serves the same meetings,
// emails and schedule there, keeps numbering after its highest ids, and a
// second copy into the now non-empty database is refused.
func TestCopySQLiteToPostgres(t *testing.T) {
	dbtest.OnlyPostgres(t)
	cliClock = clock.NewFake(octT0)
	defer func() { cliClock = clock.Real{} }()
	file := filepath.Join(t.TempDir(), "meetingd.db")
	pg := dbtest.DSN(t)
	// --db goes after the command and, for decision, its verb.
	do := func(dsn string, args ...string) (string, error) {
		at := 1
		if args[0] == "decision" {
			at = 2
		}
		var out, errb bytes.Buffer
		err := run(context.Background(), append(args[:at:at], append([]string{"--db", dsn}, args[at:]...)...), &out, &errb)
		return out.String() + errb.String(), err
	}
	must := func(dsn string, args ...string) string {
		t.Helper()
		out, err := do(dsn, args...)
		if err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
		return out
	}
	must(file, "import", "../../internal/app/testdata/team.ics")
	must(file, "publish", "1", "--text", "Read the roadmap")
	must(file, "decision", "create", "--as", "ana@example.com", "--title", "Adopt the plan", "--proposal", "Yes.")
	before := must(file, "outbox", "--full") + must(file, "schedule", "-n", "500")

	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"copy", "--from", file, "--to", pg}, &out, &errb); err != nil {
		t.Fatalf("copy: %v %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "every table's count matches") || !strings.Contains(out.String(), "occurrences") {
		t.Fatalf("copy said:\n%s", out.String())
	}
	if after := must(pg, "outbox", "--full") + must(pg, "schedule", "-n", "500"); after != before {
		t.Fatalf("PostgreSQL shows\n%s\nwhere the file showed\n%s", after, before)
	}
	// New rows take ids after the copied ones.
	if out := must(pg, "decision", "create", "--as", "ana@example.com", "--title", "Second", "--proposal", "Also."); !strings.Contains(out, "decision 2 open") {
		t.Fatalf("a new decision on PostgreSQL: %s", out)
	}
	out.Reset()
	errb.Reset()
	err := run(context.Background(), []string{"copy", "--from", file, "--to", pg}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a second copy: %v %s", err, out.String())
	}
}

// copy refuses what it cannot do with a message naming the flag.
func TestCopyRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"copy"}, "--from FILE.db and --to"},
		{[]string{"copy", "--from", "a.db", "--to", "b.db"}, `--to "b.db" is not a postgres:// URL`},
		{[]string{"copy", "--from", "postgres://x/y", "--to", "postgres://x/z"}, "--from is the SQLite file"},
		{[]string{"copy", "--from", "/no/such.db", "--to", "postgres://u:secret@127.0.0.1:1/x"}, "--from"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
