// Package people is who meetingd knows and how they prove it: each person
// with their time zone, working hours and preferences; operators; sign-in by
// emailed link and with Google (OpenID Connect); browser sessions; API
// tokens; and the secret address of each person's calendar feed.
package people

import (
	"context"
	"fmt"
	"math/bits"
	"net/mail"
	"strings"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	outbox "meetingd/internal/mail"
)

// Person is anyone meetingd knows: organizers, attendees, invitees.
type Person struct {
	ID        int64     `db:"id" json:"id"`
	Email     string    `db:"email" json:"email"`
	Name      string    `db:"name" json:"name"`
	TimeZone  string    `db:"time_zone" json:"time_zone"`
	WorkStart int       `db:"work_start" json:"-"` // minutes after local midnight
	WorkEnd   int       `db:"work_end" json:"-"`
	WorkDays  int       `db:"work_days" json:"-"` // bit n: time.Weekday(n) is a working day
	Digest    bool      `db:"digest" json:"digest"`
	Operator  bool      `db:"operator" json:"operator"`
	Vouched   bool      `db:"vouched" json:"-"` // added by an operator: may be invited from outside --domains
	CreatedAt time.Time `db:"created_at" json:"-"`
	// DeactivatedAt is when an operator deactivated them (nil: active).
	// A pointer, so a Person read without the column counts as active.
	DeactivatedAt *time.Time `db:"deactivated_at" json:"deactivated_at,omitempty"`
}

// Active reports whether p may sign in and be emailed.
func (p Person) Active() bool { return p.DeactivatedAt == nil }

// Actor is who asks for a change: a signed-in person, an operator, or
// (PersonID 0, Operator true) the command line acting for the operator.
type Actor struct {
	PersonID int64
	Operator bool
}

// Actor is p acting.
func (p Person) Actor() Actor { return Actor{PersonID: p.ID, Operator: p.Operator} }

// Display is the person's name, or their address when it is unknown.
func (p Person) Display() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// Location is the person's time zone, UTC when unknown.
func (p Person) Location() *time.Location {
	loc, err := clock.Zone(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Recipient is p as the outbox needs them.
func (p Person) Recipient() outbox.Recipient {
	return outbox.Recipient{ID: p.ID, Email: p.Email, Name: p.Name, TimeZone: p.TimeZone,
		WorkStart: p.WorkStart, WorkEnd: p.WorkEnd, WorkDays: p.WorkDays, Digest: p.Digest}
}

// EndOfWorkday is when day (a date; its zone is ignored) ends for p: the
// end of their working hours that day in their zone. "Due 2026-12-01" means
// this. time.Date keeps it right on days the clocks change.
func (p Person) EndOfWorkday(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), p.WorkEnd/60, p.WorkEnd%60, 0, 0, p.Location())
}

// NormalizeEmail lower-cases an address and strips a mailto: prefix.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	return strings.ToLower(s)
}

const columns = `id, email, name, time_zone, work_start, work_end, work_days, digest, operator, vouched, created_at, deactivated_at`

// prefixed is columns of people p, for the package's joins.
const prefixed = `p.id, p.email, p.name, p.time_zone, p.work_start, p.work_end, p.work_days, p.digest, p.operator, p.vouched, p.created_at, p.deactivated_at`

// Ensure returns the person with email, creating them if new with name and
// time zone tz ("" for the installation's default, which is what everyone
// new but a demo's team gets). An existing person's name is filled in if it
// was empty.
func Ensure(ctx context.Context, q db.Queryer, email, name, tz string, now time.Time) (Person, error) {
	if err := CheckEmail(email); err != nil {
		return Person{}, err
	}
	email = NormalizeEmail(email)
	tz, err := zoneOr(ctx, q, tz)
	if err != nil {
		return Person{}, err
	}
	var p Person
	err = q.GetContext(ctx, &p, q.Rebind(`
		INSERT INTO people (email, name, time_zone, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET name = CASE WHEN people.name = '' THEN excluded.name ELSE people.name END
		RETURNING `+columns), email, input.CleanLine(name, input.MaxName), tz, now)
	if err != nil {
		return Person{}, fmt.Errorf("ensure person %s: %w", email, err)
	}
	return p, nil
}

// Contact is someone a calendar names: who EnsureAll makes sure exists.
type Contact struct {
	Email, Name, TimeZone string
}

// ensureChunk bounds the rows of one EnsureAll statement, well inside
// SQLite's limit on bound parameters.
const ensureChunk = 200

// EnsureAll is Ensure for many people at once, a few hundred to a
// statement: how an import meets thousands of attendees without a round
// trip each. It returns each one's id by normalized address. An address
// named twice takes the first name given.
func EnsureAll(ctx context.Context, q db.Queryer, cs []Contact, now time.Time) (map[string]int64, error) {
	ids := make(map[string]int64, len(cs))
	def, err := DefaultZone(ctx, q)
	if err != nil {
		return nil, err
	}
	var rows []Contact
	seen := make(map[string]int, len(cs))
	for _, c := range cs {
		if err := CheckEmail(c.Email); err != nil {
			return nil, err
		}
		c.Email, c.Name = NormalizeEmail(c.Email), input.CleanLine(c.Name, input.MaxName)
		if _, err := clock.Zone(c.TimeZone); err != nil || c.TimeZone == "" {
			c.TimeZone = def
		}
		if i, ok := seen[c.Email]; ok {
			if rows[i].Name == "" {
				rows[i].Name = c.Name
			}
			continue
		}
		seen[c.Email] = len(rows)
		rows = append(rows, c)
	}
	for start := 0; start < len(rows); start += ensureChunk {
		part := rows[start:min(start+ensureChunk, len(rows))]
		args := make([]any, 0, 4*len(part))
		for _, c := range part {
			args = append(args, c.Email, c.Name, c.TimeZone, now)
		}
		var got []struct {
			ID    int64  `db:"id"`
			Email string `db:"email"`
		}
		err := q.SelectContext(ctx, &got, q.Rebind(`
			INSERT INTO people (email, name, time_zone, created_at) VALUES (?, ?, ?, ?)`+strings.Repeat(", (?, ?, ?, ?)", len(part)-1)+`
			ON CONFLICT (email) DO UPDATE SET name = CASE WHEN people.name = '' THEN excluded.name ELSE people.name END
			RETURNING id, email`), args...)
		if err != nil {
			return nil, fmt.Errorf("ensure %d people: %w", len(part), err)
		}
		for _, g := range got {
			ids[g.Email] = g.ID
		}
	}
	return ids, nil
}

// CheckEmail refuses what is not an email address Ensure would take.
func CheckEmail(email string) error {
	email = NormalizeEmail(email)
	if _, err := mail.ParseAddress(email); err != nil || !strings.Contains(email, "@") {
		return errs.Errorf(errs.Invalid, "%q is not an email address", email)
	}
	return nil
}

// ByEmail finds a person by address.
func ByEmail(ctx context.Context, q db.Queryer, email string) (Person, error) {
	var p Person
	err := q.GetContext(ctx, &p, q.Rebind(`SELECT `+columns+` FROM people WHERE email = ?`), NormalizeEmail(email))
	if db.IsNoRows(err) {
		return Person{}, errs.Errorf(errs.NotFound, "no person with email %s", email)
	}
	if err != nil {
		return Person{}, fmt.Errorf("person %s: %w", email, err)
	}
	return p, nil
}

// ByID finds a person by id.
func ByID(ctx context.Context, q db.Queryer, id int64) (Person, error) {
	var p Person
	err := q.GetContext(ctx, &p, q.Rebind(`SELECT `+columns+` FROM people WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return Person{}, errs.Errorf(errs.NotFound, "no person %d", id)
	}
	if err != nil {
		return Person{}, fmt.Errorf("person %d: %w", id, err)
	}
	return p, nil
}

// ByIDs finds the people with ids, in one query a few hundred at a time;
// lists use it to name the people in their rows. Unknown ids are left out.
func ByIDs(ctx context.Context, q db.Queryer, ids []int64) (map[int64]Person, error) {
	out := make(map[int64]Person, len(ids))
	seen := make(map[int64]bool, len(ids))
	todo := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			todo = append(todo, id)
		}
	}
	for start := 0; start < len(todo); start += 500 {
		part := todo[start:min(start+500, len(todo))]
		// The list is padded with its last id to a power of two: a few
		// query shapes, not one per count, so the driver's statement
		// cache keeps them compiled.
		size := min(1<<bits.Len(uint(len(part)-1)), 500)
		query := `SELECT ` + columns + ` FROM people WHERE id IN (?` + strings.Repeat(", ?", size-1) + `)`
		args := make([]any, size)
		for i := range args {
			args[i] = part[min(i, len(part)-1)]
		}
		var ps []Person
		if err := q.SelectContext(ctx, &ps, q.Rebind(query), args...); err != nil {
			return nil, fmt.Errorf("people: %w", err)
		}
		for _, p := range ps {
			out[p.ID] = p
		}
	}
	return out, nil
}

// Operators lists the people who operate this installation.
func Operators(ctx context.Context, q db.Queryer) ([]Person, error) {
	var out []Person
	if err := q.SelectContext(ctx, &out, `SELECT `+columns+` FROM people WHERE operator = TRUE ORDER BY id`); err != nil {
		return nil, fmt.Errorf("operators: %w", err)
	}
	return out, nil
}

// SetOperators makes the people with emails operators (active ones: the
// flag is how an operator locked out gets back in). It only adds: people
// made operators on the People page stay operators across restarts, and
// someone is unmade there, not by leaving them off the flag.
func SetOperators(ctx context.Context, q db.Queryer, emails []string, now time.Time) error {
	for _, e := range emails {
		p, err := Ensure(ctx, q, e, "", "UTC", now)
		if err != nil {
			return fmt.Errorf("operators: %w", err)
		}
		if _, err := q.ExecContext(ctx, q.Rebind(`UPDATE people SET operator = TRUE, vouched = TRUE, deactivated_at = NULL WHERE id = ?`), p.ID); err != nil {
			return fmt.Errorf("mark operator %s: %w", e, err)
		}
	}
	return nil
}

// Directory answers the outbox's questions about recipients.
type Directory struct {
	Org Org // who may be emailed
}

// Recipients are the people with ids, as the outbox needs them.
func (d Directory) Recipients(ctx context.Context, q db.Queryer, ids []int64) (map[int64]outbox.Recipient, error) {
	ps, err := ByIDs(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]outbox.Recipient, len(ps))
	for id, p := range ps {
		r := p.Recipient()
		r.Outside = !d.Org.Allows(p)
		r.Inactive = !p.Active()
		out[id] = r
	}
	return out, nil
}

// Vouch marks people an operator added: with --domains set, they may be
// invited and emailed though their address is elsewhere.
func Vouch(ctx context.Context, q db.Queryer, ids ...int64) error {
	for _, id := range ids {
		if _, err := q.ExecContext(ctx, q.Rebind(`UPDATE people SET vouched = TRUE WHERE id = ?`), id); err != nil {
			return fmt.Errorf("vouch for person %d: %w", id, err)
		}
	}
	return nil
}

// Fill looks up, in one query, the people that items refer to (by the id
// each gives) and hands each item its person: how lists show names and
// addresses without reading the people table themselves.
func Fill[T any](ctx context.Context, q db.Queryer, items []T, id func(*T) int64, set func(*T, Person)) error {
	ids := make([]int64, 0, len(items))
	for i := range items {
		if pid := id(&items[i]); pid != 0 {
			ids = append(ids, pid)
		}
	}
	ps, err := ByIDs(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range items {
		if p, ok := ps[id(&items[i])]; ok {
			set(&items[i], p)
		}
	}
	return nil
}
