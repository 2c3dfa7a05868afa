package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// syncTx writes one transaction of a sync. What many events share is
// written a few hundred rows to a statement rather than one at a time:
// everyone they name and every series up front; new occurrences with
// their attendees, sections and steps at the end. Only a meeting already
// stored is read and updated on its own. An import of ten thousand
// meetings is then some hundreds of statements, not a hundred thousand.
type syncTx struct {
	s            *Service
	q            db.Queryer
	now          time.Time
	nowArg       any // now, boxed once for the many rows that store it
	calID, stage int64
	people       *syncPeople           // whom earlier transactions stored
	met          map[string]personSeen // whom this one stored, by normalized address
	known        map[string]bool       // series stored before this transaction, by UID
	seriesIDs    map[string]int64      // every series of the batch stored, by UID
	created      []newOccurrence       // still to insert
	steps        []jobs.Step           // still to schedule
	args         []any                 // reused from one statement to the next
	res          SyncResult
}

// syncSeries is a series of a batch with what Sync asks of each of its
// events more than once, worked out once.
type syncSeries struct {
	SeriesEvents
	events []syncEvent
}

// syncEvent is an event with its SkipReason and Humans.
type syncEvent struct {
	*Event
	skip   string
	humans []EventAttendee
}

// prepareBatch validates batch as Validate does and works out each
// event's skip reason and humans.
func prepareBatch(batch []SeriesEvents) ([]syncSeries, error) {
	v := NewValidator()
	out := make([]syncSeries, len(batch))
	for i, se := range batch {
		evs := make([]syncEvent, len(se.Events))
		for j := range se.Events {
			ev := &se.Events[j]
			evs[j] = syncEvent{Event: ev, skip: ev.SkipReason(), humans: ev.Humans()}
			if err := v.event(se.UID, *ev, evs[j].skip, evs[j].humans); err != nil {
				return nil, err
			}
		}
		out[i] = syncSeries{SeriesEvents: se, events: evs}
	}
	return out, nil
}

// newOccurrence is an occurrence to create.
type newOccurrence struct {
	Occurrence
	ev syncEvent
}

// beginSync stores everyone and every series batch names.
func (s *Service) beginSync(ctx context.Context, q db.Queryer, st *StagedSync, batch []syncSeries) (*syncTx, error) {
	now := s.Clock.Now()
	w := &syncTx{s: s, q: q, now: now, nowArg: now, calID: st.calID, stage: st.stage, people: st.people,
		met: map[string]personSeen{}}
	var cs []people.Contact
	for _, se := range batch {
		for _, ev := range se.events {
			if ev.skip != "" {
				continue
			}
			// Someone new gets the installation's default zone, not the
			// event's: their own setting, once made, decides.
			cs = append(cs, people.Contact{Email: ev.Organizer.Email, Name: ev.Organizer.Name})
			for _, a := range ev.humans {
				cs = append(cs, people.Contact{Email: a.Email, Name: a.Name})
			}
		}
	}
	if err := w.ensurePeople(ctx, cs); err != nil {
		return nil, fmt.Errorf("people of the calendar: %w", err)
	}
	var err error
	if w.seriesIDs, err = w.storedSeries(ctx, batch); err != nil {
		return nil, err
	}
	w.known = make(map[string]bool, len(w.seriesIDs))
	for uid := range w.seriesIDs {
		w.known[uid] = true
	}
	// A stored series keeps its fields when only overrides of it came
	// (an incremental sync lists just what changed).
	var sources []*Event
	for _, se := range batch {
		if ev, master, ok := seriesSource(se); ok && (master || !w.known[se.UID]) {
			sources = append(sources, ev)
		}
	}
	return w, w.upsertSeries(ctx, sources)
}

// seriesSource is the event a series takes its own fields from: the first
// instance that is not an override, or an override if that is all there
// is (then master is false). A series whose events are all skipped has
// none.
func seriesSource(se syncSeries) (ev *Event, master, ok bool) {
	for _, e := range se.events {
		if e.skip != "" || e.SeriesUID != se.UID {
			continue
		}
		if e.RecurrenceID.IsZero() || len(e.Recurrence) > 0 {
			return e.Event, true, true
		}
		if !ok {
			ev, ok = e.Event, true
		}
	}
	return ev, false, ok
}

// chunk bounds the rows of one multi-row statement, well inside SQLite's
// limit of bound parameters.
const chunk = 100

// chunks calls fn with each run of at most chunk of n items.
func chunks(n int, fn func(start, end int) error) error {
	for start := 0; start < n; start += chunk {
		if err := fn(start, min(start+chunk, n)); err != nil {
			return err
		}
	}
	return nil
}

// values is the VALUES list of a rows-row statement of cols columns.
func values(rows int, row string) string {
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// storedSeries finds the ids of batch's series stored before.
func (w *syncTx) storedSeries(ctx context.Context, batch []syncSeries) (map[string]int64, error) {
	ids := make(map[string]int64, len(batch))
	err := chunks(len(batch), func(start, end int) error {
		args := append(w.args[:0], w.calID)
		for _, se := range batch[start:end] {
			args = append(args, se.UID)
		}
		w.args = args
		return w.keys(ctx, `SELECT id, uid FROM series
			WHERE calendar_id = ? AND uid IN (`+values(end-start, "?")+`)`, args, func(id int64, uid string) {
			ids[uid] = id
		})
	})
	if err != nil {
		return nil, fmt.Errorf("stored series: %w", err)
	}
	return ids, nil
}

// keys runs query, whose rows are an id and a text key each, and hands
// each row to fn: scanned by hand, as reflection costs more than the
// statement for the thousands of rows an import returns.
func (w *syncTx) keys(ctx context.Context, query string, args []any, fn func(id int64, key string)) error {
	rows, err := w.q.QueryContext(ctx, w.q.Rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		fn(id, key)
	}
	return rows.Err()
}

// upsertSeries stores each series' own fields from its source event and
// makes sure it has a notes doc. A series named twice takes the first.
func (w *syncTx) upsertSeries(ctx context.Context, sources []*Event) error {
	seen := make(map[string]bool, len(sources))
	unique := sources[:0]
	for _, ev := range sources {
		if !seen[ev.SeriesUID] {
			seen[ev.SeriesUID] = true
			unique = append(unique, ev)
		}
	}
	sources = unique
	return chunks(len(sources), func(start, end int) error {
		args := w.args[:0]
		for _, ev := range sources[start:end] {
			args = append(args, w.calID, ev.SeriesUID, titleOf(*ev), input.CleanText(ev.Description, input.MaxText),
				w.personID(people.NormalizeEmail(ev.Organizer.Email)), strings.Join(ev.Recurrence, "\n"), zoneOf(*ev), ev.Private,
				w.nowArg, w.nowArg)
		}
		w.args = args
		docs := make([]int64, 0, end-start)
		err := w.keys(ctx, `
			INSERT INTO series (calendar_id, uid, title, description, organizer_id, recurrence, time_zone, private, created_at, updated_at)
			VALUES `+values(end-start, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")+`
			ON CONFLICT (calendar_id, uid) DO UPDATE SET title = excluded.title, description = excluded.description,
				organizer_id = excluded.organizer_id, recurrence = excluded.recurrence, time_zone = excluded.time_zone,
				private = excluded.private, cancelled = FALSE, updated_at = excluded.updated_at
			RETURNING id, uid`, args, func(id int64, uid string) {
			w.seriesIDs[uid] = id
			docs = append(docs, id)
		})
		if err != nil {
			return fmt.Errorf("store %d series: %w", end-start, err)
		}
		return w.s.addDocs(ctx, w.q, docs, w.now)
	})
}

// series stores what the calendar says about one series' occurrences.
func (w *syncTx) series(ctx context.Context, se syncSeries) error {
	seriesID, known := w.seriesIDs[se.UID], w.known[se.UID]
	listed := make(map[string]bool, len(se.events))
	for _, ev := range se.events {
		if ev.SeriesUID != se.UID {
			return errs.Errorf(errs.Invalid, "event %s listed under series %s", ev.Key(), se.UID)
		}
		rid := recurrenceID(*ev.Event)
		again := listed[rid] // listed twice: the second is an update of the first
		listed[rid] = true
		if again {
			if err := w.flush(ctx); err != nil {
				return err
			}
		}
		if ev.skip != "" {
			if known || again {
				if err := w.cancel(ctx, seriesID, rid); err != nil {
					return err
				}
			}
			w.res.Skipped++
			continue
		}
		if err := w.occurrence(ctx, seriesID, known || again, ev); err != nil {
			return err
		}
	}
	if !known || se.To.IsZero() {
		return nil
	}
	var gone []string
	err := w.q.SelectContext(ctx, &gone, w.q.Rebind(`SELECT recurrence_id FROM occurrences
		WHERE series_id = ? AND cancelled = FALSE AND starts_at >= ? AND starts_at < ?`), seriesID, se.From.UTC(), se.To.UTC())
	if err != nil {
		return fmt.Errorf("occurrences of series %s: %w", se.UID, err)
	}
	for _, rid := range gone {
		if !listed[rid] {
			if err := w.cancel(ctx, seriesID, rid); err != nil {
				return err
			}
		}
	}
	return nil
}

func recurrenceID(ev Event) string {
	if ev.RecurrenceID.IsZero() {
		return ""
	}
	return ev.RecurrenceID.UTC().Format(time.RFC3339)
}

// occurrence creates or updates the occurrence ev names. known says
// whether it may be stored already (else it cannot be).
func (w *syncTx) occurrence(ctx context.Context, seriesID int64, known bool, ev syncEvent) error {
	if !ev.End.After(ev.Start) {
		return errs.Errorf(errs.Invalid, "event %s ends (%s) before it starts (%s)", ev.Key(),
			ev.End.UTC().Format(time.RFC3339), ev.Start.UTC().Format(time.RFC3339))
	}
	rid := recurrenceID(*ev.Event)
	if known {
		var cur Occurrence
		err := w.q.GetContext(ctx, &cur, w.q.Rebind(`SELECT `+occColumns+` FROM occurrences WHERE series_id = ? AND recurrence_id = ?`), seriesID, rid)
		if err == nil {
			return w.update(ctx, cur, ev)
		}
		if !db.IsNoRows(err) {
			return fmt.Errorf("occurrence %s: %w", ev.Key(), err)
		}
	}
	start := ev.Start.UTC()
	o := Occurrence{SeriesID: seriesID, RecurrenceID: rid, Title: titleOf(*ev.Event), StartsAt: start, EndsAt: ev.End.UTC(),
		TimeZone: zoneOf(*ev.Event), PreReadState: PreReadPending, PreReadDueAt: start.Add(-w.s.lead()), Stage: w.stage,
		CreatedAt: w.now, UpdatedAt: w.now}
	if !start.After(w.now) {
		o.PreReadState = PreReadMissing // imported after it began: nothing to ask for
	}
	w.created = append(w.created, newOccurrence{Occurrence: o, ev: ev})
	w.res.Created++
	return nil
}

// update brings a stored occurrence in line with ev.
func (w *syncTx) update(ctx context.Context, cur Occurrence, ev syncEvent) error {
	start, end := ev.Start.UTC(), ev.End.UTC()
	due := start.Add(-w.s.lead())
	state := cur.PreReadState
	if !cur.StartsAt.Equal(start) && state == PreReadMissing && due.After(w.now) {
		state = PreReadPending // moved later: the deadline is ahead again
	}
	err := w.q.GetContext(ctx, &cur, w.q.Rebind(`
		UPDATE occurrences SET title = ?, starts_at = ?, ends_at = ?, time_zone = ?, cancelled = FALSE,
			pre_read_state = ?, pre_read_due_at = ?, updated_at = ?
		WHERE id = ? RETURNING `+occColumns),
		titleOf(*ev.Event), start, end, zoneOf(*ev.Event), state, due, w.now, cur.ID)
	if err != nil {
		return fmt.Errorf("update occurrence %s: %w", ev.Key(), err)
	}
	if err := w.attendees(ctx, []newOccurrence{{cur, ev}}); err != nil {
		return err
	}
	if err := w.removeAttendees(ctx, cur.ID, ev); err != nil {
		return err
	}
	want, drop := w.s.steps(w.now, cur)
	if len(drop) > 0 {
		if err := jobs.Cancel(ctx, w.q, w.now, cur.subject(), drop...); err != nil {
			return err
		}
	}
	w.steps = append(w.steps, want...)
	w.res.Updated++
	return nil
}

// flush writes the occurrences, attendees, sections and steps gathered so
// far. A new occurrence has no steps to cancel: only to schedule.
func (w *syncTx) flush(ctx context.Context) error {
	if err := w.insertOccurrences(ctx); err != nil {
		return err
	}
	ids := make([]int64, len(w.created))
	for i, n := range w.created {
		ids[i] = n.ID
		want, _ := w.s.steps(w.now, n.Occurrence)
		w.steps = append(w.steps, want...)
	}
	if err := w.attendees(ctx, w.created); err != nil {
		return err
	}
	if err := w.s.addSections(ctx, w.q, ids, w.now); err != nil {
		return err
	}
	if err := jobs.ScheduleMany(ctx, w.q, w.now, jobs.Steps, w.steps); err != nil {
		return err
	}
	w.created, w.steps = w.created[:0], w.steps[:0]
	return nil
}

// insertOccurrences stores the new occurrences and learns their ids.
func (w *syncTx) insertOccurrences(ctx context.Context) error {
	return chunks(len(w.created), func(start, end int) error {
		part := w.created[start:end]
		args := w.args[:0]
		for _, n := range part {
			o := n.Occurrence
			args = append(args, o.SeriesID, o.RecurrenceID, o.Title, o.StartsAt, o.EndsAt, o.TimeZone,
				o.PreReadState, o.PreReadDueAt, o.Stage, w.nowArg, w.nowArg)
		}
		w.args = args
		// RETURNING's order is not promised: match rows by their key.
		type key struct {
			series int64
			rid    string
		}
		byKey := make(map[key]int, len(part))
		for i := range part {
			byKey[key{part[i].SeriesID, part[i].RecurrenceID}] = i
		}
		rows, err := w.q.QueryContext(ctx, w.q.Rebind(`
			INSERT INTO occurrences (series_id, recurrence_id, title, starts_at, ends_at, time_zone, pre_read_state, pre_read_due_at,
				stage, created_at, updated_at)
			VALUES `+values(len(part), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")+`
			RETURNING id, series_id, recurrence_id`), args...)
		if err != nil {
			return fmt.Errorf("store %d occurrences: %w", len(part), err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var k key
			if err := rows.Scan(&id, &k.series, &k.rid); err != nil {
				return fmt.Errorf("store %d occurrences: %w", len(part), err)
			}
			part[byKey[k]].ID = id
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store %d occurrences: %w", len(part), err)
		}
		return nil
	})
}

// attendees makes each occurrence's invitees those of its event, with
// roles by the optional-by-default policy and RSVPs from the calendar.
// Attendance already recorded is kept.
func (w *syncTx) attendees(ctx context.Context, occs []newOccurrence) error {
	type row struct {
		occ, person int64
		role, rsvp  string
	}
	var rows []row
	for _, n := range occs {
		organizer := people.NormalizeEmail(n.ev.Organizer.Email)
		for _, a := range n.ev.humans {
			rsvp := a.RSVP
			if !validRSVP(rsvp) {
				rsvp = RSVPNeedsAction
			}
			rows = append(rows, row{n.ID, w.personID(a.Email), w.s.policyRole(a, organizer), rsvp})
		}
	}
	return chunks(len(rows), func(start, end int) error {
		args := w.args[:0]
		for _, r := range rows[start:end] {
			args = append(args, r.occ, r.person, r.role, r.rsvp)
		}
		w.args = args
		_, err := w.q.ExecContext(ctx, w.q.Rebind(`
			INSERT INTO attendees (occurrence_id, person_id, role, rsvp) VALUES `+values(end-start, "(?, ?, ?, ?)")+`
			ON CONFLICT (occurrence_id, person_id) DO UPDATE SET role = excluded.role, rsvp = excluded.rsvp, removed = FALSE`),
			args...)
		if err != nil {
			return fmt.Errorf("store %d attendees: %w", end-start, err)
		}
		return nil
	})
}

// removeAttendees marks removed those the event no longer lists; their
// history stays.
func (w *syncTx) removeAttendees(ctx context.Context, occID int64, ev syncEvent) error {
	query := `UPDATE attendees SET removed = TRUE WHERE occurrence_id = ?`
	args := []any{occID}
	for _, a := range ev.humans {
		args = append(args, w.personID(a.Email))
	}
	if len(args) > 1 {
		query += ` AND person_id NOT IN (` + values(len(args)-1, "?") + `)`
	}
	if _, err := w.q.ExecContext(ctx, w.q.Rebind(query), args...); err != nil {
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

// cancel marks the occurrence cancelled and drops its steps, after
// writing what was gathered so far (which may be its own).
func (w *syncTx) cancel(ctx context.Context, seriesID int64, rid string) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	var ids []int64
	// A meeting held async had its call cancelled in its calendar on
	// purpose (by meetingd): the async work goes on, so it stays.
	err := w.q.SelectContext(ctx, &ids, w.q.Rebind(`UPDATE occurrences SET cancelled = TRUE, updated_at = ?
		WHERE series_id = ? AND recurrence_id = ? AND cancelled = FALSE AND held_async = FALSE RETURNING id`), w.now, seriesID, rid)
	if err != nil {
		return fmt.Errorf("cancel occurrence: %w", err)
	}
	for _, id := range ids {
		if err := jobs.Cancel(ctx, w.q, w.now, Occurrence{ID: id}.subject()); err != nil {
			return err
		}
	}
	w.res.Cancelled += len(ids)
	return nil
}
