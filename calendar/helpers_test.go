package calendar_test

import (
	"testing"
	"time"

	"meetingd/internal/apptest"
)

// Monday 2 November 2026, 10:00 UTC.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func newTestApp(t testing.TB, smtpURL string, now time.Time) *apptest.App {
	t.Helper()
	if smtpURL != "" {
		return apptest.New(t, now, apptest.SMTP(smtpURL))
	}
	return apptest.New(t, now)
}
