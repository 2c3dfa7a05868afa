package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

// What a calendar source that keeps notes docs elsewhere (Google Docs)
// needs from meetings: find series and occurrences by their calendar ids,
// record where a series' doc lives, and read sections to mirror.

// SeriesRef is a series as an external source sees it.
type SeriesRef struct {
	ID          int64  `db:"id"`
	CalendarID  int64  `db:"calendar_id"`
	UID         string `db:"uid"`
	Title       string `db:"title"`
	OrganizerID int64  `db:"organizer_id"`
	DocKind     string `db:"doc_kind"`
	DocID       string `db:"doc_external_id"`
	DocURL      string `db:"doc_url"`
}

const seriesRefQuery = `SELECT s.id, s.calendar_id, s.uid, s.title, s.organizer_id,
		d.kind AS doc_kind, d.external_id AS doc_external_id, d.url AS doc_url
	FROM series s JOIN notes_docs d ON d.series_id = s.id `

// SeriesByUID finds a calendar's series by its UID.
func SeriesByUID(ctx context.Context, q db.Queryer, calendarID int64, uid string) (SeriesRef, error) {
	var s SeriesRef
	err := q.GetContext(ctx, &s, q.Rebind(seriesRefQuery+`WHERE s.calendar_id = ? AND s.uid = ?`), calendarID, uid)
	if db.IsNoRows(err) {
		return SeriesRef{}, errs.Errorf(errs.NotFound, "no series %q in calendar %d", uid, calendarID)
	}
	if err != nil {
		return SeriesRef{}, fmt.Errorf("series %s: %w", uid, err)
	}
	return s, nil
}

// SeriesByID finds a series by id.
func SeriesByID(ctx context.Context, q db.Queryer, id int64) (SeriesRef, error) {
	var s SeriesRef
	err := q.GetContext(ctx, &s, q.Rebind(seriesRefQuery+`WHERE s.id = ?`), id)
	if db.IsNoRows(err) {
		return SeriesRef{}, errs.Errorf(errs.NotFound, "no series %d", id)
	}
	if err != nil {
		return SeriesRef{}, fmt.Errorf("series %d: %w", id, err)
	}
	return s, nil
}

// SeriesOf is the series of occurrence occID, or 0 if there is no such
// occurrence.
func SeriesOf(ctx context.Context, q db.Queryer, occID int64) (int64, error) {
	var id int64
	err := q.GetContext(ctx, &id, q.Rebind(`SELECT series_id FROM occurrences WHERE id = ?`), occID)
	if db.IsNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("occurrence %d: %w", occID, err)
	}
	return id, nil
}

// SetNotesDoc records that the series' notes doc lives outside meetingd
// (kind "google"), with its id there and the URL people open.
func SetNotesDoc(ctx context.Context, q db.Queryer, seriesID int64, kind, externalID, url string) error {
	res, err := q.ExecContext(ctx, q.Rebind(`UPDATE notes_docs SET kind = ?, external_id = ?, url = ? WHERE series_id = ?`),
		kind, externalID, url, seriesID)
	if err != nil {
		return fmt.Errorf("set notes doc of series %d: %w", seriesID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Errorf(errs.NotFound, "no notes doc for series %d", seriesID)
	}
	return nil
}

// OccurrenceRef is an occurrence with its section, for mirroring into an
// external doc.
type OccurrenceRef struct {
	ID           int64        `db:"id"`
	SeriesID     int64        `db:"series_id"`
	RecurrenceID string       `db:"recurrence_id"`
	Title        string       `db:"title"`
	StartsAt     time.Time    `db:"starts_at"`
	EndsAt       time.Time    `db:"ends_at"`
	TimeZone     string       `db:"time_zone"`
	Cancelled    bool         `db:"cancelled"`
	PreReadState string       `db:"pre_read_state"`
	HeldAsync    bool         `db:"held_async"`
	Section      Section      `db:"-"`
	Attendees    []Attendee   `db:"-"`
	ActionItems  []ActionItem `db:"-"`
}

// SeriesOccurrences lists a series' occurrences (cancelled ones too),
// oldest first, each with its section and attendees.
func SeriesOccurrences(ctx context.Context, q db.Queryer, seriesID int64) ([]OccurrenceRef, error) {
	var out []OccurrenceRef
	err := q.SelectContext(ctx, &out, q.Rebind(`SELECT id, series_id, recurrence_id, title, starts_at, ends_at, time_zone,
		cancelled, pre_read_state, held_async FROM occurrences WHERE series_id = ? ORDER BY starts_at`), seriesID)
	if err != nil {
		return nil, fmt.Errorf("occurrences of series %d: %w", seriesID, err)
	}
	for i := range out {
		if out[i].Section, err = getSection(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
		if out[i].Attendees, err = attendees(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
		if out[i].ActionItems, err = actionItems(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetPreReadFromDoc is how an external doc reports an occurrence's
// Pre-read section: stored, and, if it holds more than the placeholder
// before the start, the pre-read becomes ready as if published.
func (s *Service) SetPreReadFromDoc(ctx context.Context, occID int64, text string) error {
	_, err := s.UpdateSection(ctx, people.Actor{Operator: true}, occID, SectionPatch{PreRead: &text})
	return err
}

// Placeholder is the notes template's text under a heading (pre_read,
// agenda, notes, decisions, action_items) of a new section.
func (s *Service) Placeholder(field string) string { return s.placeholder(field) }

// AppendSection adds a line under one heading (one of pre_read, agenda,
// notes, decisions, action_items) of an occurrence's section, replacing the
// template's placeholder if that is all the heading holds.
func (s *Service) AppendSection(ctx context.Context, q db.Queryer, occID int64, field, line string, now time.Time) error {
	valid := false
	for _, f := range sectionFields {
		valid = valid || f == field
	}
	if !valid {
		return fmt.Errorf("no notes heading %q", field)
	}
	var cur string
	if err := q.GetContext(ctx, &cur, q.Rebind(`SELECT `+field+` FROM notes_sections WHERE occurrence_id = ?`), occID); err != nil {
		return fmt.Errorf("notes section of occurrence %d: %w", occID, err)
	}
	cur = strings.TrimRight(cur, "\n")
	if strings.TrimSpace(cur) == s.placeholder(field) || strings.TrimSpace(cur) == "" {
		cur = ""
	} else {
		cur += "\n"
	}
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE notes_sections SET `+field+` = ?, updated_at = ? WHERE occurrence_id = ?`),
		cur+line, now, occID)
	if err != nil {
		return fmt.Errorf("append to %s of occurrence %d: %w", field, occID, err)
	}
	return nil
}
