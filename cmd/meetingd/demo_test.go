package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demo --db writes a new file (internal/demo plays the week itself): it
// never writes into a database that exists, nor into PostgreSQL.
func TestDemoRefusesAnExistingDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "team.db")
	if err := os.WriteFile(path, []byte("not mine to overwrite"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dsn := range []string{path, "postgres://postgres@127.0.0.1:5432/meetingd_test"} {
		err := run(context.Background(), []string{"demo", "--db", dsn}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || exitCode(err) != 2 {
			t.Errorf("demo --db %s: %v", dsn, err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "not mine to overwrite" {
		t.Fatal("the refused demo touched the existing file")
	}
	err := run(context.Background(), []string{"demo", "--db", path}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(errMessage(err), "exists") {
		t.Fatalf("the refusal does not say why: %v", err)
	}
}
