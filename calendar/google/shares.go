package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/api/drive/v3"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/mail"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// Sharing a series' doc: everyone invited to an occurrence still ahead is
// given access, one permission each (Drive grants one at a time), after
// the doc is attached. Each share stands alone: one Drive refuses (an
// outside address a domain policy keeps out, say) is tried again on its
// own, later, and after ShareTries tries (at once for an address Drive
// calls invalid) the organizer is told and it is not tried again. Those
// no longer invited lose the access meetingd gave them; the doc's owner
// never does.

// MailShareFailed tells a series' organizer that its doc could not be
// shared with someone.
const MailShareFailed = "google_share_failed"

// ShareFailed is the data of a MailShareFailed email.
type ShareFailed struct {
	Title    string
	DocURL   string
	Email    string
	Reason   string
	Attempts int
}

// shareFailure is a share Drive refused.
type shareFailure struct {
	Email      string     `db:"email"`
	Attempts   int        `db:"attempts"`
	LastError  string     `db:"last_error"`
	RetryAt    time.Time  `db:"retry_at"`
	ReportedAt *time.Time `db:"reported_at"`
}

// share gives access to those invited who lack it and takes it from
// those no longer invited.
func (g *Source) share(ctx context.Context, cl *googleClient, st *docState) error {
	now := g.Clock.Now()
	wanted := g.wantedReaders(cl, st, now)
	shared := lineSet(st.doc.Shared)
	var failing []shareFailure
	err := g.DB.SelectContext(ctx, &failing, g.DB.Rebind(`SELECT email, attempts, last_error, retry_at, reported_at
		FROM google_share_failures WHERE series_id = ?`), st.seriesID)
	if err != nil {
		return fmt.Errorf("share failures of series %d: %w", st.seriesID, err)
	}
	failures := map[string]*shareFailure{}
	for i := range failing {
		failures[failing[i].Email] = &failing[i]
	}
	var granted []string
	var next time.Time // the soonest retry
	var grantErr error
	for _, e := range keys(wanted) {
		if shared[e] {
			continue
		}
		f := failures[e]
		if f != nil && (f.ReportedAt != nil || now.Before(f.RetryAt)) {
			if f.ReportedAt == nil && (next.IsZero() || f.RetryAt.Before(next)) {
				next = f.RetryAt
			}
			continue
		}
		err := g.call(ctx, cl, "permissions.create", func() error {
			_, err := cl.drive.Permissions.Create(st.doc.DocID, &drive.Permission{Type: "user", Role: g.cfg.ShareRole, EmailAddress: e}).
				SendNotificationEmail(false).Fields("id").Context(ctx).Do()
			return err
		})
		var re *revokedError
		if errors.As(err, &re) || ctx.Err() != nil {
			grantErr = err
			break
		}
		if err == nil {
			granted = append(granted, e)
			continue
		}
		retry, err := g.shareFailed(ctx, st, f, e, err, now)
		if err != nil {
			grantErr = err
			break
		}
		if !retry.IsZero() && (next.IsZero() || retry.Before(next)) {
			next = retry
		}
	}
	// Access given is recorded before anything else can fail.
	if err := g.recordShared(ctx, st, granted, nil, wanted); err != nil {
		return err
	}
	if grantErr != nil {
		return grantErr
	}
	var gone []string
	for e := range shared {
		if !wanted[e] {
			gone = append(gone, e)
		}
	}
	if len(gone) > 0 {
		if err := g.unshare(ctx, cl, st, gone); err != nil {
			return err
		}
		if err := g.recordShared(ctx, st, nil, gone, wanted); err != nil {
			return err
		}
	}
	if next.IsZero() {
		return nil
	}
	return jobs.ScheduleIn(ctx, g.DB, now, jobs.Bulk, JobDoc+"@share", seriesSubject(st.seriesID), next)
}

// wantedReaders are the addresses invited to an occurrence still ahead,
// but the doc's owner and the calendar's own.
func (g *Source) wantedReaders(cl *googleClient, st *docState, now time.Time) map[string]bool {
	owner, self := people.NormalizeEmail(cl.owner), people.NormalizeEmail(st.cal.GoogleID)
	out := map[string]bool{}
	for _, o := range st.occs {
		if o.Cancelled || !o.EndsAt.After(now) {
			continue
		}
		for _, a := range o.Attendees {
			if e := people.NormalizeEmail(a.Email); e != owner && e != self {
				out[e] = true
			}
		}
	}
	return out
}

// shareFailed records a share Drive refused, and when to try it again
// (zero: not again; the organizer is told).
func (g *Source) shareFailed(ctx context.Context, st *docState, f *shareFailure, email string, cause error, now time.Time) (time.Time, error) {
	attempts := 1
	if f != nil {
		attempts = f.Attempts + 1
	}
	// An address Drive calls invalid (no Google account, say) will not
	// become valid by asking again.
	final := attempts >= g.cfg.ShareTries || isStatus(cause, http.StatusBadRequest) || isStatus(cause, http.StatusNotFound)
	retry := now.Add(g.cfg.ShareRetry << (2 * (attempts - 1)))
	g.Log.WarnContext(ctx, "Google doc not shared with an attendee", "doc", st.doc.DocID, "attendee", email,
		"attempt", attempts, "final", final, "err", shortError(cause))
	var reported *time.Time
	retryAt := retry
	if final {
		reported, retry, retryAt = &now, time.Time{}, now
	}
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_share_failures (series_id, email, attempts, last_error, retry_at, reported_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, email) DO UPDATE SET attempts = excluded.attempts,
			last_error = excluded.last_error, retry_at = excluded.retry_at, reported_at = excluded.reported_at`),
			st.seriesID, email, attempts, shortError(cause), retryAt, reported)
		if err != nil {
			return fmt.Errorf("record share failure: %w", err)
		}
		if !final {
			return nil
		}
		return g.tellOrganizer(ctx, tx, st.seriesID, mail.Message{Kind: MailShareFailed,
			SubjectKey: fmt.Sprintf("series:%d/%s", st.seriesID, email)})
	})
	return retry, err
}

// tellOrganizer emails a series' organizer.
func (g *Source) tellOrganizer(ctx context.Context, q db.Queryer, seriesID int64, m mail.Message) error {
	ser, err := meetings.SeriesByID(ctx, q, seriesID)
	if err != nil {
		return err
	}
	org, err := people.ByID(ctx, q, ser.OrganizerID)
	if err != nil {
		return err
	}
	m.To = org.Recipient()
	_, err = g.Outbox.Enqueue(ctx, q, m)
	return err
}

// unshare deletes the permissions of addresses no longer invited: one
// listing finds them, and the owner's is kept whoever they are.
func (g *Source) unshare(ctx context.Context, cl *googleClient, st *docState, gone []string) error {
	drop := map[string]bool{}
	for _, e := range gone {
		drop[e] = true
	}
	var perms []*drive.Permission
	err := g.call(ctx, cl, "permissions.list", func() error {
		perms = nil
		return cl.drive.Permissions.List(st.doc.DocID).Fields("nextPageToken", "permissions(id,emailAddress,role,type)").
			PageSize(100).Pages(ctx, func(p *drive.PermissionList) error {
			perms = append(perms, p.Permissions...)
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, p := range perms {
		if !drop[people.NormalizeEmail(p.EmailAddress)] || p.Role == "owner" {
			continue
		}
		err := g.call(ctx, cl, "permissions.delete", func() error {
			return cl.drive.Permissions.Delete(st.doc.DocID, p.Id).Context(ctx).Do()
		})
		if err != nil && !isStatus(err, http.StatusNotFound) {
			return err
		}
		g.Log.InfoContext(ctx, "Google doc no longer shared with a former attendee", "doc", st.doc.DocID, "attendee", p.EmailAddress)
	}
	return nil
}

// recordShared records access given and taken, and forgets the failures
// of addresses shared now or no longer invited.
func (g *Source) recordShared(ctx context.Context, st *docState, granted, revoked []string, wanted map[string]bool) error {
	set := lineSet(addLines(st.doc.Shared, granted))
	for _, e := range revoked {
		delete(set, e)
	}
	shared := addLines("", keys(set))
	return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		if shared != st.doc.Shared {
			_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_docs SET shared = ?, updated_at = ? WHERE series_id = ?`),
				shared, g.Clock.Now(), st.seriesID)
			if err != nil {
				return fmt.Errorf("record sharing of series %d: %w", st.seriesID, err)
			}
			st.doc.Shared = shared
		}
		var failing []string
		if err := tx.SelectContext(ctx, &failing, tx.Rebind(`SELECT email FROM google_share_failures WHERE series_id = ?`), st.seriesID); err != nil {
			return fmt.Errorf("share failures of series %d: %w", st.seriesID, err)
		}
		for _, e := range failing {
			if set[e] || !wanted[e] {
				_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM google_share_failures WHERE series_id = ? AND email = ?`), st.seriesID, e)
				if err != nil {
					return fmt.Errorf("forget share failure: %w", err)
				}
			}
		}
		return nil
	})
}

// composeShareFailed writes a MailShareFailed email as it is sent: none
// if the doc was shared with them since.
func (g *Source) composeShareFailed(ctx context.Context, q db.Queryer, key string, to []mail.Item) (mail.Composed, error) {
	subject, email, _ := strings.Cut(key, "/")
	id, err := jobs.SubjectID(subject, "series:")
	if err != nil {
		return mail.Composed{}, err
	}
	var f []shareFailure
	err = q.SelectContext(ctx, &f, q.Rebind(`SELECT email, attempts, last_error, retry_at, reported_at
		FROM google_share_failures WHERE series_id = ? AND email = ?`), id, email)
	if err != nil {
		return mail.Composed{}, fmt.Errorf("share failure: %w", err)
	}
	if len(f) == 0 {
		return mail.DropAll(to, "the doc is shared with them now, or they are no longer invited"), nil
	}
	ser, err := meetings.SeriesByID(ctx, q, id)
	if err != nil {
		return mail.Composed{}, err
	}
	return mail.Composed{Data: ShareFailed{Title: ser.Title, DocURL: ser.DocURL, Email: email, Reason: f[0].LastError,
		Attempts: f[0].Attempts}}, nil
}
