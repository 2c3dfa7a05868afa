package decisions

import (
	"context"
	"log/slog"
	"strings"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/meetings"
)

// Job kinds.
const (
	JobClose          = "decision.close"
	JobClosingSoon    = "decision.closing_soon"
	JobOutcomeOverdue = "decision.outcome_reminder"
)

// Service runs decisions.
type Service struct {
	DB     *sqlx.DB
	Clock  clock.Clock
	Cfg    Config
	Outbox *mail.Outbox
	Links  *links.Signer
	// Meetings answers who may see an occurrence and who attends it.
	Meetings *meetings.Service
	Log      *slog.Logger
	Wake     func()
	// FeedURL, if set, gives a person's calendar feed, shown on My work.
	FeedURL func(ctx context.Context, personID int64) (string, error)
	// OnFinish, if set, runs in the transaction that gives a decision of an
	// occurrence its final state, with the line written into the notes: a
	// notes doc kept elsewhere (Google Docs) queues the same line there.
	OnFinish func(ctx context.Context, q db.Queryer, occurrenceID int64, line string) error
}

// Register installs the decision jobs on w.
func (s *Service) Register(w *jobs.Worker) {
	w.Handle(JobClose, s.runClose)
	w.Handle(JobClosingSoon, s.runClosingSoon)
	w.Handle(JobOutcomeOverdue, s.runOutcomeReminder)
}

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}

func (s *Service) baseURL() string { return strings.TrimRight(s.Cfg.BaseURL, "/") }
