package people

import (
	"context"
	"fmt"
	"strings"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
)

// Patch changes a person's preferences; nil fields stay as they are.
type Patch struct {
	Name      *string   `json:"name"`
	TimeZone  *string   `json:"time_zone"`
	WorkStart *string   `json:"work_start"` // "09:00"
	WorkEnd   *string   `json:"work_end"`   // "17:00"
	WorkDays  *[]string `json:"work_days"`  // ["mon","tue",...]
	Digest    *bool     `json:"digest"`
}

// Update validates and applies p to the person with id.
func Update(ctx context.Context, q db.Queryer, id int64, p Patch) (Person, error) {
	cur, err := ByID(ctx, q, id)
	if err != nil {
		return Person{}, err
	}
	if p.Name != nil {
		if cur.Name, err = input.Line("name", *p.Name, input.MaxName); err != nil {
			return Person{}, err
		}
	}
	if p.TimeZone != nil {
		if _, err := clock.Zone(*p.TimeZone); err != nil {
			return Person{}, errs.Errorf(errs.Invalid, "time_zone %q is not an IANA time zone such as Europe/Berlin", *p.TimeZone)
		}
		cur.TimeZone = *p.TimeZone
	}
	if p.WorkStart != nil {
		if cur.WorkStart, err = parseClock("work_start", *p.WorkStart); err != nil {
			return Person{}, err
		}
	}
	if p.WorkEnd != nil {
		if cur.WorkEnd, err = parseClock("work_end", *p.WorkEnd); err != nil {
			return Person{}, err
		}
	}
	if cur.WorkEnd <= cur.WorkStart {
		return Person{}, errs.Errorf(errs.Invalid, "work_end must be after work_start")
	}
	if p.WorkDays != nil {
		if cur.WorkDays, err = parseDays(*p.WorkDays); err != nil {
			return Person{}, err
		}
		// No working day would leave mail with no hours to wait for, so it
		// would go out at any hour: not what anyone setting days means.
		if cur.WorkDays == 0 {
			return Person{}, errs.Errorf(errs.Invalid, "work_days: choose at least one working day")
		}
	}
	if p.Digest != nil {
		cur.Digest = *p.Digest
	}
	_, err = q.ExecContext(ctx, q.Rebind(`UPDATE people SET name = ?, time_zone = ?, work_start = ?, work_end = ?,
		work_days = ?, digest = ? WHERE id = ?`),
		cur.Name, cur.TimeZone, cur.WorkStart, cur.WorkEnd, cur.WorkDays, cur.Digest, id)
	if err != nil {
		return Person{}, fmt.Errorf("update person %d: %w", id, err)
	}
	return cur, nil
}

// Preferences is a person's settings the way Patch takes them.
type Preferences struct {
	ID        int64    `json:"id"`
	Email     string   `json:"email"`
	Name      string   `json:"name"`
	TimeZone  string   `json:"time_zone"`
	WorkStart string   `json:"work_start"`
	WorkEnd   string   `json:"work_end"`
	WorkDays  []string `json:"work_days"`
	Digest    bool     `json:"digest"`
	Operator  bool     `json:"operator"`
}

// Preferences shows p's settings as Patch takes them.
func (p Person) Preferences() Preferences {
	var days []string
	for _, d := range dayOrder {
		if p.WorkDays&(1<<uint(dayNames[d])) != 0 {
			days = append(days, d)
		}
	}
	hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	return Preferences{ID: p.ID, Email: p.Email, Name: p.Name, TimeZone: p.TimeZone, WorkStart: hm(p.WorkStart),
		WorkEnd: hm(p.WorkEnd), WorkDays: days, Digest: p.Digest, Operator: p.Operator}
}

func parseClock(field, s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, errs.Errorf(errs.Invalid, "%s %q is not a time of day like 09:00", field, s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

var dayOrder = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

var dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func parseDays(days []string) (int, error) {
	mask := 0
	for _, d := range days {
		wd, ok := dayNames[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			return 0, errs.Errorf(errs.Invalid, "work_days: %q is not one of mon, tue, wed, thu, fri, sat, sun", d)
		}
		mask |= 1 << uint(wd)
	}
	return mask, nil
}
