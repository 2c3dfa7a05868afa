package meetings

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

const occColumns = `id, series_id, recurrence_id, title, starts_at, ends_at, time_zone, cancelled, pre_read_state,
	pre_read_due_at, pre_read_at, pre_read_by, recording_url, stage, held_async, created_at, updated_at`

func getOccurrence(ctx context.Context, q db.Queryer, id int64) (Occurrence, error) {
	var o Occurrence
	err := q.GetContext(ctx, &o, q.Rebind(`SELECT `+occColumns+` FROM occurrences WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return Occurrence{}, errs.Errorf(errs.NotFound, "no occurrence %d", id)
	}
	if err != nil {
		return Occurrence{}, fmt.Errorf("occurrence %d: %w", id, err)
	}
	return o, nil
}

func getSeries(ctx context.Context, q db.Queryer, id int64) (Series, error) {
	var s Series
	err := q.GetContext(ctx, &s, q.Rebind(`SELECT id, calendar_id, uid, title, description, organizer_id, recurrence,
		time_zone, private, cancelled, created_at, updated_at FROM series WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return Series{}, errs.Errorf(errs.NotFound, "no series %d", id)
	}
	if err != nil {
		return Series{}, fmt.Errorf("series %d: %w", id, err)
	}
	return s, nil
}

// roleRank orders attendees: organizer, speakers, required, optional.
var roleRank = map[string]int{RoleOrganizer: 0, RoleSpeaker: 1, RoleRequired: 2, RoleOptional: 3}

// attendees lists an occurrence's current invitees, organizer first.
func attendees(ctx context.Context, q db.Queryer, occID int64) ([]Attendee, error) {
	var out []Attendee
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT occurrence_id, person_id, role, rsvp, attendance, minutes_joined, removed
		FROM attendees WHERE occurrence_id = ? AND removed = FALSE`), occID)
	if err != nil {
		return nil, fmt.Errorf("attendees of occurrence %d: %w", occID, err)
	}
	err = people.Fill(ctx, q, out, func(a *Attendee) int64 { return a.PersonID },
		func(a *Attendee, p people.Person) { a.Email, a.Name, a.TimeZone = p.Email, p.Name, p.TimeZone })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Attendee) int {
		return cmp.Or(cmp.Compare(roleRank[a.Role], roleRank[b.Role]), cmp.Compare(a.Email, b.Email))
	})
	return out, nil
}

// attendeeIDs are the people behind an occurrence's current attendees.
func attendeeIDs(ctx context.Context, q db.Queryer, occID int64) ([]int64, error) {
	var ids []int64
	err := q.SelectContext(ctx, &ids, q.Rebind(`SELECT person_id FROM attendees WHERE occurrence_id = ? AND removed = FALSE`), occID)
	if err != nil {
		return nil, fmt.Errorf("attendees of occurrence %d: %w", occID, err)
	}
	return ids, nil
}

// recipients are the people behind an occurrence's current attendees, by
// address.
func recipients(ctx context.Context, q db.Queryer, occID int64) ([]people.Person, error) {
	ids, err := attendeeIDs(ctx, q, occID)
	if err != nil {
		return nil, err
	}
	ps, err := people.ByIDs(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make([]people.Person, 0, len(ps))
	for _, p := range ps {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b people.Person) int { return cmp.Compare(a.Email, b.Email) })
	return out, nil
}

func getSection(ctx context.Context, q db.Queryer, occID int64) (Section, error) {
	var s Section
	err := q.GetContext(ctx, &s, q.Rebind(`SELECT occurrence_id, pre_read, agenda, notes, decisions, action_items, updated_at
		FROM notes_sections WHERE occurrence_id = ?`), occID)
	if err != nil {
		return Section{}, fmt.Errorf("notes section of occurrence %d: %w", occID, err)
	}
	return s, nil
}

func notesDoc(ctx context.Context, q db.Queryer, seriesID int64) (NotesDoc, error) {
	var d NotesDoc
	err := q.GetContext(ctx, &d, q.Rebind(`SELECT id, series_id, kind, external_id, url, created_at FROM notes_docs WHERE series_id = ?`), seriesID)
	if err != nil {
		return NotesDoc{}, fmt.Errorf("notes doc of series %d: %w", seriesID, err)
	}
	return d, nil
}

const actionColumns = `id, occurrence_id, owner_id, text, due_at, done_at, created_at`

func actionItems(ctx context.Context, q db.Queryer, occID int64) ([]ActionItem, error) {
	var out []ActionItem
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT `+actionColumns+` FROM action_items
		WHERE occurrence_id = ? ORDER BY due_at, id`), occID)
	if err != nil {
		return nil, fmt.Errorf("action items of occurrence %d: %w", occID, err)
	}
	return out, nameOwners(ctx, q, out)
}

// nameOwners fills in each action item's owner address.
func nameOwners(ctx context.Context, q db.Queryer, items []ActionItem) error {
	return people.Fill(ctx, q, items, func(it *ActionItem) int64 { return it.OwnerID },
		func(it *ActionItem, p people.Person) { it.OwnerEmail = p.Email })
}
