package mail_test

import (
	"strings"
	"testing"
	"time"

	"meetingd/internal/mail"
	"meetingd/internal/mailtest"
)

// Emails to one person falling due minutes apart go as one, whose subject
// says how many things it holds; urgent mail still goes alone; each row is
// recorded as sent.
func TestEmailsDueTogetherAreCombined(t *testing.T) {
	r := newRig(t)
	ben := r.person(t, "ben@example.com", false)
	cy := r.person(t, "cy@example.com", false)
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "a", To: ben, Params: item("Notes: Weekly sync")})
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "b", To: ben, Params: item("Closing soon: Adopt Go")})
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "c", To: ben, Params: item("Urgent thing"), Urgent: true})
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "a", To: cy, Params: item("Notes: Weekly sync")})
	r.clock.Set(t0.Add(3 * time.Minute)) // a third, due three minutes later, joins them
	r.enqueue(t, mail.Message{Kind: "digest", SubjectKey: "d", To: ben, Params: item("Extended: Adopt Go")})
	r.run(t, t0.Add(3*time.Minute))
	r.run(t, t0.Add(time.Hour))

	got := r.smtp.To("ben@example.com")
	if len(got) != 2 {
		t.Fatalf("ben got %d emails, want 2 (one combined, one urgent): %v", len(got), subjectsOf(got))
	}
	var combined, alone string
	for _, m := range got {
		if strings.HasPrefix(m.Subject, "3 updates: ") {
			combined = m.Text
		} else {
			alone = m.Text
		}
	}
	for _, want := range []string{"== 1. ", "body of Notes: Weekly sync", "body of Closing soon: Adopt Go", "== 3. ", "body of Extended: Adopt Go"} {
		if !strings.Contains(combined, want) {
			t.Errorf("combined email lacks %q:\n%s", want, combined)
		}
	}
	if !strings.Contains(alone, "body of Urgent thing") || strings.Contains(combined, "Urgent thing") {
		t.Errorf("urgent mail did not go alone:\n%s", alone)
	}
	if parts := r.smtp.Parts("ben@example.com"); len(parts) != 4 {
		t.Errorf("ben's emails hold %d things, want 4", len(parts))
	}
	if got := r.smtp.To("cy@example.com"); len(got) != 1 || strings.Contains(got[0].Subject, "updates") {
		t.Errorf("cy's single email: %v", subjectsOf(got))
	}
	var pending int
	r.db.Get(&pending, `SELECT COUNT(*) FROM outbox WHERE state <> 'sent'`)
	if pending != 0 {
		t.Errorf("%d emails not recorded as sent", pending)
	}
}

func subjectsOf(ms []mailtest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}
