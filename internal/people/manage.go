package people

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// What operators do to people from the People page: list them, add one,
// make or unmake an operator, deactivate and reactivate. Nobody is ever
// deleted: a deactivated person's meetings, decisions and contributions
// stay, they just cannot sign in and are emailed nothing.

// All lists everyone, by address, a page at a time after the address
// after ("" for the first page).
func All(ctx context.Context, q db.Queryer, after string, limit int) ([]Person, error) {
	var out []Person
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT `+columns+` FROM people WHERE email > ? ORDER BY email LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	return out, nil
}

// Add is an operator adding someone by address: they are vouched for (so
// they may be invited from outside --domains) and, if they were
// deactivated, stay so until reactivated. It refuses an address already
// known, so a typo does not silently land on someone else.
func Add(ctx context.Context, q db.Queryer, email, name string, now time.Time) (Person, error) {
	if err := CheckEmail(email); err != nil {
		return Person{}, err
	}
	if _, err := ByEmail(ctx, q, email); err == nil {
		return Person{}, errs.Errorf(errs.Conflict, "%s is already here", NormalizeEmail(email))
	} else if errs.Code(err) != errs.NotFound {
		return Person{}, err
	}
	p, err := Ensure(ctx, q, email, name, "", now)
	if err != nil {
		return Person{}, err
	}
	p.Vouched = true
	return p, Vouch(ctx, q, p.ID)
}

// SetOperator makes the person with id an operator, or no longer one.
// by (the operator acting) may not unmake themselves: that is how an
// installation would lose its last operator.
func SetOperator(ctx context.Context, q db.Queryer, by, id int64, on bool) (Person, error) {
	if !on && by == id {
		return Person{}, errs.Errorf(errs.Invalid, "you cannot unmake yourself as operator: ask another operator")
	}
	return update(ctx, q, id, `operator = ?, vouched = (vouched OR ?)`, on, on)
}

// SetActive deactivates (on false) or reactivates the person with id. by
// may not deactivate themselves, for the same reason.
func SetActive(ctx context.Context, q db.Queryer, by, id int64, on bool, now time.Time) (Person, error) {
	if !on && by == id {
		return Person{}, errs.Errorf(errs.Invalid, "you cannot deactivate yourself: ask another operator")
	}
	if on {
		return update(ctx, q, id, `deactivated_at = NULL`)
	}
	// Deactivating twice keeps the first date.
	return update(ctx, q, id, `deactivated_at = COALESCE(deactivated_at, ?)`, now)
}

// update sets columns of person id and returns them as they now are.
func update(ctx context.Context, q db.Queryer, id int64, set string, args ...any) (Person, error) {
	var p Person
	err := q.GetContext(ctx, &p, q.Rebind(`UPDATE people SET `+set+` WHERE id = ? RETURNING `+columns), append(args, id)...)
	if db.IsNoRows(err) {
		return Person{}, errs.Errorf(errs.NotFound, "no person %d", id)
	}
	if err != nil {
		return Person{}, fmt.Errorf("update person %d: %w", id, err)
	}
	return p, nil
}

// checkActive refuses to sign in the person with id if deactivated.
func checkActive(ctx context.Context, q db.Queryer, id int64) error {
	p, err := ByID(ctx, q, id)
	if err != nil {
		return err
	}
	if !p.Active() {
		return errDeactivated(p.Email)
	}
	return nil
}

func errDeactivated(email string) error {
	return errs.Errorf(errs.Forbidden, "%s was deactivated by an operator, so it cannot sign in. Ask an operator to reactivate it.", email)
}
