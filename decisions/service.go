package decisions

import (
	"log/slog"
	"strings"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/links"
	"meetingd/internal/mail"
)

// Job kinds.
const (
	JobClose          = "decision.close"
	JobClosingSoon    = "decision.closing_soon"
	JobOutcomeOverdue = "decision.outcome_reminder"
)

// EventFinished is the event a decision of an occurrence emits when it
// gets its final state (accepted, rejected, deferred or withdrawn); its
// subject is "decision:<id>". The packages above write its OutcomeLine into
// the occurrence's notes.
const EventFinished = "decision.finished"

// SubjectPrefix starts the job subjects of decisions: "decision:12".
const SubjectPrefix = "decision:"

// Service runs decisions.
type Service struct {
	DB     *db.DB
	Clock  clock.Clock
	Cfg    Config
	Outbox *mail.Outbox
	Links  *links.Signer
	Log    *slog.Logger
	Wake   jobs.Waker // told when a change makes work due now; may be nil

	lists db.Reads[[]Decision] // the lists, until the database changes
}

// Register installs the decision jobs on w.
func (s *Service) Register(w *jobs.Worker) {
	w.HandleBatch(JobClose, s.runCloses)
	w.Handle(JobClosingSoon, s.runClosingSoon)
	w.Handle(JobOutcomeOverdue, s.runOutcomeReminder)
	for _, kind := range mailKinds {
		s.Outbox.Register(kind, s)
	}
}

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake.Wake()
	}
}

func (s *Service) baseURL() string { return strings.TrimRight(s.Cfg.BaseURL, "/") }
