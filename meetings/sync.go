package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// SeriesEvents is everything a calendar says about one series.
type SeriesEvents struct {
	UID    string
	Events []Event
	// Occurrences of this series starting in [From, To) that Events does
	// not list are cancelled: the calendar dropped them (an EXDATE added, a
	// rule shortened). A zero To means Events is a partial update.
	From, To time.Time
}

// SyncResult counts what a sync did.
type SyncResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Cancelled int `json:"cancelled"`
	Skipped   int `json:"skipped"`
}

// Sync stores what a calendar says: new meetings get an occurrence, a
// notes section and their scheduled steps; changed ones are updated in
// place (never duplicated) and their steps moved; cancelled ones lose their
// steps. The whole batch is checked first, so one it refuses stores
// nothing; it is then written in short transactions, so that other writers
// never wait long behind a large calendar.
func (s *Service) Sync(ctx context.Context, calendarID int64, batch []SeriesEvents) (SyncResult, error) {
	return s.SyncStaged(ctx, calendarID, 0, batch, nil)
}

// txEvents is about how many events one sync transaction writes: some
// tens of milliseconds' work.
const txEvents = 200

// SyncStaged is Sync for an import in stages: the occurrences it creates
// stay out of sight under stage until Reveal(stage), and progress learns
// of each transaction's events as it commits.
func (s *Service) SyncStaged(ctx context.Context, calendarID, stage int64, batch []SeriesEvents, progress func(events int)) (SyncResult, error) {
	if err := validateBatch(batch); err != nil {
		return SyncResult{}, err
	}
	var res SyncResult
	for next := 0; next < len(batch); {
		// This transaction's series: whole series, about txEvents events.
		end, events := next, 0
		for end < len(batch) && (end == next || events+len(batch[end].Events) <= txEvents) {
			events += len(batch[end].Events)
			end++
		}
		var part SyncResult
		err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
			part = SyncResult{}
			now := s.Clock.Now()
			q := db.Cache(tx)
			defer q.Close()
			for _, se := range batch[next:end] {
				if err := s.syncSeries(ctx, q, now, calendarID, stage, se, &part); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		res.add(part)
		next = end
		if progress != nil {
			progress(events)
		}
		s.wake()
	}
	return res, nil
}

func (r *SyncResult) add(o SyncResult) {
	r.Created += o.Created
	r.Updated += o.Updated
	r.Cancelled += o.Cancelled
	r.Skipped += o.Skipped
}

// Reveal shows the meetings an import staged: all at once, when the
// import is complete.
func (s *Service) Reveal(ctx context.Context, stage int64) error {
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE occurrences SET stage = 0 WHERE stage = ?`), stage)
		return err
	})
	if err != nil {
		return fmt.Errorf("reveal import %d: %w", stage, err)
	}
	s.wake()
	return nil
}

// validateBatch refuses, before anything is written, a batch that Sync
// could not store whole: an event filed under another series, one that
// ends before it starts, a meeting whose people have no valid address.
func validateBatch(batch []SeriesEvents) error {
	for _, se := range batch {
		for _, ev := range se.Events {
			if ev.SeriesUID != se.UID {
				return errs.Errorf(errs.Invalid, "event %s listed under series %s", ev.Key(), se.UID)
			}
			if ev.SkipReason() != "" {
				continue
			}
			if !ev.End.After(ev.Start) {
				return errs.Errorf(errs.Invalid, "event %s ends (%s) before it starts (%s)", ev.Key(),
					ev.End.UTC().Format(time.RFC3339), ev.Start.UTC().Format(time.RFC3339))
			}
			if err := people.CheckEmail(ev.Organizer.Email); err != nil {
				return fmt.Errorf("organizer of %s: %w", ev.SeriesUID, err)
			}
			for _, a := range ev.Humans() {
				if err := people.CheckEmail(a.Email); err != nil {
					return fmt.Errorf("attendee of %s: %w", ev.Key(), err)
				}
			}
		}
	}
	return nil
}

func (s *Service) syncSeries(ctx context.Context, tx db.Queryer, now time.Time, calID, stage int64, se SeriesEvents, res *SyncResult) error {
	var seriesID int64
	err := tx.GetContext(ctx, &seriesID, tx.Rebind(`SELECT id FROM series WHERE calendar_id = ? AND uid = ?`), calID, se.UID)
	if err != nil && !db.IsNoRows(err) {
		return fmt.Errorf("series %s: %w", se.UID, err)
	}
	listed := map[string]bool{}
	seriesStored := false
	for _, ev := range se.Events {
		if ev.SeriesUID != se.UID {
			return errs.Errorf(errs.Invalid, "event %s listed under series %s", ev.Key(), se.UID)
		}
		rid := recurrenceID(ev)
		listed[rid] = true
		if reason := ev.SkipReason(); reason != "" {
			if seriesID != 0 {
				n, err := s.cancelOccurrence(ctx, tx, now, seriesID, rid)
				if err != nil {
					return err
				}
				res.Cancelled += n
			}
			res.Skipped++
			continue
		}
		// The series takes its fields from the first instance that is not
		// an override (or from an override if that is all there is).
		if seriesID == 0 || (!seriesStored && (ev.RecurrenceID.IsZero() || len(ev.Recurrence) > 0)) {
			if seriesID, err = s.upsertSeries(ctx, tx, now, calID, ev); err != nil {
				return err
			}
			seriesStored = true
		}
		created, err := s.upsertOccurrence(ctx, tx, now, seriesID, stage, ev)
		if err != nil {
			return err
		}
		if created {
			res.Created++
		} else {
			res.Updated++
		}
	}
	if seriesID == 0 || se.To.IsZero() {
		return nil
	}
	var gone []string
	err = tx.SelectContext(ctx, &gone, tx.Rebind(`SELECT recurrence_id FROM occurrences
		WHERE series_id = ? AND cancelled = 0 AND starts_at >= ? AND starts_at < ?`), seriesID, se.From.UTC(), se.To.UTC())
	if err != nil {
		return fmt.Errorf("occurrences of series %s: %w", se.UID, err)
	}
	for _, rid := range gone {
		if listed[rid] {
			continue
		}
		n, err := s.cancelOccurrence(ctx, tx, now, seriesID, rid)
		if err != nil {
			return err
		}
		res.Cancelled += n
	}
	return nil
}

func recurrenceID(ev Event) string {
	if ev.RecurrenceID.IsZero() {
		return ""
	}
	return ev.RecurrenceID.UTC().Format(time.RFC3339)
}

// upsertSeries stores the series' own fields from ev and makes sure it has
// a notes doc.
func (s *Service) upsertSeries(ctx context.Context, tx db.Queryer, now time.Time, calID int64, ev Event) (int64, error) {
	org, err := people.Ensure(ctx, tx, ev.Organizer.Email, ev.Organizer.Name, ev.TimeZone, now)
	if err != nil {
		return 0, fmt.Errorf("organizer of %s: %w", ev.SeriesUID, err)
	}
	var id int64
	err = tx.GetContext(ctx, &id, tx.Rebind(`
		INSERT INTO series (calendar_id, uid, title, description, organizer_id, recurrence, time_zone, private, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (calendar_id, uid) DO UPDATE SET title = excluded.title, description = excluded.description,
			organizer_id = excluded.organizer_id, recurrence = excluded.recurrence, time_zone = excluded.time_zone,
			private = excluded.private, cancelled = 0, updated_at = excluded.updated_at
		RETURNING id`),
		calID, ev.SeriesUID, titleOf(ev), ev.Description, org.ID, strings.Join(ev.Recurrence, "\n"),
		zoneOf(ev), ev.Private, now, now)
	if err != nil {
		return 0, fmt.Errorf("store series %s: %w", ev.SeriesUID, err)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notes_docs (series_id, kind, url, created_at) VALUES (?, 'local', ?, ?)
		ON CONFLICT (series_id) DO NOTHING`), id, fmt.Sprintf("%s/notes/%d", s.baseURL(), id), now)
	if err != nil {
		return 0, fmt.Errorf("notes doc for series %s: %w", ev.SeriesUID, err)
	}
	return id, nil
}

// upsertOccurrence creates or updates the occurrence ev names, its
// attendees, its notes section and its steps. It reports whether it was new.
func (s *Service) upsertOccurrence(ctx context.Context, tx db.Queryer, now time.Time, seriesID, stage int64, ev Event) (bool, error) {
	if !ev.End.After(ev.Start) {
		return false, errs.Errorf(errs.Invalid, "event %s ends (%s) before it starts (%s)", ev.Key(),
			ev.End.UTC().Format(time.RFC3339), ev.Start.UTC().Format(time.RFC3339))
	}
	rid := recurrenceID(ev)
	start, end := ev.Start.UTC(), ev.End.UTC()
	due := start.Add(-s.lead())
	var cur Occurrence
	err := tx.GetContext(ctx, &cur, tx.Rebind(`SELECT `+occColumns+` FROM occurrences WHERE series_id = ? AND recurrence_id = ?`), seriesID, rid)
	created := db.IsNoRows(err)
	if err != nil && !created {
		return false, fmt.Errorf("occurrence %s: %w", ev.Key(), err)
	}
	if created {
		state := PreReadPending
		if !start.After(now) {
			state = PreReadMissing // imported after it began: nothing to ask for
		}
		err = tx.GetContext(ctx, &cur, tx.Rebind(`
			INSERT INTO occurrences (series_id, recurrence_id, title, starts_at, ends_at, time_zone, pre_read_state, pre_read_due_at,
				stage, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+occColumns),
			seriesID, rid, titleOf(ev), start, end, zoneOf(ev), state, due, stage, now, now)
		if err != nil {
			return false, fmt.Errorf("store occurrence %s: %w", ev.Key(), err)
		}
		if err := s.addSection(ctx, tx, cur.ID, now); err != nil {
			return false, err
		}
	} else {
		state := cur.PreReadState
		if !cur.StartsAt.Equal(start) && state == PreReadMissing && due.After(now) {
			state = PreReadPending // moved later: the deadline is ahead again
		}
		err = tx.GetContext(ctx, &cur, tx.Rebind(`
			UPDATE occurrences SET title = ?, starts_at = ?, ends_at = ?, time_zone = ?, cancelled = 0,
				pre_read_state = ?, pre_read_due_at = ?, updated_at = ?
			WHERE id = ? RETURNING `+occColumns),
			titleOf(ev), start, end, zoneOf(ev), state, due, now, cur.ID)
		if err != nil {
			return false, fmt.Errorf("update occurrence %s: %w", ev.Key(), err)
		}
	}
	if err := s.syncAttendees(ctx, tx, now, cur.ID, ev); err != nil {
		return false, err
	}
	return created, s.scheduleSteps(ctx, tx, now, cur)
}

// syncAttendees makes the occurrence's invitees those of ev, with roles by
// the optional-by-default policy and RSVPs from the calendar. Attendance
// already recorded is kept.
func (s *Service) syncAttendees(ctx context.Context, tx db.Queryer, now time.Time, occID int64, ev Event) error {
	organizer := people.NormalizeEmail(ev.Organizer.Email)
	var ids []any
	for _, a := range ev.Humans() {
		p, err := people.Ensure(ctx, tx, a.Email, a.Name, zoneOf(ev), now)
		if err != nil {
			return fmt.Errorf("attendee of %s: %w", ev.Key(), err)
		}
		role := s.policyRole(a, organizer)
		rsvp := a.RSVP
		if !validRSVP(rsvp) {
			rsvp = RSVPNeedsAction
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO attendees (occurrence_id, person_id, role, rsvp) VALUES (?, ?, ?, ?)
			ON CONFLICT (occurrence_id, person_id) DO UPDATE SET role = excluded.role, rsvp = excluded.rsvp, removed = 0`),
			occID, p.ID, role, rsvp)
		if err != nil {
			return fmt.Errorf("store attendee %s of %s: %w", a.Email, ev.Key(), err)
		}
		ids = append(ids, p.ID)
	}
	query, args, err := sqlx.In(`UPDATE attendees SET removed = 1 WHERE occurrence_id = ? AND person_id NOT IN (?)`, occID, ids)
	if err != nil {
		return fmt.Errorf("remove attendees: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(query), args...); err != nil {
		return fmt.Errorf("remove attendees of %s: %w", ev.Key(), err)
	}
	return nil
}

// policyRole is a's role: the organizer is always organizer; with the
// optional-by-default policy everyone else but speakers is optional.
func (s *Service) policyRole(a EventAttendee, organizer string) string {
	switch {
	case a.Email == organizer:
		return RoleOrganizer
	case a.Role == RoleSpeaker:
		return RoleSpeaker
	case s.Cfg.OptionalByDefault:
		return RoleOptional
	case validRole(a.Role) && a.Role != RoleOrganizer:
		return a.Role
	}
	return RoleRequired
}

// cancelOccurrence marks the occurrence cancelled and drops its steps.
func (s *Service) cancelOccurrence(ctx context.Context, tx db.Queryer, now time.Time, seriesID int64, rid string) (int, error) {
	var ids []int64
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`UPDATE occurrences SET cancelled = 1, updated_at = ?
		WHERE series_id = ? AND recurrence_id = ? AND cancelled = 0 RETURNING id`), now, seriesID, rid)
	if err != nil {
		return 0, fmt.Errorf("cancel occurrence: %w", err)
	}
	for _, id := range ids {
		if err := jobs.Cancel(ctx, tx, now, Occurrence{ID: id}.subject()); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (s *Service) lead() time.Duration { return max(s.Cfg.Lead, s.Cfg.MinLead) }

func titleOf(ev Event) string {
	if t := strings.TrimSpace(ev.Title); t != "" {
		return t
	}
	return "(untitled meeting)"
}

func zoneOf(ev Event) string {
	if _, err := time.LoadLocation(ev.TimeZone); err != nil || ev.TimeZone == "" {
		return "UTC"
	}
	return ev.TimeZone
}
