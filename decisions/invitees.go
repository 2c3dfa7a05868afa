package decisions

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// Changing who is asked while a decision is open. Only its owner or an
// operator may, and every change is in the audit trail: who may object is
// part of what makes lazy consensus fair.

// AddInvitees invites the people named by address to an open decision and
// emails the new ones that it is open. Addresses already invited are left
// as they are. As in Create, the organisation decides who may be invited,
// and the decision's whole invitee list stays within MaxInvitees.
func (s *Service) AddInvitees(ctx context.Context, a people.Actor, decisionID int64, emails []string) (Decision, error) {
	var out Decision
	err := s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if err := mayChangeInvitees(a, d); err != nil {
			return err
		}
		out = d
		added, err := s.addInvitees(ctx, tx, now, a, d, emails)
		if err != nil {
			return err
		}
		return s.announceTo(ctx, tx, d, added)
	})
	return out, err
}

// RemoveInvitee stops asking one person. The owner stays invited, and so
// does someone whose objection is still open: removing an objector would
// turn their objection into consent.
func (s *Service) RemoveInvitee(ctx context.Context, a people.Actor, decisionID int64, email string) (Decision, error) {
	var out Decision
	err := s.change(ctx, a, decisionID, func(tx *sqlx.Tx, d Decision, now time.Time) error {
		if err := mayChangeInvitees(a, d); err != nil {
			return err
		}
		out = d
		return s.removeInvitee(ctx, tx, now, a, d, email)
	})
	return out, err
}

func mayChangeInvitees(a people.Actor, d Decision) error {
	if a.Operator || a.PersonID == d.OwnerID {
		return nil
	}
	return errs.Errorf(errs.Forbidden, "only the owner or an operator may change who is invited to decision %d", d.ID)
}

// addInvitees stores the new invitees and returns the ids of those not
// invited before.
func (s *Service) addInvitees(ctx context.Context, tx *sqlx.Tx, now time.Time, a people.Actor, d Decision, emails []string) ([]int64, error) {
	if len(emails) == 0 {
		return nil, errs.Errorf(errs.Invalid, "invitees: give at least one address")
	}
	ids, err := s.inviteeIDs(ctx, tx, emails, now)
	if err != nil {
		return nil, err
	}
	var added []int64
	for _, pid := range ids {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO decision_invitees (decision_id, person_id) VALUES (?, ?)
			ON CONFLICT DO NOTHING`), d.ID, pid)
		if err != nil {
			return nil, fmt.Errorf("invite to decision %d: %w", d.ID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, pid)
		}
	}
	if err := s.checkInviteeCount(ctx, tx, d.ID); err != nil {
		return nil, err
	}
	// New rows carry the column defaults; per-person lists read these.
	if err := syncInvitees(ctx, tx, d); err != nil {
		return nil, err
	}
	return added, s.auditInvitees(ctx, tx, now, a, d, added)
}

// checkInviteeCount refuses a list grown past MaxInvitees; the caller's
// transaction then stores nothing.
func (s *Service) checkInviteeCount(ctx context.Context, q db.Queryer, decisionID int64) error {
	if s.Cfg.MaxInvitees <= 0 {
		return nil
	}
	var n int
	err := q.GetContext(ctx, &n, q.Rebind(`SELECT COUNT(*) FROM decision_invitees WHERE decision_id = ?`), decisionID)
	if err != nil {
		return fmt.Errorf("invitees of decision %d: %w", decisionID, err)
	}
	if n > s.Cfg.MaxInvitees {
		return errs.Errorf(errs.Invalid, "invitees: that makes %d people; at most %d a decision", n, s.Cfg.MaxInvitees)
	}
	return nil
}

func (s *Service) removeInvitee(ctx context.Context, tx *sqlx.Tx, now time.Time, a people.Actor, d Decision, email string) error {
	p, err := people.ByEmail(ctx, tx, email)
	if errs.Code(err) == errs.NotFound {
		return errs.Errorf(errs.Invalid, "invitee: %s is not invited to this decision", people.NormalizeEmail(email))
	}
	if err != nil {
		return err
	}
	if p.ID == d.OwnerID {
		return errs.Errorf(errs.Invalid, "invitee: the owner is always invited")
	}
	if err := checkNoOpenObjection(ctx, tx, d.ID, p); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM decision_invitees WHERE decision_id = ? AND person_id = ?`), d.ID, p.ID)
	if err != nil {
		return fmt.Errorf("uninvite from decision %d: %w", d.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Errorf(errs.Invalid, "invitee: %s is not invited to this decision", p.Email)
	}
	return audit(ctx, tx, d.ID, a.PersonID, "uninvited", p.Email, now)
}

func checkNoOpenObjection(ctx context.Context, q db.Queryer, decisionID int64, p people.Person) error {
	var n int
	err := q.GetContext(ctx, &n, q.Rebind(`SELECT COUNT(*) FROM contributions
		WHERE decision_id = ? AND author_id = ? AND kind = 'object' AND objection_state = ?`), decisionID, p.ID, ObjectionOpen)
	if err != nil {
		return fmt.Errorf("objections to decision %d: %w", decisionID, err)
	}
	if n > 0 {
		return errs.Errorf(errs.Conflict, "invitee: %s has an open objection; resolve it before removing them", p.Email)
	}
	return nil
}

// auditInvitees records who was invited, by address, in one entry.
func (s *Service) auditInvitees(ctx context.Context, q db.Queryer, now time.Time, a people.Actor, d Decision, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rs, err := recipients(ctx, q, ids)
	if err != nil {
		return err
	}
	emails := make([]string, 0, len(rs))
	for _, r := range rs {
		emails = append(emails, r.Email)
	}
	return audit(ctx, q, d.ID, a.PersonID, "invited", strings.Join(emails, ", "), now)
}

// announceTo sends the new invitees the email every invitee got when the
// decision opened, so they can contribute from it.
func (s *Service) announceTo(ctx context.Context, q db.Queryer, d Decision, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rs, err := recipients(ctx, q, ids)
	if err != nil {
		return err
	}
	return s.mailTo(ctx, q, d, MailOpened, "/opened", rs, false)
}
