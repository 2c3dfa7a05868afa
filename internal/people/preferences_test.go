package people_test

import (
	"reflect"
	"strings"
	"testing"

	"meetingd/internal/apptest"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// Update refuses bad preferences whole, storing nothing, and each message
// starts with the field it is about: the settings page puts it beside
// that field.
func TestUpdateRefusesBadPreferences(t *testing.T) {
	a := apptest.New(t, t0)
	ana := a.Person("ana@example.com")
	before := ana.Preferences()
	str := func(s string) *string { return &s }
	name := str("Ana Example")
	for _, c := range []struct {
		field string
		patch people.Patch
	}{
		{"time_zone", people.Patch{Name: name, TimeZone: str("Mars/Olympus")}},
		{"work_start", people.Patch{Name: name, WorkStart: str("25:00")}},
		{"work_end", people.Patch{Name: name, WorkStart: str("17:00"), WorkEnd: str("09:00")}},
		{"work_days", people.Patch{Name: name, WorkDays: &[]string{}}},
		{"work_days", people.Patch{Name: name, WorkDays: &[]string{"funday"}}},
		{"name", people.Patch{Name: str("Ana\x07"), WorkDays: &[]string{"mon"}}},
	} {
		_, err := people.Update(ctx, a.DB, ana.ID, c.patch)
		if errs.Code(err) != errs.Invalid || !strings.HasPrefix(errs.Message(err), c.field) {
			t.Errorf("%s: %v", c.field, err)
		}
		if p, _ := people.ByID(ctx, a.DB, ana.ID); !reflect.DeepEqual(p.Preferences(), before) {
			t.Errorf("%s: stored %+v", c.field, p.Preferences())
		}
	}
	// Days given, and at least one: taken.
	p, err := people.Update(ctx, a.DB, ana.ID, people.Patch{WorkDays: &[]string{"sun"}})
	if err != nil || strings.Join(p.Preferences().WorkDays, ",") != "sun" {
		t.Fatalf("one working day: %v %v", p.Preferences().WorkDays, err)
	}
}
