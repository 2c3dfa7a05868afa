package mail

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
)

// Transport hands a rendered email to the world.
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

// Deliverer runs the outbox's jobs.
type Deliverer struct {
	DB          *sqlx.DB
	Outbox      *Outbox
	Transport   Transport
	MaxAttempts int // after this many failures an email is marked failed
	// People answers who a digest is for (the people package).
	People Recipients
	// Observer, if not nil, learns of each delivery (metrics).
	Observer Observer
}

// Observer learns of each email delivered.
type Observer interface {
	Email(kind, transport string)
}

// Recipients finds who an email is for: mail sits below the people
// package, which answers.
type Recipients interface {
	Recipient(ctx context.Context, q db.Queryer, id int64) (Recipient, error)
}

// Register installs the delivery handlers on w.
func (d *Deliverer) Register(w *jobs.Worker) {
	w.Handle(JobSend, d.send)
	w.Handle(JobDigest, d.digest)
}

func (d *Deliverer) send(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "outbox:")
	if err != nil {
		return err
	}
	var it Item
	err = d.DB.GetContext(ctx, &it, d.DB.Rebind(`SELECT `+itemColumns+` FROM outbox WHERE id = ?`), id)
	if db.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load email %d: %w", id, err)
	}
	if it.State != "pending" {
		return nil // sent by an earlier run whose job completion was lost
	}
	if err := d.Transport.Send(ctx, it); err != nil {
		return d.failed(ctx, it, j, err)
	}
	state := "sent"
	if d.Transport.Name() == "local" {
		state = "kept"
	}
	now := d.Outbox.Clock.Now()
	_, err = d.DB.ExecContext(ctx, d.DB.Rebind(`
		UPDATE outbox SET state = ?, transport = ?, sent_at = ?, last_error = '' WHERE id = ? AND state = 'pending'`),
		state, d.Transport.Name(), now, id)
	if err != nil {
		return fmt.Errorf("record email %d sent: %w", id, err)
	}
	if d.Observer != nil {
		d.Observer.Email(it.Kind, d.Transport.Name())
	}
	return nil
}

// failed notes the error on the email, and gives up on it when its job has
// had its last try.
func (d *Deliverer) failed(ctx context.Context, it Item, j jobs.Job, cause error) error {
	state := "pending"
	if d.MaxAttempts > 0 && j.Attempts >= d.MaxAttempts {
		state = "failed"
	}
	_, err := d.DB.ExecContext(ctx, d.DB.Rebind(`UPDATE outbox SET state = ?, last_error = ? WHERE id = ?`),
		state, cause.Error(), it.ID)
	if err != nil {
		return fmt.Errorf("send email %d: %w (and recording it: %v)", it.ID, cause, err)
	}
	return fmt.Errorf("send email %d to %s: %w", it.ID, it.To, cause)
}

// digest folds a person's held mail into one email, stored and delivered
// like any other, so it too is sent once.
func (d *Deliverer) digest(ctx context.Context, j jobs.Job) error {
	pid, err := jobs.SubjectID(j.Subject, "person:")
	if err != nil {
		return err
	}
	now := d.Outbox.Clock.Now()
	return db.InTx(ctx, d.DB, func(tx *sqlx.Tx) error {
		var held []Item
		err := tx.SelectContext(ctx, &held, tx.Rebind(`SELECT `+itemColumns+` FROM outbox
			WHERE recipient_id = ? AND via_digest = 1 AND state = 'pending' ORDER BY id`), pid)
		if err != nil || len(held) == 0 {
			return err
		}
		to, err := d.People.Recipient(ctx, tx, pid)
		if err != nil {
			return fmt.Errorf("digest recipient %d: %w", pid, err)
		}
		data := TemplateData{To: to, Loc: to.Location(), BaseURL: d.Outbox.BaseURL, D: held}
		subject, text, html, err := d.Outbox.Templates.Email("digest", data)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("person:%d@%d", pid, held[len(held)-1].ID)
		id, err := insert(ctx, tx, "digest", key, to, subject, text, html, now, false, now)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET state = 'digested', sent_at = ?
			WHERE recipient_id = ? AND via_digest = 1 AND state = 'pending' AND id <= ?`), now, pid, held[len(held)-1].ID)
		if err != nil || id == 0 {
			return err
		}
		return jobs.Schedule(ctx, tx, now, JobSend, jobs.Subject("outbox:", id), now)
	})
}

// MessageID is stable per outbox row, so a receiver can tell a resend (the
// one in flight at a crash) from a new email.
func MessageID(it Item, domain string) string {
	return fmt.Sprintf("%d.%s.%d@%s", it.ID, it.Kind, it.CreatedAt.Unix(), domain)
}
