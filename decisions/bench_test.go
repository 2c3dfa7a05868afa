package decisions_test

import (
	"fmt"
	"testing"
	"time"

	"meetingd/internal/apptest"
	"meetingd/internal/floor"
	"meetingd/internal/jobs"
)

// BenchmarkClose10kOf1M closes 10,000 decisions that fall due at the same
// moment while 990,000 others stay open, queueing a closed email to each of
// their three invitees (decisions/s), then delivers those 30,000 emails to
// the local outbox (emails/s):
//
//	go test ./decisions -run '^$' -bench Close10kOf1M -benchtime 3x
func BenchmarkClose10kOf1M(b *testing.B) {
	const stored, due = 1_000_000, 10_000
	a := apptest.New(b, t0) // mail stays in the local outbox
	h := &harness{App: a, t: b, svc: a.Decisions}
	owner := h.person("ana@example.com").PersonID
	invitees := []int64{owner, h.person("ben@example.com").PersonID, h.person("cy@example.com").PersonID}
	closeAt := t0.Add(7 * 24 * time.Hour)
	tx := h.DB.MustBegin()
	dec, _ := tx.Preparex(`INSERT INTO decisions (id, owner_id, title, proposal, opens_at, closes_at, created_at, updated_at)
		VALUES (?, ?, ?, 'Proposal.', ?, ?, ?, ?)`)
	inv, _ := tx.Preparex(`INSERT INTO decision_invitees (decision_id, person_id) VALUES (?, ?)`)
	job, _ := tx.Preparex(`INSERT INTO jobs (kind, subject, due_at, run_at, created_at, updated_at) VALUES ('decision.close', ?, ?, ?, ?, ?)`)
	for i := 1; i <= stored; i++ {
		at := closeAt
		if i > due {
			at = closeAt.Add(time.Duration(i) * time.Minute)
		}
		dec.MustExec(i, owner, fmt.Sprintf("Decision %d", i), t0, at, t0, t0)
		job.MustExec(fmt.Sprintf("decision:%d", i), at, at, t0, t0)
		if i <= due {
			for _, p := range invitees {
				inv.MustExec(i, p)
			}
		} else {
			inv.MustExec(i, owner)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	w := h.Worker
	h.Clock.Set(closeAt)
	var closing, delivering time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 {
			b.StopTimer()
			h.DB.MustExec(`UPDATE decisions SET state = 'open', closed_at = NULL, decided_at = NULL WHERE id <= ?`, due)
			h.DB.MustExec(`DELETE FROM outbox`)
			h.DB.MustExec(`DELETE FROM jobs WHERE kind = 'email.send'`)
			h.DB.MustExec(`UPDATE jobs SET state = 'pending', run_at = due_at WHERE kind = 'decision.close' AND due_at = ?`, closeAt)
			b.StartTimer()
		}
		start := time.Now()
		if _, err := w.RunDueIn(ctx, jobs.Steps); err != nil {
			b.Fatal(err)
		}
		closing += time.Since(start)
		start = time.Now()
		if _, err := w.RunDueIn(ctx, jobs.Bulk); err != nil {
			b.Fatal(err)
		}
		delivering += time.Since(start)
	}
	b.StopTimer()
	var accepted, sent int
	h.DB.Get(&accepted, `SELECT COUNT(*) FROM decisions WHERE state = 'accepted'`)
	h.DB.Get(&sent, `SELECT COUNT(*) FROM outbox WHERE state = 'kept'`)
	if accepted != due || sent != 3*due {
		b.Fatalf("accepted %d, emails delivered %d", accepted, sent)
	}
	floorRate := floor.SQLiteClaim(b, stored, due, 500)
	b.ReportMetric(float64(due*b.N)/closing.Seconds(), "decisions/s")
	b.ReportMetric(float64(3*due*b.N)/delivering.Seconds(), "emails/s")
	b.ReportMetric(floorRate, "floor-closes/s")
	b.ReportMetric(float64(due*b.N)/closing.Seconds()/floorRate, "x-floor")
}
