package demo_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/demo"
)

// The demo's week, played on a fake clock: the story lines stand apart from
// the emails (indented), the decision ends accepted after Ben's late
// objection, and the week stays in the given file with the way to open it.
func TestDemoPlaysItsWeekIntoTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.db")
	var out bytes.Buffer
	c := clock.NewFake(time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC))
	if err := demo.Play(context.Background(), app.Defaults(), c, 7*24*time.Hour, 10*time.Minute, path, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"Ana publishes the pre-read", "Ben objects to", "Ana records the outcome",
		"attendance of", "\n[", "  email to ", "meetingd serve --db " + path} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	d, err := db.Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var people, occurrences, accepted int
	d.Get(&people, `SELECT COUNT(*) FROM people`)
	d.Get(&occurrences, `SELECT COUNT(*) FROM occurrences`)
	d.Get(&accepted, `SELECT COUNT(*) FROM decisions WHERE state = 'accepted'`)
	if people < 5 || occurrences == 0 || accepted != 1 {
		t.Fatalf("the kept week holds %d people, %d occurrences, %d accepted decisions", people, occurrences, accepted)
	}
}
