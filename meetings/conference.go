package meetings

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// What a conference service (Google Meet, through the Google calendar
// source) records about a meeting once it has ended: who joined and for
// how long, and its recordings and transcripts. The notes email waits for
// them a while (HoldNotes), so that it can link them.

// Kinds of Recording.
const (
	KindRecording  = "recording"
	KindTranscript = "transcript"
)

// Recording is a recording or transcript of an occurrence.
type Recording struct {
	Kind string `db:"kind" json:"kind"`
	URL  string `db:"url" json:"url"`
}

// recordingsOf lists an occurrence's recordings: the one attached by hand
// first, then those a conference service added (recordings before
// transcripts). None for an occurrence that refuses them now: one that
// became a 1:1 or private after they were added never has them linked in
// an email.
func recordingsOf(ctx context.Context, q db.Queryer, o Occurrence) ([]Recording, error) {
	if why, err := RecordingRefusal(ctx, q, o.ID); why != "" || err != nil {
		return nil, err
	}
	var out []Recording
	if o.RecordingURL != "" {
		out = append(out, Recording{Kind: KindRecording, URL: o.RecordingURL})
	}
	var rows []Recording
	err := q.SelectContext(ctx, &rows, q.Rebind(`SELECT kind, url FROM recordings WHERE occurrence_id = ? ORDER BY created_at, kind, url`), o.ID)
	if err != nil {
		return nil, fmt.Errorf("recordings of occurrence %d: %w", o.ID, err)
	}
	for _, r := range rows {
		if r.URL != o.RecordingURL {
			out = append(out, r)
		}
	}
	return out, nil
}

// RecordingRefusal says why an occurrence may not have a recording
// linked (a 1:1, a private or sensitive meeting), or "" when it may.
func RecordingRefusal(ctx context.Context, q db.Queryer, occID int64) (string, error) {
	o, err := getOccurrence(ctx, q, occID)
	if err != nil {
		return "", err
	}
	ser, err := getSeries(ctx, q, o.SeriesID)
	if err != nil {
		return "", err
	}
	if ser.Private {
		return "it is private or sensitive", nil
	}
	atts, err := attendees(ctx, q, occID)
	if err != nil {
		return "", err
	}
	if len(atts) == 2 {
		return "it is a 1:1", nil
	}
	return "", nil
}

// AddRecordings links recordings and transcripts to an occurrence: kept
// for the notes email, and each a line under Notes ("Recording: <url>").
// Adding one twice changes nothing. A 1:1 or a private meeting refuses.
func (s *Service) AddRecordings(ctx context.Context, occID int64, recs []Recording) error {
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		why, err := RecordingRefusal(ctx, tx, occID)
		if err != nil {
			return err
		}
		if why != "" {
			return errs.Errorf(errs.Conflict, "occurrence %d cannot have a recording: %s", occID, why)
		}
		sec, err := getSection(ctx, tx, occID)
		if err != nil {
			return err
		}
		added := false
		for _, r := range recs {
			if r.Kind != KindRecording && r.Kind != KindTranscript {
				return fmt.Errorf("recording kind %q", r.Kind)
			}
			res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO recordings (occurrence_id, url, kind, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (occurrence_id, url) DO NOTHING`), occID, r.URL, r.Kind, now)
			if err != nil {
				return fmt.Errorf("store recording of occurrence %d: %w", occID, err)
			}
			line := strings.ToUpper(r.Kind[:1]) + r.Kind[1:] + ": " + r.URL
			if n, _ := res.RowsAffected(); n == 0 || strings.Contains(sec.Notes, line) {
				continue
			}
			if err := s.AppendSection(ctx, tx, occID, "notes", line, now); err != nil {
				return err
			}
			if sec, err = getSection(ctx, tx, occID); err != nil {
				return err
			}
			added = true
		}
		if !added {
			return nil
		}
		return emitChanged(ctx, tx, now, occID)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// RecordConferenceAttendance records who joined an occurrence's
// conference, by address, with their minutes in it: present. Everyone
// else invited is absent, unless they contributed to a decision about the
// meeting or were recorded as async already (async); attendance someone
// recorded by hand is kept for those who did not join.
func (s *Service) RecordConferenceAttendance(ctx context.Context, occID int64, joined map[string]int) error {
	contributed, err := s.contributors(ctx, occID)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		atts, err := attendees(ctx, tx, occID)
		if err != nil {
			return err
		}
		changed := false
		for _, a := range atts {
			state, minutes := Absent, (*int)(nil)
			m, ok := joined[people.NormalizeEmail(a.Email)]
			switch {
			case ok:
				state, minutes = Present, &m
			case a.Attendance != "":
				continue
			case contributed[a.PersonID]:
				state = Async
			}
			if a.Attendance == state && sameMinutes(a.MinutesJoined, minutes) {
				continue
			}
			_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE attendees SET attendance = ?, minutes_joined = ?
				WHERE occurrence_id = ? AND person_id = ?`), state, minutes, occID, a.PersonID)
			if err != nil {
				return fmt.Errorf("record attendance of occurrence %d: %w", occID, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
		return emitChanged(ctx, tx, now, occID)
	})
	if err == nil {
		s.wake()
	}
	return err
}

func sameMinutes(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

// contributors are the people who contributed to a decision about the
// occurrence: they took part without attending.
func (s *Service) contributors(ctx context.Context, occID int64) (map[int64]bool, error) {
	if s.Decisions == nil {
		return map[int64]bool{}, nil
	}
	return s.Decisions.Contributors(ctx, occID)
}

// HoldNotes makes the occurrence's notes email wait until until (the
// conference's recordings may come by then), unless ReleaseNotes comes
// first. Holding it again to the same time changes nothing.
func HoldNotes(ctx context.Context, q db.Queryer, occID int64, until time.Time) error {
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE occurrences SET notes_held_until = ?
		WHERE id = ? AND (notes_held_until IS NULL OR notes_held_until <> ?)`), until.UTC(), occID, until.UTC())
	if err != nil {
		return fmt.Errorf("hold notes of occurrence %d: %w", occID, err)
	}
	return nil
}

// ReleaseNotes lets a held notes email go: now, if the meeting has ended.
func ReleaseNotes(ctx context.Context, q db.Queryer, now time.Time, occID int64) error {
	var held []Occurrence
	err := q.SelectContext(ctx, &held, q.Rebind(`UPDATE occurrences SET notes_held_until = NULL
		WHERE id = ? AND notes_held_until IS NOT NULL RETURNING `+occColumns), occID)
	if err != nil {
		return fmt.Errorf("release notes of occurrence %d: %w", occID, err)
	}
	for _, o := range held {
		if !o.Cancelled && !now.Before(o.EndsAt) {
			if err := jobs.Schedule(ctx, q, now, JobNotesShared, o.subject(), now); err != nil {
				return err
			}
		}
	}
	return nil
}

// notesHeld reports whether o's notes email is held past now; if so its
// step is armed again for when the hold ends.
func notesHeld(ctx context.Context, q db.Queryer, now time.Time, o Occurrence) (bool, error) {
	var until []sql.NullTime
	err := q.SelectContext(ctx, &until, q.Rebind(`SELECT notes_held_until FROM occurrences WHERE id = ?`), o.ID)
	if err != nil {
		return false, fmt.Errorf("notes hold of occurrence %d: %w", o.ID, err)
	}
	if len(until) == 0 || !until[0].Valid || !now.Before(until[0].Time) {
		return false, nil
	}
	return true, jobs.Schedule(ctx, q, now, JobNotesShared, o.subject(), until[0].Time)
}

// SetSectionURL records where an external notes doc shows the
// occurrence's section (a link to its heading): the occurrence's notes_url.
func SetSectionURL(ctx context.Context, q db.Queryer, occID int64, url string) error {
	_, err := q.ExecContext(ctx, q.Rebind(`UPDATE notes_sections SET section_url = ? WHERE occurrence_id = ? AND section_url <> ?`),
		url, occID, url)
	if err != nil {
		return fmt.Errorf("section link of occurrence %d: %w", occID, err)
	}
	return nil
}

func sectionURL(ctx context.Context, q db.Queryer, occID int64) (string, error) {
	var u []string
	if err := q.SelectContext(ctx, &u, q.Rebind(`SELECT section_url FROM notes_sections WHERE occurrence_id = ?`), occID); err != nil {
		return "", fmt.Errorf("section link of occurrence %d: %w", occID, err)
	}
	if len(u) == 0 {
		return "", nil
	}
	return u[0], nil
}
