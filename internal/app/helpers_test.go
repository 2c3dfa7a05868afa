package app_test

import (
	"testing"
	"time"

	"meetingd/internal/apptest"
	"meetingd/internal/web/webtest"
)

type testApp = webtest.App

func newTestApp(t testing.TB, smtpURL string, now time.Time) *testApp {
	t.Helper()
	if smtpURL != "" {
		return webtest.New(t, now, apptest.SMTP(smtpURL))
	}
	return webtest.New(t, now)
}
