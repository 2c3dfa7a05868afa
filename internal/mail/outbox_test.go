package mail_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/dbtest"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/internal/mailtest"
	"meetingd/internal/people"
	"meetingd/templates"
)

// Tuesday 3 November 2026, 10:00 UTC.
var t0 = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

type rig struct {
	db     *db.DB
	clock  *clock.Fake
	outbox *mail.Outbox
	worker *jobs.Worker
	smtp   *mailtest.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := dbtest.Open(t)
	c := clock.NewFake(t0)
	o := &mail.Outbox{Templates: templates.MustLoad(), Clock: c, BaseURL: "https://m.test", Log: log, People: people.Directory{}}
	o.Register("digest", notes{})
	smtp := mailtest.Start(t)
	tr, err := mail.NewSMTPTransport(smtp.URL(), "meetingd <m@m.test>", "m.test")
	if err != nil {
		t.Fatal(err)
	}
	w := jobs.NewWorker(d, c, log)
	w.MaxAttempts = 3
	(&mail.Deliverer{DB: d, Outbox: o, Transport: tr, MaxAttempts: 3}).Register(w)
	return &rig{db: d, clock: c, outbox: o, worker: w, smtp: smtp}
}

func (r *rig) person(t *testing.T, email string, digest bool) mail.Recipient {
	var id int64
	if err := r.db.Get(&id, `INSERT INTO people (email, time_zone, digest, created_at) VALUES (?, 'UTC', ?, ?) RETURNING id`, email, digest, t0); err != nil {
		t.Fatal(err)
	}
	return mail.Recipient{ID: id, Email: email, TimeZone: "UTC", WorkStart: 540, WorkEnd: 1020, WorkDays: 62, Digest: digest}
}

func (r *rig) enqueue(t *testing.T, m mail.Message) bool {
	t.Helper()
	var queued bool
	err := db.InTx(context.Background(), r.db, func(tx *sqlx.Tx) error {
		var err error
		queued, err = r.outbox.Enqueue(context.Background(), tx, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return queued
}

func (r *rig) run(t *testing.T, at time.Time) {
	t.Helper()
	r.clock.Set(at)
	if _, err := r.worker.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// item is the Params of a test email whose words are its subject.
func item(subject string) map[string]string { return map[string]string{"subject": subject} }

// notes composes the test emails: a digest-shaped list of one note, named
// by the email's params.
type notes struct{}

func (notes) Compose(_ context.Context, _ db.Queryer, _, _ string, to []mail.Item) (mail.Composed, error) {
	subject := to[0].Param("subject")
	return mail.Composed{Data: []mail.Item{{Subject: subject, Text: "body of " + subject}}}, nil
}

func TestSameKeyIsSentOnce(t *testing.T) {
	r := newRig(t)
	ben := r.person(t, "ben@example.com", false)
	m := mail.Message{Kind: "digest", SubjectKey: "occurrence:1", To: ben, Params: item("x")}
	if !r.enqueue(t, m) || r.enqueue(t, m) {
		t.Fatal("the same (kind, subject, recipient) was queued twice")
	}
	r.run(t, t0)
	r.run(t, t0.Add(time.Hour))
	if n := len(r.smtp.Messages()); n != 1 {
		t.Fatalf("%d sent", n)
	}
	msg := r.smtp.Messages()[0]
	if msg.Text == "" || msg.HTML == "" || msg.MessageID == "" {
		t.Fatalf("not multipart with a Message-ID: %+v", msg.Header)
	}
}

func TestSMTPFailureRetriesThenGivesUp(t *testing.T) {
	r := newRig(t)
	ben := r.person(t, "ben@example.com", false)
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "a", To: ben, Urgent: true, Params: item("a")})
	r.smtp.FailNext(1)
	r.run(t, t0)
	if len(r.smtp.Messages()) != 0 {
		t.Fatal("sent despite the failure")
	}
	var lastErr string
	r.db.Get(&lastErr, `SELECT last_error FROM outbox`)
	if !strings.Contains(lastErr, "451") {
		t.Fatalf("error not recorded: %q", lastErr)
	}
	r.run(t, t0.Add(2*time.Minute))
	if len(r.smtp.Messages()) != 1 {
		t.Fatal("not retried")
	}
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "b", To: ben, Urgent: true, Params: item("b")})
	r.smtp.FailNext(100)
	for i := 0; i < 10; i++ {
		r.run(t, t0.Add(time.Duration(i)*6*time.Hour))
	}
	var state string
	r.db.Get(&state, `SELECT state FROM outbox WHERE subject_key = 'b'`)
	if state != "failed" {
		t.Fatalf("after every try failed, state %q", state)
	}
}

func TestDigestGathersHeldMail(t *testing.T) {
	r := newRig(t)
	dee := r.person(t, "dee@example.com", true)
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "1", To: dee, Params: item("first")})
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "2", To: dee, Params: item("second")})
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "3", To: dee, Urgent: true, Params: item("urgent")})
	r.run(t, t0.Add(time.Hour))
	if got := len(r.smtp.Messages()); got != 1 {
		t.Fatalf("%d sent before the digest: only the urgent one should go", got)
	}
	r.run(t, time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC))
	msgs := r.smtp.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d sent, want the urgent one and one digest", len(msgs))
	}
	d := msgs[1]
	if !strings.Contains(d.Subject, "2 updates") || !strings.Contains(d.Text, "first") || !strings.Contains(d.Text, "second") {
		t.Fatalf("digest: %s\n%s", d.Subject, d.Text)
	}
}

func TestSMTPURLErrorsHideThePassword(t *testing.T) {
	for _, u := range []string{"http://user:hunter2@host", "smtp://user:hunter2@:25", "smtp://user:hunter2@host:port"} {
		_, err := mail.NewSMTPTransport(u, "a@b.c", "b.c")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// An email's subject reaches the wire on one header line, whatever the
// title it was made from held.
func TestSubjectNeverBreaksAHeader(t *testing.T) {
	smtp := mailtest.Start(t)
	tr, err := mail.NewSMTPTransport(smtp.URL(), "meetingd <m@example.com>", "example.com")
	if err != nil {
		t.Fatal(err)
	}
	it := mail.Item{ID: 1, Kind: "k", To: "ben@example.com", Subject: "Sync\r\nBcc: mallory@evil.example", Text: "t", HTML: "<p>t</p>", CreatedAt: t0}
	if err := tr.Send(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	m := smtp.Messages()[0]
	if len(m.To) != 1 || m.Header.Get("Bcc") != "" || !strings.HasPrefix(m.Subject, "Sync") {
		t.Fatalf("to %v, Bcc %q, subject %q", m.To, m.Header.Get("Bcc"), m.Subject)
	}
}
