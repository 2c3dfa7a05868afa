// Package decisions holds decisions open for a contribution window, the
// contributions people make to them, and their closing: lazy consensus when
// nobody objects, the owner's recorded outcome when someone does.
package decisions

import (
	"fmt"
	"meetingd/internal/limits"
	"meetingd/internal/people"
	"strings"
	"time"
)

// States of a decision.
const (
	Open      = "open"      // taking contributions until closes_at
	Contested = "contested" // closed with open objections; the owner owes an outcome
	Accepted  = "accepted"
	Rejected  = "rejected"
	Deferred  = "deferred"
	Withdrawn = "withdrawn" // by its owner, before it closed
)

// Contribution kinds.
const (
	Support = "support"
	Object  = "object"
	Comment = "comment"
)

// Objection states.
const (
	ObjectionOpen      = "open"
	ObjectionWithdrawn = "withdrawn" // by its author
	ObjectionResolved  = "resolved"  // by the owner, with a reply
)

// Decision is a proposal with an owner, held open for a window.
type Decision struct {
	ID           int64      `db:"id" json:"id"`
	OwnerID      int64      `db:"owner_id" json:"owner_id"`
	OwnerEmail   string     `db:"-" json:"owner"`
	OwnerName    string     `db:"-" json:"owner_name,omitempty"` // display name, else the address
	OccurrenceID *int64     `db:"occurrence_id" json:"occurrence_id,omitempty"`
	Title        string     `db:"title" json:"title"`
	Proposal     string     `db:"proposal" json:"proposal"`
	State        string     `db:"state" json:"state"`
	OpensAt      time.Time  `db:"opens_at" json:"opens_at"`
	ClosesAt     time.Time  `db:"closes_at" json:"closes_at"`
	Extensions   int        `db:"extensions" json:"extensions"`
	ClosedAt     *time.Time `db:"closed_at" json:"closed_at,omitempty"`
	DecidedAt    *time.Time `db:"decided_at" json:"decided_at,omitempty"`
	Rationale    string     `db:"rationale" json:"rationale,omitempty"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at" json:"updated_at"`
	Reason       string     `db:"reason" json:"reason,omitempty"` // why it needs someone, in NeedsInput's lists
}

// IsOpen reports whether the decision still takes contributions at now.
// The close time decides, not the state: a worker running late must never
// let a contribution in after the deadline.
func (d Decision) IsOpen(now time.Time) bool { return d.State == Open && now.Before(d.ClosesAt) }

func (d Decision) subject() string { return fmt.Sprintf("decision:%d", d.ID) }

// OutcomeLine is what a finished decision of an occurrence adds to that
// occurrence's notes: "Adopt X — ACCEPTED on 2026-11-09: because".
func (d Decision) OutcomeLine() string {
	day := d.UpdatedAt
	if d.DecidedAt != nil {
		day = *d.DecidedAt
	}
	line := fmt.Sprintf("%s — %s on %s", d.Title, strings.ToUpper(d.State), day.Format("2006-01-02"))
	if d.Rationale != "" {
		line += ": " + d.Rationale
	}
	return line
}

// Contribution is support, an objection or a comment, with text.
type Contribution struct {
	ID             int64     `db:"id" json:"id"`
	DecisionID     int64     `db:"decision_id" json:"decision_id"`
	AuthorID       int64     `db:"author_id" json:"author_id"`
	AuthorEmail    string    `db:"-" json:"author"`
	AuthorName     string    `db:"-" json:"author_name,omitempty"`
	Kind           string    `db:"kind" json:"kind"`
	Text           string    `db:"text" json:"text"`
	ObjectionState string    `db:"objection_state" json:"objection_state,omitempty"`
	Reply          string    `db:"reply" json:"reply,omitempty"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time `db:"updated_at" json:"updated_at"`
}

// AuditEntry is one change to a decision.
type AuditEntry struct {
	ID        int64     `db:"id" json:"id"`
	ActorID   *int64    `db:"actor_id" json:"actor_id,omitempty"`
	Actor     string    `db:"-" json:"actor,omitempty"`
	ActorName string    `db:"-" json:"actor_name,omitempty"` // display name, else the address
	Action    string    `db:"action" json:"action"`
	Detail    string    `db:"detail" json:"detail,omitempty"`
	At        time.Time `db:"at" json:"at"`
}

// Config is the window's rules; DefaultConfig has SPEC.md's defaults.
type Config struct {
	Window        time.Duration // default length of the contribution window
	MinWindow     time.Duration // shorter windows are refused
	Extension     time.Duration // a late objection moves the close this far past it
	MaxExtensions int
	ClosingSoon   time.Duration // non-contributors are reminded this long before close
	OutcomeNag    time.Duration // how often a contested decision's owner is reminded
	BaseURL       string
	MaxWindow     time.Duration // longer windows are refused
	MaxInvitees   int           // people one decision may invite by address
	Org           people.Org    // who may be invited
	CreateLimit   limits.Rule   // new decisions per person (operators exempt)
	ContribLimit  limits.Rule   // contributions per person (operators exempt)
}

// DefaultConfig returns SPEC.md's defaults.
func DefaultConfig() Config {
	return Config{Window: 7 * 24 * time.Hour, MinWindow: 24 * time.Hour, Extension: 24 * time.Hour,
		MaxExtensions: 2, ClosingSoon: 24 * time.Hour, OutcomeNag: 24 * time.Hour, BaseURL: "http://localhost:8080",
		MaxWindow: 90 * 24 * time.Hour, MaxInvitees: 200,
		// A person working fast is never limited; a script flooding is.
		CreateLimit: limits.Rule{Max: 60, Per: time.Hour}, ContribLimit: limits.Rule{Max: 60, Per: time.Minute}}
}
