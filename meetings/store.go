package meetings

import (
	"context"
	"fmt"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

const occColumns = `id, series_id, recurrence_id, title, starts_at, ends_at, time_zone, cancelled, pre_read_state,
	pre_read_due_at, pre_read_at, pre_read_by, recording_url, created_at, updated_at`

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

// attendees lists an occurrence's current invitees, organizer first.
func attendees(ctx context.Context, q db.Queryer, occID int64) ([]Attendee, error) {
	var out []Attendee
	err := q.SelectContext(ctx, &out, q.Rebind(`
		SELECT a.occurrence_id, a.person_id, p.email, p.name, p.time_zone, a.role, a.rsvp, a.attendance, a.removed
		FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND a.removed = 0
		ORDER BY CASE a.role WHEN 'organizer' THEN 0 WHEN 'speaker' THEN 1 WHEN 'required' THEN 2 ELSE 3 END, p.email`), occID)
	if err != nil {
		return nil, fmt.Errorf("attendees of occurrence %d: %w", occID, err)
	}
	return out, nil
}

// recipients are the people behind an occurrence's current attendees.
func recipients(ctx context.Context, q db.Queryer, occID int64) ([]Person, error) {
	var out []Person
	err := q.SelectContext(ctx, &out, q.Rebind(`
		SELECT p.id, p.email, p.name, p.time_zone, p.work_start, p.work_end, p.work_days, p.digest, p.operator, p.created_at
		FROM attendees a JOIN people p ON p.id = a.person_id
		WHERE a.occurrence_id = ? AND a.removed = 0 ORDER BY p.email`), occID)
	if err != nil {
		return nil, fmt.Errorf("recipients of occurrence %d: %w", occID, err)
	}
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

func actionItems(ctx context.Context, q db.Queryer, occID int64) ([]ActionItem, error) {
	var out []ActionItem
	err := q.SelectContext(ctx, &out, q.Rebind(`
		SELECT i.id, i.occurrence_id, i.owner_id, p.email AS owner_email, i.text, i.due_at, i.done_at, i.created_at
		FROM action_items i JOIN people p ON p.id = i.owner_id WHERE i.occurrence_id = ? ORDER BY i.due_at, i.id`), occID)
	if err != nil {
		return nil, fmt.Errorf("action items of occurrence %d: %w", occID, err)
	}
	return out, nil
}
