package people_test

import (
	"testing"

	"meetingd/internal/apptest"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// A deactivated person keeps their row but cannot sign in by any road:
// no emailed link, no link sent before, no Google, no session or token
// they already had. --operators only adds, and brings an operator back.
func TestDeactivatedCannotSignIn(t *testing.T) {
	a := apptest.New(t, t0)
	ops, ben := a.Person("ops@example.com"), a.Person("ben@example.com")
	session, _ := people.StartSession(ctx, a.DB, ben.ID, t0)
	token := a.Token("ben@example.com")
	if _, err := people.SetActive(ctx, a.DB, ops.ID, ben.ID, false, t0); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := people.LookupSession(ctx, a.DB, session, t0); ok {
		t.Error("a deactivated person's session still works")
	}
	if _, err := people.ByToken(ctx, a.DB, token); errs.Code(err) != errs.Unauthorized {
		t.Errorf("a deactivated person's token: %v", err)
	}
	if err := a.SignIn.SendLink(ctx, "ben@example.com", "/", "10.0.0.1"); errs.Code(err) != errs.NotFound {
		t.Errorf("a link for a deactivated person: %v, want answered as an unknown address", err)
	}
	if _, _, err := a.SignIn.GoogleSession(ctx, "ben@example.com"); errs.Code(err) != errs.Forbidden {
		t.Errorf("Google sign-in of a deactivated person: %v", err)
	}
	if _, err := people.SetActive(ctx, a.DB, ops.ID, ops.ID, false, t0); errs.Code(err) != errs.Invalid {
		t.Errorf("an operator deactivated themselves: %v", err)
	}
	if _, err := people.SetOperator(ctx, a.DB, ops.ID, ben.ID, true); err != nil {
		t.Fatal(err)
	}
	// The flag adds its operators, keeps ben (made on the page), and
	// reactivates an operator it names.
	people.SetActive(ctx, a.DB, 0, ops.ID, false, t0)
	if err := people.SetOperators(ctx, a.DB, []string{"ops@example.com"}, t0); err != nil {
		t.Fatal(err)
	}
	got, _ := people.ByID(ctx, a.DB, ben.ID)
	back, _ := people.ByID(ctx, a.DB, ops.ID)
	if !got.Operator || !back.Operator || !back.Active() {
		t.Errorf("after --operators: ben %+v, ops %+v", got, back)
	}
}
