package decisions

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/mail"
)

const decisionColumns = `d.id, d.owner_id, p.email AS owner_email, d.occurrence_id, d.title, d.proposal, d.state,
	d.opens_at, d.closes_at, d.extensions, d.closed_at, d.decided_at, d.rationale, d.created_at, d.updated_at`

const decisionFrom = ` FROM decisions d JOIN people p ON p.id = d.owner_id `

func getDecision(ctx context.Context, q db.Queryer, id int64) (Decision, error) {
	var d Decision
	err := q.GetContext(ctx, &d, q.Rebind(`SELECT `+decisionColumns+decisionFrom+`WHERE d.id = ?`), id)
	if db.IsNoRows(err) {
		return Decision{}, errs.Errorf(errs.NotFound, "no decision %d", id)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("decision %d: %w", id, err)
	}
	return d, nil
}

func contributions(ctx context.Context, q db.Queryer, decisionID int64) ([]Contribution, error) {
	var out []Contribution
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT c.id, c.decision_id, c.author_id, p.email AS author_email,
		p.name AS author_name, c.kind, c.text, c.objection_state, c.reply, c.created_at, c.updated_at
		FROM contributions c JOIN people p ON p.id = c.author_id WHERE c.decision_id = ? ORDER BY c.id`), decisionID)
	if err != nil {
		return nil, fmt.Errorf("contributions to decision %d: %w", decisionID, err)
	}
	return out, nil
}

// invitees are the people a decision asks, with what the outbox needs.
func invitees(ctx context.Context, q db.Queryer, decisionID int64) ([]mail.Recipient, error) {
	var out []mail.Recipient
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT p.id, p.email, p.name, p.time_zone, p.work_start, p.work_end,
		p.work_days, p.digest FROM decision_invitees i JOIN people p ON p.id = i.person_id
		WHERE i.decision_id = ? ORDER BY p.email`), decisionID)
	if err != nil {
		return nil, fmt.Errorf("invitees of decision %d: %w", decisionID, err)
	}
	return out, nil
}

func recipient(ctx context.Context, q db.Queryer, personID int64) (mail.Recipient, error) {
	var r mail.Recipient
	err := q.GetContext(ctx, &r, q.Rebind(`SELECT id, email, name, time_zone, work_start, work_end, work_days, digest
		FROM people WHERE id = ?`), personID)
	if err != nil {
		return mail.Recipient{}, fmt.Errorf("person %d: %w", personID, err)
	}
	return r, nil
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
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT a.id, a.actor_id, COALESCE(p.email, '') AS actor_email, a.action, a.detail, a.at
		FROM decision_audit a LEFT JOIN people p ON p.id = a.actor_id WHERE a.decision_id = ? ORDER BY a.id`), decisionID)
	if err != nil {
		return nil, fmt.Errorf("audit of decision %d: %w", decisionID, err)
	}
	return out, nil
}

// canSee admits invitees, the owner and operators; others are told the
// decision does not exist.
func canSee(ctx context.Context, q db.Queryer, a Actor, d Decision) error {
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
