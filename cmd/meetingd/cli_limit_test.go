package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// outbox and schedule refuse a count outside 1..500 with a usage error
// naming it, instead of showing every row (a negative LIMIT means none in
// SQLite) or none.
func TestCLIListCountOutsideRangeIsRefused(t *testing.T) {
	dbPath := tempDB(t)
	// outbox and schedule only read: the database must exist already.
	if err := run(context.Background(), []string{"token", "create", "--db", dbPath, "--email", "ops@example.com"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"outbox", "schedule"} {
		for _, n := range []string{"-5", "0", "501", "999999"} {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{cmd, "--db", dbPath, "-n", n}, &stdout, &stderr)
			if err == nil || exitCode(err) != 2 || !strings.Contains(errMessage(err), "-n "+n+": show from 1 to 500") {
				t.Errorf("%s -n %s: exit %d, %v; want exit 2 saying from 1 to 500", cmd, n, exitCode(err), err)
			}
			if stdout.Len() != 0 {
				t.Errorf("%s -n %s printed %q", cmd, n, stdout.String())
			}
		}
		for _, n := range []string{"1", "500"} {
			if err := run(context.Background(), []string{cmd, "--db", dbPath, "-n", n}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
				t.Errorf("%s -n %s: %v", cmd, n, err)
			}
		}
	}
}
