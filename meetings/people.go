package meetings

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

const personColumns = `id, email, name, time_zone, work_start, work_end, work_days, digest, operator, created_at`

// EnsurePerson returns the person with email, creating them if new with
// name and time zone tz (a first guess: the zone of the meeting that
// introduced them). An existing person's name is filled in if it was empty.
func EnsurePerson(ctx context.Context, q db.Queryer, email, name, tz string, now time.Time) (Person, error) {
	email = NormalizeEmail(email)
	if _, err := mail.ParseAddress(email); err != nil || !strings.Contains(email, "@") {
		return Person{}, errs.Errorf(errs.Invalid, "%q is not an email address", email)
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "" {
		tz = "UTC"
	}
	var p Person
	err := q.GetContext(ctx, &p, q.Rebind(`
		INSERT INTO people (email, name, time_zone, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET name = CASE WHEN people.name = '' THEN excluded.name ELSE people.name END
		RETURNING `+personColumns), email, strings.TrimSpace(name), tz, now)
	if err != nil {
		return Person{}, fmt.Errorf("ensure person %s: %w", email, err)
	}
	return p, nil
}

// PersonByEmail finds a person by address.
func PersonByEmail(ctx context.Context, q db.Queryer, email string) (Person, error) {
	var p Person
	err := q.GetContext(ctx, &p, q.Rebind(`SELECT `+personColumns+` FROM people WHERE email = ?`), NormalizeEmail(email))
	if db.IsNoRows(err) {
		return Person{}, errs.Errorf(errs.NotFound, "no person with email %s", email)
	}
	if err != nil {
		return Person{}, fmt.Errorf("person %s: %w", email, err)
	}
	return p, nil
}

// PersonByID finds a person by id.
func PersonByID(ctx context.Context, q db.Queryer, id int64) (Person, error) {
	var p Person
	err := q.GetContext(ctx, &p, q.Rebind(`SELECT `+personColumns+` FROM people WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return Person{}, errs.Errorf(errs.NotFound, "no person %d", id)
	}
	if err != nil {
		return Person{}, fmt.Errorf("person %d: %w", id, err)
	}
	return p, nil
}

// PersonPatch changes a person's preferences; nil fields stay as they are.
type PersonPatch struct {
	Name      *string   `json:"name"`
	TimeZone  *string   `json:"time_zone"`
	WorkStart *string   `json:"work_start"` // "09:00"
	WorkEnd   *string   `json:"work_end"`   // "17:00"
	WorkDays  *[]string `json:"work_days"`  // ["mon","tue",...]
	Digest    *bool     `json:"digest"`
	Operator  *bool     `json:"-"` // set by configuration, never through the API
}

// UpdatePerson validates and applies p to the person with id.
func UpdatePerson(ctx context.Context, q db.Queryer, id int64, p PersonPatch) (Person, error) {
	cur, err := PersonByID(ctx, q, id)
	if err != nil {
		return Person{}, err
	}
	if p.Name != nil {
		cur.Name = strings.TrimSpace(*p.Name)
	}
	if p.TimeZone != nil {
		if _, err := time.LoadLocation(*p.TimeZone); err != nil || *p.TimeZone == "" || *p.TimeZone == "Local" {
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
	}
	if p.Digest != nil {
		cur.Digest = *p.Digest
	}
	if p.Operator != nil {
		cur.Operator = *p.Operator
	}
	_, err = q.ExecContext(ctx, q.Rebind(`UPDATE people SET name = ?, time_zone = ?, work_start = ?, work_end = ?,
		work_days = ?, digest = ?, operator = ? WHERE id = ?`),
		cur.Name, cur.TimeZone, cur.WorkStart, cur.WorkEnd, cur.WorkDays, cur.Digest, cur.Operator, id)
	if err != nil {
		return Person{}, fmt.Errorf("update person %d: %w", id, err)
	}
	return cur, nil
}

func parseClock(field, s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, errs.Errorf(errs.Invalid, "%s %q is not a time of day like 09:00", field, s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

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
