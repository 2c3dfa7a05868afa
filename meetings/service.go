package meetings

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/links"
	"meetingd/internal/mail"
	"meetingd/templates"
)

// Config is the lifecycle's settings; DefaultConfig has SPEC.md's defaults.
type Config struct {
	Lead              time.Duration   // pre-read due this long before start
	MinLead           time.Duration   // Lead is never below this
	Reminders         []time.Duration // organizer reminders, before start
	OptionalByDefault bool            // all but organizer and speakers are optional
	BaseURL           string          // for links in emails, without a trailing slash
	LinkTTL           time.Duration   // how long a notes link in an email works
	// OfferAsync puts a one-click "hold it async" link in the email that
	// says a pre-read is missing; AutoAsync holds such a meeting async at
	// the deadline without asking. Both are operators' choices, off unless
	// set: nothing is cancelled on its own by default.
	OfferAsync, AutoAsync bool
}

// DefaultConfig returns SPEC.md's defaults.
func DefaultConfig() Config {
	return Config{
		Lead:              24 * time.Hour,
		MinLead:           24 * time.Hour,
		Reminders:         []time.Duration{72 * time.Hour, 48 * time.Hour},
		OptionalByDefault: true,
		BaseURL:           "http://localhost:8080",
		LinkTTL:           30 * 24 * time.Hour,
	}
}

// Service runs the meeting lifecycle.
type Service struct {
	DB        *db.DB
	Clock     clock.Clock
	Cfg       Config
	Outbox    *mail.Outbox
	Links     *links.Signer
	Templates *templates.Set
	Log       *slog.Logger
	// Decisions opens the decisions a meeting's notes propose, and those
	// people open about a meeting.
	Decisions *decisions.Service
	Wake      jobs.Waker // told when a change makes work due now; may be nil

	placeholdersOnce sync.Once
	placeholders     map[string]string // rendered once: every new section needs them
}

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake.Wake()
	}
}

func (s *Service) baseURL() string { return strings.TrimRight(s.Cfg.BaseURL, "/") }
