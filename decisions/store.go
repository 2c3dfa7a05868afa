package decisions

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/mail"
	"meetingd/internal/people"

	"github.com/jmoiron/sqlx"
)

// decisionColumns are a decision's columns, from decisions d.
const decisionColumns = `d.id, d.owner_id, d.occurrence_id, d.title, d.proposal, d.state, d.opens_at, d.closes_at,
	d.extensions, d.closed_at, d.decided_at, d.rationale, d.created_at, d.updated_at`

func getDecision(ctx context.Context, q db.Queryer, id int64) (Decision, error) {
	return readDecision(ctx, q, id, "")
}

// lockDecision reads a decision for a write that depends on what it
// reads: its row stays locked until the transaction ends, so another
// replica's objection, extension or close waits rather than acting on the
// same state. (On SQLite the write transaction already holds everything.)
func lockDecision(ctx context.Context, tx *sqlx.Tx, id int64) (Decision, error) {
	return readDecision(ctx, tx, id, db.ForUpdate(tx))
}

func readDecision(ctx context.Context, q db.Queryer, id int64, lock string) (Decision, error) {
	var d Decision
	err := q.GetContext(ctx, &d, q.Rebind(`SELECT `+decisionColumns+` FROM decisions d WHERE d.id = ?`+lock), id)
	if db.IsNoRows(err) {
		return Decision{}, errs.Errorf(errs.NotFound, "no decision %d", id)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("decision %d: %w", id, err)
	}
	ds := []Decision{d}
	if err := nameOwners(ctx, q, ds); err != nil {
		return Decision{}, err
	}
	return ds[0], nil
}

// nameOwners fills in each decision's owner address.
func nameOwners(ctx context.Context, q db.Queryer, ds []Decision) error {
	return people.Fill(ctx, q, ds, func(d *Decision) int64 { return d.OwnerID },
		func(d *Decision, p people.Person) { d.OwnerEmail, d.OwnerName = p.Email, p.Display() })
}

func contributions(ctx context.Context, q db.Queryer, decisionID int64) ([]Contribution, error) {
	var out []Contribution
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT id, decision_id, author_id, kind, text, objection_state, reply,
		created_at, updated_at FROM contributions WHERE decision_id = ? ORDER BY id`), decisionID)
	if err != nil {
		return nil, fmt.Errorf("contributions to decision %d: %w", decisionID, err)
	}
	return out, nameAuthors(ctx, q, out)
}

// positions are the decision's supports and objections, one per person.
func positions(ctx context.Context, q db.Queryer, decisionID int64) ([]Contribution, error) {
	out := []Contribution{}
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT id, decision_id, author_id, kind, text, objection_state, reply,
		created_at, updated_at FROM contributions WHERE decision_id = ? AND kind IN ('support', 'object') ORDER BY id`), decisionID)
	if err != nil {
		return nil, fmt.Errorf("positions on decision %d: %w", decisionID, err)
	}
	return out, nameAuthors(ctx, q, out)
}

// comments are up to limit of the decision's comments after id after, in
// order; contributions_comments serves it.
func comments(ctx context.Context, q db.Queryer, decisionID, after int64, limit int) ([]Contribution, error) {
	out := []Contribution{}
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT id, decision_id, author_id, kind, text, objection_state, reply,
		created_at, updated_at FROM contributions WHERE decision_id = ? AND kind = 'comment' AND id > ? ORDER BY id LIMIT ?`),
		decisionID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("comments on decision %d: %w", decisionID, err)
	}
	return out, nameAuthors(ctx, q, out)
}

func nameAuthors(ctx context.Context, q db.Queryer, cs []Contribution) error {
	return people.Fill(ctx, q, cs, func(c *Contribution) int64 { return c.AuthorID },
		func(c *Contribution, p people.Person) { c.AuthorEmail, c.AuthorName = p.Email, p.Name })
}

// recipients are the people with ids, by address, as the outbox needs them.
func recipients(ctx context.Context, q db.Queryer, ids []int64) ([]mail.Recipient, error) {
	ps, err := people.ByIDs(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make([]mail.Recipient, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Recipient())
	}
	slices.SortFunc(out, func(a, b mail.Recipient) int { return cmp.Compare(a.Email, b.Email) })
	return out, nil
}

// invitees are the people a decision asks, by address.
func invitees(ctx context.Context, q db.Queryer, decisionID int64) ([]mail.Recipient, error) {
	var ids []int64
	err := q.SelectContext(ctx, &ids, q.Rebind(`SELECT person_id FROM decision_invitees WHERE decision_id = ?`), decisionID)
	if err != nil {
		return nil, fmt.Errorf("invitees of decision %d: %w", decisionID, err)
	}
	return recipients(ctx, q, ids)
}

func recipient(ctx context.Context, q db.Queryer, personID int64) (mail.Recipient, error) {
	p, err := people.ByID(ctx, q, personID)
	return p.Recipient(), err
}

func isInvited(ctx context.Context, q db.Queryer, decisionID, personID int64) (bool, error) {
	var n int
	err := q.GetContext(ctx, &n, q.Rebind(`SELECT COUNT(*) FROM decision_invitees WHERE decision_id = ? AND person_id = ?`),
		decisionID, personID)
	if err != nil {
		return false, fmt.Errorf("invitation to decision %d: %w", decisionID, err)
	}
	return n > 0, nil
}

// audit records a change; every change before close goes here.
func audit(ctx context.Context, q db.Queryer, decisionID int64, actor int64, action, detail string, at time.Time) error {
	var a *int64
	if actor != 0 {
		a = &actor
	}
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO decision_audit (decision_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?)`),
		decisionID, a, action, detail, at)
	if err != nil {
		return fmt.Errorf("audit decision %d: %w", decisionID, err)
	}
	return nil
}

func auditTrail(ctx context.Context, q db.Queryer, decisionID int64) ([]AuditEntry, error) {
	var out []AuditEntry
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT id, actor_id, action, detail, at
		FROM decision_audit WHERE decision_id = ? ORDER BY id`), decisionID)
	if err != nil {
		return nil, fmt.Errorf("audit of decision %d: %w", decisionID, err)
	}
	err = people.Fill(ctx, q, out, func(e *AuditEntry) int64 {
		if e.ActorID == nil {
			return 0
		}
		return *e.ActorID
	}, func(e *AuditEntry, p people.Person) { e.Actor, e.ActorName = p.Email, p.Display() })
	return out, err
}

// canSee admits invitees, the owner and operators; others are told the
// decision does not exist.
func canSee(ctx context.Context, q db.Queryer, a people.Actor, d Decision) error {
	if a.Operator || a.PersonID == d.OwnerID {
		return nil
	}
	ok, err := isInvited(ctx, q, d.ID, a.PersonID)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Errorf(errs.NotFound, "no decision %d", d.ID)
	}
	return nil
}

// syncInvitees copies the decision's state and times onto its invitee rows,
// which per-person lists read through their own indexes.
func syncInvitees(ctx context.Context, q db.Queryer, d Decision) error {
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE decision_invitees SET state = ?, closes_at = ?, closed_at = ? WHERE decision_id = ?`),
		d.State, d.ClosesAt, d.ClosedAt, d.ID)
	if err != nil {
		return fmt.Errorf("invitees of decision %d: %w", d.ID, err)
	}
	return nil
}
