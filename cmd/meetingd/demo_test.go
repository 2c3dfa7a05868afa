package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"meetingd/internal/db"
)

// demo --db keeps the demo's week in a new file and says how to open it;
// it never writes into a database that exists.
func TestDemoKeepsItsWeekInTheGivenFile(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo plays two virtual days on an accelerated clock")
	}
	path := filepath.Join(t.TempDir(), "demo.db")
	var out bytes.Buffer
	// Two virtual days at two days a second: about a second of real time.
	if err := run(context.Background(), []string{"demo", "--db", path, "--length", "48h", "--speed", "48h"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "meetingd serve --db "+path) {
		t.Fatalf("the demo does not say how to open its week:\n%s", out.String())
	}
	d, err := db.Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var people, occurrences int
	d.Get(&people, `SELECT COUNT(*) FROM people`)
	d.Get(&occurrences, `SELECT COUNT(*) FROM occurrences`)
	d.Close()
	if people < 5 || occurrences == 0 {
		t.Fatalf("the kept database holds %d people and %d occurrences", people, occurrences)
	}
	before, _ := os.Stat(path)
	err = run(context.Background(), []string{"demo", "--db", path, "--length", "48h", "--speed", "48h"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(errMessage(err), "exists") {
		t.Fatalf("demo over an existing database: %v", err)
	}
	if after, _ := os.Stat(path); after.ModTime() != before.ModTime() || after.Size() != before.Size() {
		t.Fatal("the refused demo touched the existing database")
	}
}
