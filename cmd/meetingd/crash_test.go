package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"meetingd/calendar"
	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/mail"
	"meetingd/internal/mailtest"
	"meetingd/internal/people"
)

// Monday 2 November 2026, 10:00 UTC: working hours for everyone in UTC.
var crashT0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

const crashAttendees = 6

// TestCrashDeliversEveryEmailOnce stops a real scheduler process (SIGKILL)
// between claiming work and finishing it, restarts it, and checks every due
// email reaches the SMTP server once: none lost, and none repeated beyond
// the one in flight when the process died.
func TestCrashDeliversEveryEmailOnce(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		maxDups int
	}{
		{"after-claim", 0},      // claimed, nothing sent
		{"after-first-send", 1}, // one email sent, its row not yet marked
	} {
		t.Run(tc.mode, func(t *testing.T) {
			smtp := mailtest.Start(t)
			dbPath := tempDB(t)
			queueCrashMail(t, dbPath, smtp.URL())

			child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
			child.Env = append(os.Environ(), "MEETINGD_CRASH_MODE="+tc.mode, "MEETINGD_CRASH_DB="+dbPath,
				"MEETINGD_CRASH_SMTP="+smtp.URL())
			out, err := child.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed mid-work: %v\n%s", err, out)
			}
			sentBefore := len(smtp.Messages())

			// Restart after the lease has run out.
			ta := apptest.New(t, crashT0, apptest.DB(dbPath), apptest.SMTP(smtp.URL()))
			ta.At(crashT0.Add(ta.Worker.Lease + time.Second))
			ta.At(crashT0.Add(ta.Worker.Lease + time.Hour))

			byTo := map[string][]mailtest.Message{}
			for _, m := range smtp.Messages() {
				byTo[m.To[0]] = append(byTo[m.To[0]], m)
			}
			dups := 0
			for i := 0; i < crashAttendees; i++ {
				who := fmt.Sprintf("p%d@example.com", i)
				got := byTo[who]
				if len(got) == 0 {
					t.Errorf("%s never got the pre-read: lost in the crash", who)
				}
				for _, m := range got[1:] {
					dups++
					if m.MessageID != got[0].MessageID {
						t.Errorf("a resend to %s has a new Message-ID", who)
					}
				}
			}
			if dups > tc.maxDups {
				t.Errorf("%d emails repeated, at most %d allowed (sent before the crash: %d)", dups, tc.maxDups, sentBefore)
			}
			var pending int
			ta.DB.Get(&pending, `SELECT COUNT(*) FROM outbox WHERE state <> 'sent'`)
			if pending != 0 {
				t.Errorf("%d emails not marked sent after restart", pending)
			}
		})
	}
}

// queueCrashMail stores a published meeting whose pre-read emails are due.
func queueCrashMail(t *testing.T, dbPath, smtpURL string) {
	ta := apptest.New(t, crashT0, apptest.DB(dbPath), apptest.SMTP(smtpURL))
	in := calendar.EventInput{Title: "Crash test", Start: crashT0.Add(48 * time.Hour), End: crashT0.Add(49 * time.Hour),
		TimeZone: "UTC", Organizer: "p0@example.com"}
	for i := 0; i < crashAttendees; i++ {
		in.Attendees = append(in.Attendees, calendar.AttendeeInput{Email: fmt.Sprintf("p%d@example.com", i)})
	}
	if _, _, err := ta.Calendar.Create(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var id int64
	ta.DB.Get(&id, `SELECT id FROM occurrences`)
	text := "Read this."
	if _, err := ta.Meetings.Publish(context.Background(), people.Actor{Operator: true}, id, &text); err != nil {
		t.Fatal(err)
	}
	ta.Close()
}

// TestCrashChild is the scheduler process that dies; it runs only when
// TestCrashDeliversEveryEmailOnce starts it.
func TestCrashChild(t *testing.T) {
	mode := os.Getenv("MEETINGD_CRASH_MODE")
	if mode == "" {
		t.Skip("run by TestCrashDeliversEveryEmailOnce")
	}
	die := func() { syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }
	// Dying as the first email is handed over, before it is sent, is
	// dying with a batch claimed and nothing done.
	dying := func(c *app.Config) {
		base, _ := url.Parse(c.BaseURL)
		smtp, err := mail.NewSMTPTransport(os.Getenv("MEETINGD_CRASH_SMTP"), c.From, base.Hostname())
		if err != nil {
			t.Fatal(err)
		}
		c.Transport = dieOnSend{Transport: smtp, die: die, after: mode == "after-first-send"}
	}
	ta := apptest.New(t, crashT0, apptest.DB(os.Getenv("MEETINGD_CRASH_DB")), apptest.Config(dying))
	ta.At(crashT0.Add(time.Second))
	t.Fatal("the child finished its work without dying")
}

// dieOnSend kills the process at the first email, before or after it is
// sent.
type dieOnSend struct {
	mail.Transport
	die   func()
	after bool
}

func (d dieOnSend) Send(ctx context.Context, it mail.Item) error {
	if !d.after {
		d.die()
	}
	if err := d.Transport.Send(ctx, it); err != nil {
		return err
	}
	d.die()
	return nil
}
