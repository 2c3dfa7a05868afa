package decisions

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/mail"
	"meetingd/internal/people"

	"github.com/jmoiron/sqlx"
)

// Reads and writes of many decisions at once, so that a minute in which
// thousands close costs a few statements per batch, not a dozen per
// decision.

// in is a query's "IN (?, ?, ...)" for n values, and the values as args.
func in[T any](vals []T) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return "(?" + strings.Repeat(", ?", len(vals)-1) + ")", args
}

// chunks calls fn with ids a few hundred at a time.
func chunks(ids []int64, fn func(part []int64) error) error {
	for start := 0; start < len(ids); start += 400 {
		if err := fn(ids[start:min(start+400, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

// getDecisions reads the decisions with ids (those that exist), by id.
func getDecisions(ctx context.Context, q db.Queryer, ids []int64) ([]Decision, error) {
	return readDecisions(ctx, q, ids, "")
}

// lockDecisions is getDecisions for a batch of writes, as lockDecision;
// rows are locked in id order, so two batches never wait on each other.
func lockDecisions(ctx context.Context, tx *sqlx.Tx, ids []int64) ([]Decision, error) {
	ids = slices.Sorted(slices.Values(ids))
	return readDecisions(ctx, tx, ids, " ORDER BY d.id"+db.ForUpdate(tx))
}

func readDecisions(ctx context.Context, q db.Queryer, ids []int64, lock string) ([]Decision, error) {
	var out []Decision
	err := chunks(ids, func(part []int64) error {
		list, args := in(part)
		var ds []Decision
		if err := q.SelectContext(ctx, &ds, q.Rebind(`SELECT `+decisionColumns+` FROM decisions d WHERE d.id IN `+list+lock), args...); err != nil {
			return fmt.Errorf("decisions: %w", err)
		}
		out = append(out, ds...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Decision) int { return cmp.Compare(a.ID, b.ID) })
	return out, nameOwners(ctx, q, out)
}

// contributionsOf reads the contributions to the decisions with ids, in
// the order they were made, with their authors named.
func contributionsOf(ctx context.Context, q db.Queryer, ids []int64) ([]Contribution, error) {
	var out []Contribution
	err := chunks(ids, func(part []int64) error {
		list, args := in(part)
		var cs []Contribution
		err := q.SelectContext(ctx, &cs, q.Rebind(`SELECT id, decision_id, author_id, kind, text, objection_state, reply,
			created_at, updated_at FROM contributions WHERE decision_id IN `+list+` ORDER BY id`), args...)
		out = append(out, cs...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("contributions: %w", err)
	}
	return out, nameAuthors(ctx, q, out)
}

// inviteesOf reads whom each of the decisions with ids asks, by address.
func inviteesOf(ctx context.Context, q db.Queryer, ids []int64) (map[int64][]mail.Recipient, error) {
	var rows []struct {
		DecisionID int64 `db:"decision_id"`
		PersonID   int64 `db:"person_id"`
	}
	err := chunks(ids, func(part []int64) error {
		list, args := in(part)
		var rs []struct {
			DecisionID int64 `db:"decision_id"`
			PersonID   int64 `db:"person_id"`
		}
		err := q.SelectContext(ctx, &rs, q.Rebind(`SELECT decision_id, person_id FROM decision_invitees WHERE decision_id IN `+list), args...)
		rows = append(rows, rs...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("invitees: %w", err)
	}
	pids := make([]int64, len(rows))
	for i, r := range rows {
		pids[i] = r.PersonID
	}
	ps, err := people.ByIDs(ctx, q, pids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]mail.Recipient, len(ids))
	for _, r := range rows {
		if p, ok := ps[r.PersonID]; ok {
			out[r.DecisionID] = append(out[r.DecisionID], p.Recipient())
		}
	}
	for _, rs := range out {
		slices.SortFunc(rs, func(a, b mail.Recipient) int { return cmp.Compare(a.Email, b.Email) })
	}
	return out, nil
}

// auditRow is one change for auditAll.
type auditRow struct {
	decisionID, actor int64
	action, detail    string
}

// auditAll records many changes at once.
func auditAll(ctx context.Context, q db.Queryer, at time.Time, rows []auditRow) error {
	for start := 0; start < len(rows); start += 300 {
		part := rows[start:min(start+300, len(rows))]
		args := make([]any, 0, 5*len(part))
		for _, r := range part {
			var actor *int64
			if r.actor != 0 {
				actor = &r.actor
			}
			args = append(args, r.decisionID, actor, r.action, r.detail, at)
		}
		_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO decision_audit (decision_id, actor_id, action, detail, at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(part)), ", ")), args...)
		if err != nil {
			return fmt.Errorf("audit %d decisions: %w", len(part), err)
		}
	}
	return nil
}

// syncInviteesOf copies each decision's state and times onto its invitee
// rows, which per-person lists read through their own indexes.
func syncInviteesOf(ctx context.Context, q db.Queryer, ids []int64) error {
	return chunks(ids, func(part []int64) error {
		list, args := in(part)
		_, err := q.ExecContext(ctx, q.Rebind(`UPDATE decision_invitees SET
			state = (SELECT d.state FROM decisions d WHERE d.id = decision_invitees.decision_id),
			closes_at = (SELECT d.closes_at FROM decisions d WHERE d.id = decision_invitees.decision_id),
			closed_at = (SELECT d.closed_at FROM decisions d WHERE d.id = decision_invitees.decision_id)
			WHERE decision_id IN `+list), args...)
		if err != nil {
			return fmt.Errorf("invitees of %d decisions: %w", len(part), err)
		}
		return nil
	})
}

func idsOf(ds []Decision) []int64 {
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func subjectsOf(ds []Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.subject()
	}
	return out
}
