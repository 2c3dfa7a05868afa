package decisions

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	"meetingd/internal/jobs"
	"meetingd/internal/limits"
	"meetingd/internal/people"
)

// Input is a new decision.
type Input struct {
	Owner    string   `json:"owner,omitempty"` // email; the creator when empty
	Title    string   `json:"title"`
	Proposal string   `json:"proposal"`
	Invitees []string `json:"invitees,omitempty"` // besides the meeting's attendees
	Window   string   `json:"window,omitempty"`   // e.g. "72h"; the default window when empty
}

// Origin is the meeting a decision comes from: its occurrence, and that
// occurrence's attendees, who are all invited (absentees too: not attending
// is no reason to be left out). The meetings package gives it, having
// checked that whoever opens the decision may see the meeting.
type Origin struct {
	OccurrenceID int64
	Attendees    []int64
	// Announced: the notes email that shares the occurrence carries the
	// decision with its links, so it sends no opened email of its own.
	Announced bool
}

func (s *Service) window(in Input) (time.Duration, error) {
	if in.Window == "" {
		return s.Cfg.Window, nil
	}
	w, err := time.ParseDuration(in.Window)
	if err != nil {
		return 0, errs.Errorf(errs.Invalid, "window %q is not a duration such as 72h", in.Window)
	}
	if w < s.Cfg.MinWindow {
		return 0, errs.Errorf(errs.Invalid, "window %s is shorter than the minimum of %s: people need time to contribute",
			in.Window, s.Cfg.MinWindow)
	}
	if s.Cfg.MaxWindow > 0 && w > s.Cfg.MaxWindow {
		return 0, errs.Errorf(errs.Invalid, "window %s is longer than the maximum of %s", in.Window, s.Cfg.MaxWindow)
	}
	return w, nil
}

func (s *Service) validate(in *Input) error {
	var err error
	if in.Title, err = input.Line("title", in.Title, input.MaxLine); err != nil {
		return err
	}
	if in.Proposal, err = input.Text("proposal", in.Proposal, input.MaxText); err != nil {
		return err
	}
	switch {
	case in.Title == "":
		return errs.Errorf(errs.Invalid, "title is required")
	case in.Proposal == "":
		return errs.Errorf(errs.Invalid, "proposal is required: say what is decided")
	case s.Cfg.MaxInvitees > 0 && len(in.Invitees) > s.Cfg.MaxInvitees:
		return errs.Errorf(errs.Invalid, "invitees: %d people; at most %d a decision", len(in.Invitees), s.Cfg.MaxInvitees)
	}
	return nil
}

// Create opens a decision, about the meeting from (nil for none): its
// window starts now, its close and reminder are scheduled, and its invitees
// are emailed.
func (s *Service) Create(ctx context.Context, a people.Actor, in Input, from *Origin) (Decision, error) {
	if err := s.validate(&in); err != nil {
		return Decision{}, err
	}
	w, err := s.window(in)
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		if !a.Operator {
			if err := limits.Hit(ctx, tx, now, fmt.Sprintf("decisions:%d", a.PersonID), s.Cfg.CreateLimit, "new decisions"); err != nil {
				return err
			}
		}
		owner, err := s.owner(ctx, tx, a, in.Owner, now)
		if err != nil {
			return err
		}
		d, err = s.create(ctx, tx, now, owner, in, from, w, "")
		return err
	})
	if err != nil {
		return Decision{}, err
	}
	s.wake()
	return d, nil
}

// owner resolves who owns a new decision: the creator, or (operators only)
// someone they name.
func (s *Service) owner(ctx context.Context, q db.Queryer, a people.Actor, email string, now time.Time) (int64, error) {
	if email == "" {
		if a.PersonID == 0 {
			return 0, errs.Errorf(errs.Invalid, "owner is required: every decision has one")
		}
		return a.PersonID, nil
	}
	p, err := people.Ensure(ctx, q, email, "", "", now)
	if err != nil {
		return 0, err
	}
	if p.ID != a.PersonID && !a.Operator {
		return 0, errs.Errorf(errs.Forbidden, "you may only create decisions you own")
	}
	return p.ID, nil
}

// create stores a decision with its invitees, schedules it and emails the
// invitees. sourceKey, if set, makes creation idempotent (notes docs); a
// decision already made from it gives a zero Decision.
func (s *Service) create(ctx context.Context, q db.Queryer, now time.Time, ownerID int64, in Input, from *Origin,
	w time.Duration, sourceKey string) (Decision, error) {
	var key *string
	if sourceKey != "" {
		key = &sourceKey
	}
	var occ *int64
	invite := []int64{ownerID}
	if from != nil {
		occ = &from.OccurrenceID
		invite = append(invite, from.Attendees...)
	}
	var ids []int64
	err := q.SelectContext(ctx, &ids, q.Rebind(`INSERT INTO decisions (owner_id, occurrence_id, title, proposal, opens_at, closes_at,
		source_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING RETURNING id`),
		ownerID, occ, in.Title, in.Proposal, now, now.Add(w), key, now, now)
	if err != nil {
		return Decision{}, fmt.Errorf("store decision: %w", err)
	}
	if len(ids) == 0 {
		return Decision{}, nil
	}
	id := ids[0]
	invited, err := s.inviteeIDs(ctx, q, in.Invitees, now)
	if err != nil {
		return Decision{}, err
	}
	for _, pid := range append(invite, invited...) {
		if _, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO decision_invitees (decision_id, person_id) VALUES (?, ?)
			ON CONFLICT DO NOTHING`), id, pid); err != nil {
			return Decision{}, fmt.Errorf("invite to decision %d: %w", id, err)
		}
	}
	d, err := getDecision(ctx, q, id)
	if err != nil {
		return Decision{}, err
	}
	if err := syncInvitees(ctx, q, d); err != nil {
		return Decision{}, err
	}
	if err := audit(ctx, q, id, ownerID, "opened", windowWords(d.ClosesAt.Sub(d.OpensAt)), now); err != nil {
		return Decision{}, err
	}
	if err := s.scheduleClose(ctx, q, now, d); err != nil {
		return Decision{}, err
	}
	if from != nil && from.Announced {
		return d, nil
	}
	return d, s.mailInvitees(ctx, q, d, MailOpened, "/opened", ownerID)
}

// inviteeIDs are the people named by address, made known if new.
func (s *Service) inviteeIDs(ctx context.Context, q db.Queryer, emails []string, now time.Time) ([]int64, error) {
	out := make([]int64, 0, len(emails))
	for _, email := range emails {
		p, err := people.Ensure(ctx, q, email, "", "", now)
		if err != nil {
			return nil, errs.Errorf(errs.Invalid, "invitees: %s", errs.Message(err))
		}
		if err := s.Cfg.Org.Check(p); err != nil {
			return nil, errs.Errorf(errs.Invalid, "invitees: %s", errs.Message(err))
		}
		out = append(out, p.ID)
	}
	return out, nil
}

// scheduleClose (re)arms the close and the closing-soon reminder.
func (s *Service) scheduleClose(ctx context.Context, q db.Queryer, now time.Time, d Decision) error {
	if err := jobs.Schedule(ctx, q, now, JobClose, d.subject(), d.ClosesAt); err != nil {
		return err
	}
	if soon := s.closingSoonAt(d); soon.After(now) {
		return jobs.Schedule(ctx, q, now, JobClosingSoon, d.subject(), soon)
	}
	return nil
}

// closingSoonAt is when non-contributors are reminded: ClosingSoon before
// the close, but never before the window's midpoint, so a decision with the
// minimum 24 h window is still reminded (12 h before it closes) rather than
// at the moment it opened.
func (s *Service) closingSoonAt(d Decision) time.Time {
	soon := d.ClosesAt.Add(-s.Cfg.ClosingSoon)
	if mid := d.OpensAt.Add(d.ClosesAt.Sub(d.OpensAt) / 2); mid.After(soon) {
		return mid
	}
	return soon
}

// windowWords is a window's length for the audit trail, which pages show
// beside times in the reader's zone: "a 7-day window", "a 36-hour window".
func windowWords(w time.Duration) string {
	if w%(24*time.Hour) == 0 {
		return fmt.Sprintf("a %d-day window", int(w.Hours())/24)
	}
	return fmt.Sprintf("a %d-hour window", int(w.Round(time.Hour).Hours()))
}
