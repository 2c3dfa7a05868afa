package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"meetingd/decisions"
	"meetingd/internal/apptest"
	"meetingd/internal/dbtest"
	"meetingd/internal/mailtest"
	"meetingd/internal/people"
)

// Two `meetingd serve` replicas share one PostgreSQL database and one SMTP
// server. One is killed (SIGKILL) midway through the delivery: every email
// still arrives, and at most the one in flight twice, with its Message-ID.
func TestTwoReplicasDeliverEveryEmailThoughOneDies(t *testing.T) {
	dbtest.OnlyPostgres(t)
	const emails = 300
	smtp := mailtest.Start(t)
	smtp.Delay = 5 * time.Millisecond // long enough a delivery to die in the middle of
	dsn := tempDB(t)
	queueReplicaMail(t, dsn, emails)

	a, b := startReplica(t, dsn, smtp.URL()), startReplica(t, dsn, smtp.URL())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := smtp.WaitFor(ctx, func(ms []mailtest.Message) bool { return len(ms) >= emails/3 }); err != nil {
		t.Fatal(err)
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	distinct := func(ms []mailtest.Message) int {
		ids := map[string]bool{}
		for _, m := range ms {
			ids[m.MessageID] = true
		}
		return len(ids)
	}
	if err := smtp.WaitFor(ctx, func(ms []mailtest.Message) bool { return distinct(ms) >= emails }); err != nil {
		t.Fatalf("%v\nthe surviving replica said:\n%s", err, b.out.String())
	}
	b.stop(t)
	ms := smtp.Messages()
	if got := distinct(ms); got != emails {
		t.Fatalf("%d distinct emails, want %d", got, emails)
	}
	if dups := len(ms) - emails; dups > 1 {
		t.Fatalf("%d emails went twice; one kill may repeat only the one in flight", dups)
	}
}

// queueReplicaMail opens a decision whose invitations are n emails due now.
func queueReplicaMail(t *testing.T, dsn string, n int) {
	ta := apptest.New(t, time.Now(), apptest.DB(dsn))
	ctx := context.Background()
	allDay := people.Patch{WorkStart: ptr("00:00"), WorkEnd: ptr("23:59"),
		WorkDays: &[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}}
	var invitees []string
	for i := range n {
		p := ta.Person(fmt.Sprintf("r%d@example.com", i))
		if _, err := people.Update(ctx, ta.DB, p.ID, allDay); err != nil {
			t.Fatal(err)
		}
		invitees = append(invitees, p.Email)
	}
	owner := ta.Person("owner@example.com").Actor()
	for len(invitees) > 0 { // a decision invites at most 200
		part := invitees[:min(150, len(invitees))]
		invitees = invitees[len(part):]
		if _, err := ta.Decisions.Create(ctx, owner, decisions.Input{Title: "Replicas", Proposal: "Deliver these.", Invitees: part}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ta.Close()
}

func ptr[T any](v T) *T { return &v }

type replica struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

// startReplica runs `meetingd serve` in a process of its own (this test
// binary, as TestReplicaChild).
func startReplica(t *testing.T, dsn, smtpURL string) *replica {
	t.Helper()
	r := &replica{out: &bytes.Buffer{}}
	r.cmd = exec.Command(os.Args[0], "-test.run=^TestReplicaChild$")
	r.cmd.Env = append(os.Environ(), "MEETINGD_REPLICA_ARGS_DB="+dsn, "MEETINGD_REPLICA_ARGS_SMTP="+smtpURL)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
	return r
}

func (r *replica) stop(t *testing.T) {
	r.cmd.Process.Signal(syscall.SIGTERM)
	if err := r.cmd.Wait(); err != nil {
		t.Errorf("replica stopped with %v:\n%s", err, r.out.String())
	}
}

// TestReplicaChild is one `meetingd serve`; it runs only when started by
// TestTwoReplicasDeliverEveryEmailThoughOneDies.
func TestReplicaChild(t *testing.T) {
	dsn := os.Getenv("MEETINGD_REPLICA_ARGS_DB")
	if dsn == "" {
		t.Skip("run by TestTwoReplicasDeliverEveryEmailThoughOneDies")
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve", "--db", dsn, "--smtp", os.Getenv("MEETINGD_REPLICA_ARGS_SMTP"),
		"--addr", "127.0.0.1:0", "--poll", "1s"}, &out, &errb)
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, errb.String())
	}
}
