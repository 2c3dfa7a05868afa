package google

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
	gcalendar "google.golang.org/api/calendar/v3"
	"google.golang.org/api/drive/v3"

	"meetingd/internal/db"
	"meetingd/internal/people"
)

// What a series' doc does on the calendar side: shared with everyone
// invited, attached to the master event (with a link line in its
// description as a fallback), and the master's attendees made optional
// by policy, all in one events.patch.

// maxAttachments is Google's limit per event.
const maxAttachments = 25

const docMime = "application/vnd.google-apps.document"

// share gives every attendee of the series access to the doc, once.
func (g *Source) share(ctx context.Context, cl *googleClient, st *docState) error {
	have := lineSet(st.doc.Shared)
	var missing []string
	for _, o := range st.occs {
		if o.Cancelled {
			continue
		}
		for _, a := range o.Attendees {
			e := people.NormalizeEmail(a.Email)
			if !have[e] && e != people.NormalizeEmail(cl.owner) && e != people.NormalizeEmail(st.cal.GoogleID) {
				have[e] = true
				missing = append(missing, e)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	var done []string
	var err error
	for _, e := range missing {
		err = g.call(ctx, cl, "permissions.create", func() error {
			_, err := cl.drive.Permissions.Create(st.doc.DocID, &drive.Permission{Type: "user", Role: g.cfg.ShareRole, EmailAddress: e}).
				SendNotificationEmail(false).Fields("id").Context(ctx).Do()
			return err
		})
		if isStatus(err, http.StatusBadRequest) {
			// Drive refuses some addresses (no Google account, a policy):
			// they open the doc through the description's link instead.
			g.Log.WarnContext(ctx, "Google doc not shared with an attendee", "doc", st.doc.DocID, "attendee", e, "err", shortError(err))
			err = nil
		}
		if err != nil {
			break
		}
		done = append(done, e)
	}
	if len(done) > 0 {
		st.doc.Shared = addLines(st.doc.Shared, done)
		_, serr := g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_docs SET shared = ?, updated_at = ? WHERE series_id = ?`),
			st.doc.Shared, g.Clock.Now(), st.seriesID)
		if serr != nil && err == nil {
			err = fmt.Errorf("record sharing of series %d: %w", st.seriesID, serr)
		}
	}
	return err
}

// patchMaster attaches the doc to the master event, adds the link line,
// and applies the optional-attendance policy, in one events.patch when
// anything is missing. The etag guards against overwriting an edit made
// since the last sync; on a conflict the event is read again once.
func (g *Source) patchMaster(ctx context.Context, cl *googleClient, st *docState) error {
	for attempt := 0; ; attempt++ {
		patch, made := g.masterPatch(st)
		if patch == nil {
			return nil
		}
		call := cl.cal.Events.Patch(st.cal.GoogleID, st.master.Id, patch).SupportsAttachments(true).SendUpdates("none").Context(ctx)
		call.Header().Set("If-Match", st.master.Etag)
		var out *gcalendar.Event
		err := g.call(ctx, cl, "events.patch", func() (err error) {
			out, err = call.Do()
			return err
		})
		if isStatus(err, http.StatusPreconditionFailed) && attempt == 0 {
			if err := g.call(ctx, cl, "events.get", func() (err error) {
				st.master, err = cl.cal.Events.Get(st.cal.GoogleID, st.master.Id).Context(ctx).Do()
				return err
			}); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		st.master = out
		return db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
			now := g.Clock.Now()
			if err := storeEvent(ctx, tx, st.cal.ID, out, now); err != nil {
				return err
			}
			st.doc.MadeOptional = made
			_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_docs SET made_optional = ?, updated_at = ? WHERE series_id = ?`),
				made, now, st.seriesID)
			if err != nil {
				return fmt.Errorf("record attendance policy of series %d: %w", st.seriesID, err)
			}
			return nil
		})
	}
}

// masterPatch is what the master event lacks, or nil; and who meetingd
// will then have made optional.
func (g *Source) masterPatch(st *docState) (*gcalendar.Event, string) {
	m, doc := st.master, st.doc
	patch := &gcalendar.Event{}
	changed := false
	attached := slices.ContainsFunc(m.Attachments, func(a *gcalendar.EventAttachment) bool {
		return a.FileId == doc.DocID || a.FileUrl == doc.URL
	})
	switch {
	case attached:
	case len(m.Attachments) >= maxAttachments:
		g.Log.Warn("Google event has no room for the notes attachment; the description links the doc", "event", m.Id)
	default:
		// The organizer's own attachments are sent back as they are: a
		// patch replaces the whole list.
		patch.Attachments = append(slices.Clone(m.Attachments), &gcalendar.EventAttachment{
			FileUrl: doc.URL, FileId: doc.DocID, Title: st.title + " — notes", MimeType: docMime})
		changed = true
	}
	if !strings.Contains(m.Description, doc.URL) {
		patch.Description = strings.TrimSpace(m.Description + "\n\nNotes (meetingd): " + doc.URL)
		changed = true
	}
	atts, made, moved := g.policyAttendees(m, lineSet(doc.MadeOptional))
	if moved {
		patch.Attendees = atts
		changed = true
	}
	if !changed {
		return nil, doc.MadeOptional
	}
	return patch, made
}

// policyAttendees applies the optional-by-default policy to the master's
// attendees: everyone but the organizer optional (rooms untouched). With
// the policy off, those meetingd made optional are required again. The Go
// client drops false booleans unless forced, so Optional is always sent.
func (g *Source) policyAttendees(m *gcalendar.Event, made map[string]bool) ([]*gcalendar.EventAttendee, string, bool) {
	policy := g.Meetings.Cfg.OptionalByDefault
	organizer := ""
	if m.Organizer != nil {
		organizer = people.NormalizeEmail(m.Organizer.Email)
	}
	out := make([]*gcalendar.EventAttendee, 0, len(m.Attendees))
	changed := false
	var nowMade []string
	for _, a := range m.Attendees {
		c := *a
		email := people.NormalizeEmail(a.Email)
		want := a.Optional
		switch {
		case a.Resource:
		case policy:
			want = !a.Organizer && email != organizer
		case made[email]:
			want = false
		}
		if policy && want && (!a.Optional || made[email]) {
			nowMade = append(nowMade, email)
		}
		changed = changed || want != a.Optional
		c.Optional, c.Self = want, false
		c.ForceSendFields = append(slices.Clone(a.ForceSendFields), "Optional")
		out = append(out, &c)
	}
	sort.Strings(nowMade)
	return out, strings.Join(nowMade, "\n"), changed
}

func lineSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out[l] = true
		}
	}
	return out
}

func addLines(s string, add []string) string {
	set := lineSet(s)
	for _, a := range add {
		set[a] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
