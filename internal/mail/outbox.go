// Package mail is meetingd's outbox: every email is a durable row keyed by
// (kind, subject, recipient), delivered by a scheduled job, so a crash, a
// restart or a second replica never sends one twice and never drops one.
// An email is composed when it is sent, by the package it is about (its
// Source), from what that is then: one whose reason is gone is dropped.
package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/templates"
)

// Job kinds the outbox schedules.
const (
	JobSend   = "email.send"   // subject "person:<id>@<unix>": what is due to a person by then
	JobDigest = "email.digest" // subject "person:<id>": a digest reader's held mail
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
	// Outside is a recipient outside the organisation (--domains), met on
	// an imported or synced calendar: kept, but never emailed.
	Outside bool `db:"-"`
	// Inactive is a person an operator deactivated: kept with what they
	// wrote, but never emailed.
	Inactive bool `db:"-"`
}

// Undeliverable says why r is never emailed, if they are not.
func (r Recipient) Undeliverable() (string, bool) {
	switch {
	case r.Inactive:
		return "deactivated by an operator", true
	case r.Outside:
		return "outside the organisation's domains (--domains)", true
	}
	return "", false
}

// Location is the recipient's time zone, UTC when unknown.
func (r Recipient) Location() *time.Location {
	loc, err := clock.Zone(r.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Message is an email owed to someone: what it is about, not its words,
// which its Source writes when it is sent.
type Message struct {
	Kind       string // template and kind: preread_published, ...
	SubjectKey string // what it is about, with a version where a change owes a new email ("occurrence:12@1733220000")
	To         Recipient
	Urgent     bool      // sent at once rather than held to working hours
	Latest     time.Time // never held past this (e.g. the meeting's start); zero for no bound
	// Params is what the Source cannot read again when it composes the
	// email (where a sign-in link returns to); most messages need none.
	Params map[string]string
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
	// People answers who emails are for (the people package).
	People Recipients

	sources map[string]Source
}

// Enqueue stores m, with the job that will deliver it, in tx. A message
// with the same (kind, subject key, recipient) as one already stored is
// dropped: it reports false.
func (o *Outbox) Enqueue(ctx context.Context, tx db.Queryer, m Message) (bool, error) {
	n, err := o.EnqueueAll(ctx, tx, m, []Recipient{m.To})
	return n == 1, err
}

// EnqueueAll stores m for each of to, a few hundred to a statement, with
// their delivery jobs; it reports how many were new.
func (o *Outbox) EnqueueAll(ctx context.Context, tx db.Queryer, m Message, to []Recipient) (int, error) {
	now := o.Clock.Now()
	params := ""
	if len(m.Params) > 0 {
		b, _ := json.Marshal(m.Params)
		params = string(b)
	}
	added := 0
	for start := 0; start < len(to); start += 200 {
		part := to[start:min(start+200, len(to))]
		args := make([]any, 0, 9*len(part))
		due := make(map[int64]time.Time, len(part))
		digest := make(map[int64]time.Time, len(part))
		for _, r := range part {
			notBefore, viaDigest, digestAt := o.when(r, m.Urgent, m.Latest, now)
			due[r.ID] = notBefore
			if viaDigest {
				digest[r.ID] = digestAt
			}
			args = append(args, m.Kind, m.SubjectKey, r.ID, r.Email, params, notBefore, viaDigest, m.Urgent, now)
		}
		var ids []int64
		err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			INSERT INTO outbox (kind, subject_key, recipient_id, to_addr, params, not_before, via_digest, urgent, created_at)
			VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(part)), ", ")+`
			ON CONFLICT (kind, subject_key, recipient_id) DO NOTHING
			RETURNING recipient_id`), args...)
		if err != nil {
			return added, fmt.Errorf("queue %s emails: %w", m.Kind, err)
		}
		var sends, digests []jobs.Step
		for _, id := range ids {
			if at, ok := digest[id]; ok {
				digests = append(digests, jobs.Step{Kind: JobDigest, Subject: jobs.Subject("person:", id), Due: at})
				continue
			}
			sends = append(sends, jobs.Step{Kind: JobSend, Subject: sendSubject(id, due[id], m.Urgent), Due: due[id]})
		}
		// Urgent mail (a sign-in link, an outcome owed) is a timely step;
		// the rest goes out in bulk, behind nothing that must keep time.
		lane := jobs.Bulk
		if m.Urgent {
			lane = jobs.Steps
		}
		if err := jobs.Owe(ctx, tx, now, lane, sends); err != nil {
			return added, err
		}
		if err := jobs.Owe(ctx, tx, now, jobs.Bulk, digests); err != nil {
			return added, err
		}
		added += len(ids)
	}
	return added, nil
}

// sendSubject names the delivery of what is due to a person by at: every
// email to them falling due then shares it. Urgent mail has deliveries of
// its own, which run in the Steps lane.
func sendSubject(personID int64, at time.Time, urgent bool) string {
	s := fmt.Sprintf("person:%d@%d", personID, at.Unix())
	if urgent {
		s += "/urgent"
	}
	return s
}

// when is when an email to to may go: urgent mail at once, the rest in the
// recipient's working hours but never past latest; and, for a digest
// reader, whether it waits for the digest at the start of their working
// day (unless that would be too late for it).
func (o *Outbox) when(to Recipient, urgent bool, latest, now time.Time) (notBefore time.Time, viaDigest bool, digestAt time.Time) {
	notBefore = now
	if !urgent {
		notBefore = NextWorkingTime(to, now)
		if !latest.IsZero() && notBefore.After(latest) {
			notBefore = maxTime(now, latest.Add(-time.Hour))
		}
	}
	digestAt = NextWorkdayStart(to, now)
	viaDigest = to.Digest && !urgent && (latest.IsZero() || !digestAt.After(latest))
	return notBefore, viaDigest, digestAt
}

// Item is a stored email, for `meetingd outbox` and the API.
type Item struct {
	ID            int64      `db:"id" json:"id"`
	Kind          string     `db:"kind" json:"kind"`
	SubjectKey    string     `db:"subject_key" json:"subject_key"`
	RecipientID   int64      `db:"recipient_id" json:"recipient_id"`
	To            string     `db:"to_addr" json:"to"`
	Params        string     `db:"params" json:"-"`
	Subject       string     `db:"subject" json:"subject"`
	Text          string     `db:"text_body" json:"text,omitempty"`
	HTML          string     `db:"html_body" json:"html,omitempty"`
	NotBefore     time.Time  `db:"not_before" json:"not_before"`
	State         string     `db:"state" json:"state"`
	DroppedReason string     `db:"dropped_reason" json:"dropped_reason,omitempty"`
	Urgent        bool       `db:"urgent" json:"-"`
	ViaDigest     bool       `db:"via_digest" json:"-"`
	Transport     string     `db:"transport" json:"transport,omitempty"`
	SentAt        *time.Time `db:"sent_at" json:"sent_at,omitempty"`
	LastError     string     `db:"last_error" json:"last_error,omitempty"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
}

// Param is one of the message's Params.
func (it Item) Param(name string) string {
	var p map[string]string
	json.Unmarshal([]byte(it.Params), &p)
	return p[name]
}

const itemColumns = `id, kind, subject_key, recipient_id, to_addr, params, subject, text_body, html_body, not_before, state,
	dropped_reason, urgent, via_digest, transport, sent_at, last_error, created_at`

// List returns stored emails, newest first, optionally only those to one
// address, paging backwards from before (0: from the newest). An email not
// sent yet shows the words it would go with now, or why it would be dropped.
func (o *Outbox) List(ctx context.Context, q db.Queryer, to string, before int64, limit int) ([]Item, error) {
	return o.Find(ctx, q, Filter{To: to}, before, limit)
}

// Filter narrows the outbox's list; an empty field matches every email.
type Filter struct {
	To    string // an address, exactly
	Kind  string // e.g. "signin", "preread_published"
	State string // pending, sent, kept, dropped or failed
}

// Find is List with every filter: what the operators' Outbox page asks.
func (o *Outbox) Find(ctx context.Context, q db.Queryer, f Filter, before int64, limit int) ([]Item, error) {
	items, err := list(ctx, q, f, before, limit)
	if err != nil {
		return nil, err
	}
	return items, o.preview(ctx, q, items)
}

// preview composes the pending emails among items, as they would go now.
func (o *Outbox) preview(ctx context.Context, q db.Queryer, items []Item) error {
	var pending []Item
	var ids []int64
	for _, it := range items {
		if it.State == "pending" && it.Subject == "" {
			pending, ids = append(pending, it), append(ids, it.RecipientID)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	people, err := o.People.Recipients(ctx, q, ids)
	if err != nil {
		return err
	}
	composed := map[int64]Item{}
	for _, group := range groups(pending) {
		texts, dropped, err := o.compose(ctx, q, group[0].Kind, group[0].SubjectKey, group, people)
		if err != nil {
			return err
		}
		for _, it := range group {
			reason, ok := dropped[it.RecipientID]
			if why, never := people[it.RecipientID].Undeliverable(); never {
				reason, ok = why, true
			}
			if ok {
				it.DroppedReason = "would be dropped: " + reason
			}
			w := texts[it.RecipientID]
			it.Subject, it.Text, it.HTML = w.subject, w.text, w.html
			composed[it.ID] = it
		}
	}
	for i, it := range items {
		if c, ok := composed[it.ID]; ok {
			items[i] = c
		}
	}
	return nil
}

func list(ctx context.Context, q db.Queryer, f Filter, before int64, limit int) ([]Item, error) {
	query := `SELECT ` + itemColumns + ` FROM outbox WHERE 1=1`
	var args []any
	for _, c := range [...]struct{ col, v string }{{"to_addr", f.To}, {"kind", f.Kind}, {"state", f.State}} {
		if c.v != "" {
			query += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
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
