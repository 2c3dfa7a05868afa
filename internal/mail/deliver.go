package mail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
)

// Transport hands a composed email to the world.
type Transport interface {
	Send(ctx context.Context, it Item) error
	// Name is recorded with each delivery: "smtp", or "local" for the
	// embedded default, which keeps mail in the outbox to be read there.
	Name() string
}

// LocalTransport delivers nowhere: mail stays readable in the outbox.
type LocalTransport struct{}

// Send does nothing; the outbox row is the delivery.
func (LocalTransport) Send(context.Context, Item) error { return nil }

// Name is "local".
func (LocalTransport) Name() string { return "local" }

// Observer learns of each email delivered.
type Observer interface {
	Email(kind, transport string)
}

// Recipients finds who emails are for: mail sits below the people
// package, which answers.
type Recipients interface {
	Recipients(ctx context.Context, q db.Queryer, ids []int64) (map[int64]Recipient, error)
}

// Deliverer runs the outbox's jobs: it composes what is due, sends it, and
// records each email as sent as soon as it is, so a crash repeats at most
// the one in flight.
type Deliverer struct {
	DB          *db.DB
	Outbox      *Outbox
	Transport   Transport
	MaxAttempts int // after this many failures an email is marked failed
	// Observer, if not nil, learns of each delivery (metrics).
	Observer Observer
}

// Register installs the delivery handlers on w. A claimed batch of
// deliveries is composed together, so an email owed to many is rendered
// once per time zone.
func (d *Deliverer) Register(w *jobs.Worker) {
	w.HandleBatch(JobSend, d.send)
	w.Handle(JobDigest, d.digest)
}

// send delivers what is due to the people of js: every pending email to
// them due by now, and not held for a digest. An older job names one
// email ("outbox:<id>").
func (d *Deliverer) send(ctx context.Context, js []jobs.Job) error {
	now := d.Outbox.Clock.Now()
	var people, ids []int64
	attempts := 0
	for _, j := range js {
		attempts = max(attempts, j.Attempts)
		if id, err := jobs.SubjectID(j.Subject, "outbox:"); err == nil {
			ids = append(ids, id)
			continue
		}
		person, _, _ := strings.Cut(j.Subject, "@")
		id, err := jobs.SubjectID(person, "person:")
		if err != nil {
			return fmt.Errorf("job subject %q is not person:<id>@<time>", j.Subject)
		}
		people = append(people, id)
	}
	items, err := d.due(ctx, people, ids, now)
	if err != nil || len(items) == 0 {
		return err
	}
	return d.deliver(ctx, items, attempts)
}

// due reads the pending emails of people due by now, and those of ids.
func (d *Deliverer) due(ctx context.Context, people, ids []int64, now time.Time) ([]Item, error) {
	var out []Item
	for _, set := range []struct {
		col  string
		vals []int64
		more string
	}{{"recipient_id", people, ` AND via_digest = FALSE AND not_before <= ?`}, {"id", ids, ``}} {
		if len(set.vals) == 0 {
			continue
		}
		args := []any{set.vals}
		if set.more != "" {
			// Gather what falls due in the next few minutes too, so it goes
			// in one email rather than several minutes apart.
			args = append(args, now.Add(CombineWindow))
		}
		query, args, err := sqlx.In(`SELECT `+itemColumns+` FROM outbox WHERE state = 'pending' AND `+set.col+` IN (?)`+set.more, args...)
		if err != nil {
			return nil, err
		}
		var its []Item
		if err := d.DB.SelectContext(ctx, &its, d.DB.Rebind(query+` ORDER BY id`), args...); err != nil {
			return nil, fmt.Errorf("emails due: %w", err)
		}
		out = append(out, its...)
	}
	return out, nil
}

// deliver composes items, a kind and key at a time, and sends them one by
// one. It fails when any could not be sent, so its job tries again; those
// sent are recorded already. At the last try, those left are failed.
func (d *Deliverer) deliver(ctx context.Context, items []Item, attempts int) error {
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.RecipientID)
	}
	people, err := d.Outbox.People.Recipients(ctx, d.DB, ids)
	if err != nil {
		return err
	}
	var ready []Item
	for _, group := range groups(items) {
		texts, dropped, err := d.words(ctx, group, people)
		if err != nil {
			return err
		}
		for _, it := range group {
			reason, ok := dropped[it.RecipientID]
			if why, never := people[it.RecipientID].Undeliverable(); never {
				reason, ok = why, true
			}
			if ok {
				if err := d.record(ctx, it, "dropped", reason, ""); err != nil {
					return err
				}
				continue
			}
			if w, ok := texts[it.RecipientID]; ok {
				it.Subject, it.Text, it.HTML = w.subject, w.text, w.html
			}
			ready = append(ready, it)
		}
	}
	var failed []string
	for _, batch := range combined(ready) {
		if err := d.sendOne(ctx, batch, attempts); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("send emails %s", strings.Join(failed, "; "))
	}
	return nil
}

// sendOne sends batch, emails to one person, as one email, and records
// each of them; a failure is recorded on each and returned.
func (d *Deliverer) sendOne(ctx context.Context, batch []Item, attempts int) error {
	msg := batch[0]
	if len(batch) > 1 {
		msg = combine(batch)
	}
	if err := d.Transport.Send(ctx, msg); err != nil {
		for _, it := range batch {
			if ferr := d.failed(ctx, it, attempts, err); ferr != nil {
				return ferr
			}
		}
		return fmt.Errorf("%d to %s: %w", msg.ID, msg.To, err)
	}
	state := "sent"
	if d.Transport.Name() == "local" {
		state = "kept"
	}
	for _, it := range batch {
		if err := d.record(ctx, it, state, "", d.Transport.Name()); err != nil {
			return err
		}
		if d.Observer != nil {
			d.Observer.Email(it.Kind, d.Transport.Name())
		}
	}
	return nil
}

// groups splits items by (kind, subject key): each group is one email to
// several people.
func groups(items []Item) [][]Item {
	idx := map[string]int{}
	var out [][]Item
	for _, it := range items {
		k := it.Kind + "\x00" + it.SubjectKey
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], it)
	}
	return out
}

// words composes a group, unless its emails were composed when queued
// (before meetingd composed at send time): those go as they are.
func (d *Deliverer) words(ctx context.Context, group []Item, people map[int64]Recipient) (map[int64]words, map[int64]string, error) {
	if group[0].Subject != "" {
		return nil, nil, nil
	}
	return d.Outbox.compose(ctx, d.DB, group[0].Kind, group[0].SubjectKey, group, people)
}

// record stores how an email went, with the words it went with.
func (d *Deliverer) record(ctx context.Context, it Item, state, reason, transport string) error {
	now := d.Outbox.Clock.Now()
	_, err := d.DB.ExecContext(ctx, d.DB.Rebind(`UPDATE outbox SET state = ?, dropped_reason = ?, transport = ?, sent_at = ?,
		subject = ?, text_body = ?, html_body = ?, last_error = '' WHERE id = ? AND state = 'pending'`),
		state, reason, transport, now, it.Subject, it.Text, it.HTML, it.ID)
	if err != nil {
		return fmt.Errorf("record email %d %s: %w", it.ID, state, err)
	}
	return nil
}

// failed notes the error on the email, and gives up on it at its job's
// last try.
func (d *Deliverer) failed(ctx context.Context, it Item, attempts int, cause error) error {
	state := "pending"
	if d.MaxAttempts > 0 && attempts >= d.MaxAttempts {
		state = "failed"
	}
	_, err := d.DB.ExecContext(ctx, d.DB.Rebind(`UPDATE outbox SET state = ?, last_error = ? WHERE id = ?`),
		state, cause.Error(), it.ID)
	if err != nil {
		return fmt.Errorf("send email %d: %w (and recording it: %v)", it.ID, cause, err)
	}
	return nil
}

// digest folds a person's held mail into one email, stored composed and
// delivered like any other, so it too is sent once.
func (d *Deliverer) digest(ctx context.Context, j jobs.Job) error {
	pid, err := jobs.SubjectID(j.Subject, "person:")
	if err != nil {
		return err
	}
	var held []Item
	err = d.DB.SelectContext(ctx, &held, d.DB.Rebind(`SELECT `+itemColumns+` FROM outbox
		WHERE recipient_id = ? AND via_digest = TRUE AND state = 'pending' ORDER BY id`), pid)
	if err != nil || len(held) == 0 {
		return err
	}
	people, err := d.Outbox.People.Recipients(ctx, d.DB, []int64{pid})
	if err != nil {
		return err
	}
	to := people[pid]
	var parts, dropped []Item
	if why, never := to.Undeliverable(); never { // what was held for them is dropped
		for _, it := range held {
			it.DroppedReason = why
			dropped = append(dropped, it)
		}
		held = nil
	}
	for _, group := range groups(held) {
		texts, drops, err := d.words(ctx, group, people)
		if err != nil {
			return err
		}
		for _, it := range group {
			if reason, ok := drops[it.RecipientID]; ok {
				it.DroppedReason = reason
				dropped = append(dropped, it)
				continue
			}
			if w, ok := texts[it.RecipientID]; ok {
				it.Subject, it.Text, it.HTML = w.subject, w.text, w.html
			}
			parts = append(parts, it)
		}
	}
	now := d.Outbox.Clock.Now()
	return db.InTx(ctx, d.DB, func(tx *sqlx.Tx) error {
		for _, it := range dropped {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET state = 'dropped', dropped_reason = ?, sent_at = ?
				WHERE id = ? AND state = 'pending'`), it.DroppedReason, now, it.ID); err != nil {
				return fmt.Errorf("drop held email %d: %w", it.ID, err)
			}
		}
		if len(parts) == 0 {
			return nil
		}
		w, err := d.Outbox.render("digest", to, parts)
		if err != nil {
			return err
		}
		last := parts[len(parts)-1].ID
		var ids []int64
		err = tx.SelectContext(ctx, &ids, tx.Rebind(`INSERT INTO outbox (kind, subject_key, recipient_id, to_addr,
			subject, text_body, html_body, not_before, created_at) VALUES ('digest', ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind, subject_key, recipient_id) DO NOTHING RETURNING id`),
			fmt.Sprintf("person:%d@%d", pid, last), pid, to.Email, w.subject, w.text, w.html, now, now)
		if err != nil {
			return fmt.Errorf("store digest: %w", err)
		}
		for _, it := range parts {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET state = 'digested', sent_at = ?, subject = ?,
				text_body = ?, html_body = ? WHERE id = ? AND state = 'pending'`), now, it.Subject, it.Text, it.HTML, it.ID); err != nil {
				return fmt.Errorf("digest email %d: %w", it.ID, err)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return jobs.ScheduleIn(ctx, tx, now, jobs.Bulk, JobSend, jobs.Subject("outbox:", ids[0]), now)
	})
}

// MessageID is stable per outbox row, so a receiver can tell a resend (the
// one in flight at a crash) from a new email.
func MessageID(it Item, domain string) string {
	return fmt.Sprintf("%d.%s.%d@%s", it.ID, it.Kind, it.CreatedAt.Unix(), domain)
}
