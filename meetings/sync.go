package meetings

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/input"
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
	return s.Staged(calendarID, stage).Sync(ctx, batch, progress)
}

// StagedSync writes one sync, or one import in several batches, into a
// calendar. Between its transactions it remembers who it has stored (see
// syncPeople), so that the people a large calendar names again and again
// are written once rather than in every transaction. Use it from one
// goroutine.
type StagedSync struct {
	s            *Service
	calID, stage int64
	people       *syncPeople
}

// Staged starts a sync into the calendar calendarID whose new occurrences
// stay hidden under stage until Reveal(stage); stage 0 shows them at once.
func (s *Service) Staged(calendarID, stage int64) *StagedSync {
	return &StagedSync{s: s, calID: calendarID, stage: stage, people: newSyncPeople()}
}

// Sync stores batch as SyncStaged does.
func (st *StagedSync) Sync(ctx context.Context, batch []SeriesEvents, progress func(events int)) (SyncResult, error) {
	prepared, err := prepareBatch(batch)
	if err != nil {
		return SyncResult{}, err
	}
	var res SyncResult
	for next := 0; next < len(prepared); {
		end, events := txSpan(prepared, next)
		w, err := st.write(ctx, prepared[next:end])
		if err != nil {
			// What the failed transaction stored is gone: forget whom it met.
			st.people = newSyncPeople()
			return res, err
		}
		st.people.commit(w.met)
		res.add(w.res)
		next = end
		if progress != nil {
			progress(events)
		}
		st.s.wake()
	}
	return res, nil
}

// txSpan is the end of the transaction that starts at series next: whole
// series, about txEvents events, and how many events that is.
func txSpan(batch []syncSeries, next int) (end, events int) {
	end = next
	for end < len(batch) && (end == next || events+len(batch[end].events) <= txEvents) {
		events += len(batch[end].events)
		end++
	}
	return end, events
}

// write stores part in one transaction.
func (st *StagedSync) write(ctx context.Context, part []syncSeries) (*syncTx, error) {
	var w *syncTx
	err := db.InTx(ctx, st.s.DB, func(tx *sqlx.Tx) error {
		q, done := queryer(tx)
		defer done()
		var err error
		w, err = st.s.beginSync(ctx, q, st, part)
		if err != nil {
			return err
		}
		for _, se := range part {
			if err := w.series(ctx, se); err != nil {
				return err
			}
		}
		return w.flush(ctx)
	})
	return w, err
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

// Validate refuses, before anything is written, a batch that Sync could
// not store whole: an event filed under another series, one that ends
// before it starts, a meeting whose people have no valid address. Sync
// checks its batch; a caller that syncs a calendar in several batches
// checks them all first, so a bad one stores nothing.
func Validate(batch []SeriesEvents) error {
	return NewValidator().Validate(batch)
}

// Validator is Validate for many batches, one calendar's: it checks each
// address once, however many meetings name it (parsing an address is
// most of what checking a meeting costs).
type Validator struct {
	emails map[string]error // by address as the calendar wrote it
}

// NewValidator returns a Validator that has checked nothing yet.
func NewValidator() *Validator { return &Validator{emails: map[string]error{}} }

// Validate checks batch as the package's Validate does.
func (v *Validator) Validate(batch []SeriesEvents) error {
	for _, se := range batch {
		for _, ev := range se.Events {
			if err := v.event(se.UID, ev, ev.SkipReason(), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// event checks one event of series uid, whose SkipReason is skip and, if
// the caller has them, whose Humans are humans.
func (v *Validator) event(uid string, ev Event, skip string, humans []EventAttendee) error {
	if ev.SeriesUID != uid {
		return errs.Errorf(errs.Invalid, "event %s listed under series %s", ev.Key(), uid)
	}
	if skip != "" {
		return nil
	}
	if !ev.End.After(ev.Start) {
		return errs.Errorf(errs.Invalid, "event %s ends (%s) before it starts (%s)", ev.Key(),
			ev.End.UTC().Format(time.RFC3339), ev.Start.UTC().Format(time.RFC3339))
	}
	if err := v.email(ev.Organizer.Email); err != nil {
		return fmt.Errorf("organizer of %s: %w", ev.SeriesUID, err)
	}
	if humans == nil {
		humans = ev.Humans()
	}
	for _, a := range humans {
		if err := v.email(a.Email); err != nil {
			return fmt.Errorf("attendee of %s: %w", ev.Key(), err)
		}
	}
	return nil
}

func (v *Validator) email(address string) error {
	err, ok := v.emails[address]
	if !ok {
		err = people.CheckEmail(address)
		v.emails[address] = err
	}
	return err
}

func (s *Service) lead() time.Duration { return max(s.Cfg.Lead, s.Cfg.MinLead) }

// titleOf is the event's title as meetingd shows it: a calendar's odd
// characters cleaned out (a CR or LF would break feeds and headers).
func titleOf(ev Event) string {
	if t := input.CleanLine(ev.Title, input.MaxLine); t != "" {
		return t
	}
	return "(untitled meeting)"
}

func zoneOf(ev Event) string {
	if _, err := clock.Zone(ev.TimeZone); err != nil {
		return "UTC"
	}
	return ev.TimeZone
}
