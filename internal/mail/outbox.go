// Package mail is meetingd's outbox: every email is a durable row keyed by
// (kind, subject, recipient), delivered by a scheduled job, so a crash, a
// restart or a second replica never sends one twice and never drops one.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/templates"
)

// Job kinds the outbox schedules.
const (
	JobSend   = "email.send"
	JobDigest = "email.digest"
)

// Recipient is who an email is for, with what the outbox needs to hold
// non-urgent mail to their working hours.
type Recipient struct {
	ID        int64  `db:"id"`
	Email     string `db:"email"`
	Name      string `db:"name"`
	TimeZone  string `db:"time_zone"`
	WorkStart int    `db:"work_start"` // minutes after local midnight
	WorkEnd   int    `db:"work_end"`
	WorkDays  int    `db:"work_days"` // bit n: time.Weekday(n) is a working day
	Digest    bool   `db:"digest"`
}

// Location is the recipient's time zone, UTC when unknown.
func (r Recipient) Location() *time.Location {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Message is an email owed to someone.
type Message struct {
	Kind       string // template and kind: preread_published, ...
	SubjectKey string // what it is about, with a version where a change owes a new email ("occurrence:12@1733220000")
	To         Recipient
	Urgent     bool      // sent at once rather than held to working hours
	Latest     time.Time // never held past this (e.g. the meeting's start); zero for no bound
	Data       any       // the template's .D
}

// TemplateData is what every email template receives.
type TemplateData struct {
	To      Recipient
	Loc     *time.Location // the recipient's zone: every time is shown in it
	BaseURL string
	D       any
}

// Outbox queues email.
type Outbox struct {
	Templates *templates.Set
	Clock     clock.Clock
	BaseURL   string
	Log       *slog.Logger
}

// Enqueue renders m and stores it, with the job that will deliver it, in tx.
// A message with the same (kind, subject key, recipient) as one already
// stored is dropped: it reports false.
func (o *Outbox) Enqueue(ctx context.Context, tx db.Queryer, m Message) (bool, error) {
	now := o.Clock.Now()
	data := TemplateData{To: m.To, Loc: m.To.Location(), BaseURL: o.BaseURL, D: m.Data}
	subject, text, html, err := o.Templates.Email(m.Kind, data)
	if err != nil {
		return false, err
	}
	notBefore := now
	if !m.Urgent {
		notBefore = NextWorkingTime(m.To, now)
		if !m.Latest.IsZero() && notBefore.After(m.Latest) {
			notBefore = maxTime(now, m.Latest.Add(-time.Hour))
		}
	}
	// A digest reader gets non-urgent mail in one email at the start of
	// the working day, unless that would be too late for it.
	digestAt := NextWorkdayStart(m.To, now)
	viaDigest := m.To.Digest && !m.Urgent && (m.Latest.IsZero() || !digestAt.After(m.Latest))
	id, err := insert(ctx, tx, m.Kind, m.SubjectKey, m.To, subject, text, html, notBefore, viaDigest, now)
	if err != nil || id == 0 {
		return false, err
	}
	if viaDigest {
		return true, jobs.Schedule(ctx, tx, now, JobDigest, jobs.Subject("person:", m.To.ID), digestAt)
	}
	return true, jobs.Schedule(ctx, tx, now, JobSend, jobs.Subject("outbox:", id), notBefore)
}

// insert stores one email, returning its id, or 0 if its key is taken.
func insert(ctx context.Context, tx db.Queryer, kind, key string, to Recipient, subject, text, html string,
	notBefore time.Time, viaDigest bool, now time.Time) (int64, error) {
	var ids []int64
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`
		INSERT INTO outbox (kind, subject_key, recipient_id, to_addr, subject, text_body, html_body, not_before, via_digest, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, subject_key, recipient_id) DO NOTHING
		RETURNING id`),
		kind, key, to.ID, to.Email, subject, text, html, notBefore, viaDigest, now)
	if err != nil {
		return 0, fmt.Errorf("queue %s email to %s: %w", kind, to.Email, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// Item is a stored email, for `meetingd outbox` and the API.
type Item struct {
	ID          int64      `db:"id" json:"id"`
	Kind        string     `db:"kind" json:"kind"`
	SubjectKey  string     `db:"subject_key" json:"subject_key"`
	RecipientID int64      `db:"recipient_id" json:"recipient_id"`
	To          string     `db:"to_addr" json:"to"`
	Subject     string     `db:"subject" json:"subject"`
	Text        string     `db:"text_body" json:"text,omitempty"`
	HTML        string     `db:"html_body" json:"-"`
	NotBefore   time.Time  `db:"not_before" json:"not_before"`
	State       string     `db:"state" json:"state"`
	Transport   string     `db:"transport" json:"transport,omitempty"`
	SentAt      *time.Time `db:"sent_at" json:"sent_at,omitempty"`
	LastError   string     `db:"last_error" json:"last_error,omitempty"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
}

const itemColumns = `id, kind, subject_key, recipient_id, to_addr, subject, text_body, html_body, not_before, state, transport, sent_at, last_error, created_at`

// List returns stored emails, newest first, optionally only those to one
// address, paging backwards from before (0: from the newest).
func List(ctx context.Context, q db.Queryer, to string, before int64, limit int) ([]Item, error) {
	query := `SELECT ` + itemColumns + ` FROM outbox WHERE 1=1`
	var args []any
	if to != "" {
		query += ` AND to_addr = ?`
		args = append(args, to)
	}
	if before > 0 {
		query += ` AND id < ?`
		args = append(args, before)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	var out []Item
	if err := q.SelectContext(ctx, &out, q.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
