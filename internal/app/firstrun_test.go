package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
)

// serve on an empty installation logs what to do next: name an operator,
// add meetings, sign in; once both exist it says nothing.
func TestEmptyInstallationLogsNextSteps(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var log bytes.Buffer
	a := apptest.New(t, t0, apptest.Log(&log), apptest.Config(func(c *app.Config) { c.Operators = nil }))
	if err := a.LogNextSteps(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--operators you@example.com", "meetingd import", "sign in at"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("first-run log lacks %q:\n%s", want, log.String())
		}
	}
	b := apptest.New(t, t0, apptest.Log(&log))
	b.Person("ana@example.com")
	if f, err := b.FirstRun(context.Background()); err != nil || f.NoOperators != false || f.NoMeetings != true {
		t.Fatalf("with an operator and no meetings: %+v %v", f, err)
	}
}
