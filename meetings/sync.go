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
	if err := Validate(batch); err != nil {
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
		var w *syncTx
		err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
			q := db.Cache(tx)
			defer q.Close()
			var err error
			w, err = s.beginSync(ctx, q, calendarID, stage, batch[next:end])
			if err != nil {
				return err
			}
			for _, se := range batch[next:end] {
				if err := w.series(ctx, se); err != nil {
					return err
				}
			}
			return w.flush(ctx)
		})
		if err != nil {
			return res, err
		}
		res.add(w.res)
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

// Validate refuses, before anything is written, a batch that Sync could
// not store whole: an event filed under another series, one that ends
// before it starts, a meeting whose people have no valid address. Sync
// checks its batch; a caller that syncs a calendar in several batches
// checks them all first, so a bad one stores nothing.
func Validate(batch []SeriesEvents) error {
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
