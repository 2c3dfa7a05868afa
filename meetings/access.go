package meetings

import (
	"context"
	"fmt"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// roleOf is the actor's role in the occurrence, "" if not invited.
func roleOf(ctx context.Context, q db.Queryer, occID, personID int64) (string, error) {
	var roles []string
	err := q.SelectContext(ctx, &roles, q.Rebind(`SELECT role FROM attendees WHERE occurrence_id = ? AND person_id = ? AND removed = FALSE`),
		occID, personID)
	if err != nil {
		return "", fmt.Errorf("role in occurrence %d: %w", occID, err)
	}
	if len(roles) == 0 {
		return "", nil
	}
	return roles[0], nil
}

// canSee refuses an actor who is neither invited nor an operator, as if
// the occurrence did not exist, so ids reveal nothing.
func canSee(ctx context.Context, q db.Queryer, a people.Actor, o Occurrence) (string, error) {
	if a.Operator {
		return RoleOrganizer, nil
	}
	role, err := roleOf(ctx, q, o.ID, a.PersonID)
	if err != nil {
		return "", err
	}
	if role == "" {
		return "", errs.Errorf(errs.NotFound, "no occurrence %d", o.ID)
	}
	return role, nil
}

// canOrganize admits the organizer, speakers and operators.
func canOrganize(ctx context.Context, q db.Queryer, a people.Actor, o Occurrence, what string) error {
	role, err := canSee(ctx, q, a, o)
	if err != nil {
		return err
	}
	if role != RoleOrganizer && role != RoleSpeaker {
		return errs.Errorf(errs.Forbidden, "only the organizer or a speaker may %s", what)
	}
	return nil
}
