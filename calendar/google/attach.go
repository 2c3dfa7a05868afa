package google

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/internal/people"
)

// What a series' doc does on the calendar side: attached to the master
// event (with a link line in its description as a fallback), in one
// events.patch with the attendance policy; and the policy applied to each
// of the master's exceptions (an instance moved or edited on its own keeps
// its own attendees, which the master's patch does not reach), one patch
// each, once: an event that already conforms is not patched again.

// maxAttachments is Google's limit per event.
const maxAttachments = 25

const docMime = "application/vnd.google-apps.document"

// patchEvents patches the master, then each exception still ahead, where
// they lack something; and records whom meetingd made optional in them.
func (g *Source) patchEvents(ctx context.Context, cl *googleClient, st *docState) error {
	made := lineSet(st.doc.MadeOptional)
	nowMade := map[string]bool{}
	master, m, err := g.patchEvent(ctx, cl, st, st.master, func(e *gcalendar.Event) (*gcalendar.Event, string) {
		return g.masterPatch(st, e, made)
	})
	if err != nil {
		return err
	}
	st.master = master
	for k := range lineSet(m) {
		nowMade[k] = true
	}
	now := g.Clock.Now()
	for i, x := range st.exceptions {
		if end, _ := eventTime(x.End); !end.After(now) {
			continue // held already: its attendance no longer matters
		}
		x, m, err := g.patchEvent(ctx, cl, st, x, func(e *gcalendar.Event) (*gcalendar.Event, string) {
			atts, m, changed := g.policyAttendees(e, made)
			if !changed {
				return nil, m
			}
			return &gcalendar.Event{Attendees: atts}, m
		})
		if err != nil {
			return err
		}
		st.exceptions[i] = x
		for k := range lineSet(m) {
			nowMade[k] = true
		}
	}
	all := addLines("", keys(nowMade))
	if all == st.doc.MadeOptional {
		return nil
	}
	_, err = g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_docs SET made_optional = ?, updated_at = ? WHERE series_id = ?`),
		all, g.Clock.Now(), st.seriesID)
	if err != nil {
		return fmt.Errorf("record attendance policy of series %d: %w", st.seriesID, err)
	}
	st.doc.MadeOptional = all
	return nil
}

// patchEvent patches one event with what want says it lacks (nil:
// nothing), without telling anyone (sendUpdates=none). The etag guards
// against overwriting an edit made since the last sync; on a conflict the
// event is read again once. It returns the event as it now is, and whom
// want says meetingd has made optional in it.
func (g *Source) patchEvent(ctx context.Context, cl *googleClient, st *docState, e *gcalendar.Event,
	want func(*gcalendar.Event) (*gcalendar.Event, string)) (*gcalendar.Event, string, error) {
	for attempt := 0; ; attempt++ {
		patch, made := want(e)
		if patch == nil {
			return e, made, nil
		}
		call := cl.cal.Events.Patch(st.cal.GoogleID, e.Id, patch).SupportsAttachments(true).SendUpdates("none").Context(ctx)
		call.Header().Set("If-Match", e.Etag)
		var out *gcalendar.Event
		err := g.call(ctx, cl, "events.patch", func() (err error) {
			out, err = call.Do()
			return err
		})
		if isStatus(err, http.StatusPreconditionFailed) && attempt == 0 {
			if err := g.call(ctx, cl, "events.get", func() (err error) {
				e, err = cl.cal.Events.Get(st.cal.GoogleID, e.Id).Context(ctx).Do()
				return err
			}); err != nil {
				return nil, "", err
			}
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if err := storeEvent(ctx, g.DB, st.cal.ID, out, g.Clock.Now()); err != nil {
			return nil, "", err
		}
		return out, made, nil
	}
}

// masterPatch is what the master event lacks, or nil; and who meetingd
// will then have made optional.
func (g *Source) masterPatch(st *docState, m *gcalendar.Event, made map[string]bool) (*gcalendar.Event, string) {
	doc := st.doc
	patch := &gcalendar.Event{}
	changed := false
	at := slices.IndexFunc(m.Attachments, func(a *gcalendar.EventAttachment) bool {
		return a.FileId == doc.DocID || a.FileUrl == doc.URL
	})
	switch {
	case at >= 0 && m.Attachments[at].Title != docTitle(st.title):
		// The event was renamed: so is its attachment, as the doc is.
		patch.Attachments = slices.Clone(m.Attachments)
		renamed := *m.Attachments[at]
		renamed.Title = docTitle(st.title)
		patch.Attachments[at] = &renamed
		changed = true
	case at >= 0:
	case len(m.Attachments) >= maxAttachments:
		g.Log.Warn("Google event has no room for the notes attachment; the description links the doc", "event", m.Id)
	default:
		// The organizer's own attachments are sent back as they are: a
		// patch replaces the whole list.
		patch.Attachments = append(slices.Clone(m.Attachments), &gcalendar.EventAttachment{
			FileUrl: doc.URL, FileId: doc.DocID, Title: docTitle(st.title), MimeType: docMime})
		changed = true
	}
	if !strings.Contains(m.Description, doc.URL) {
		patch.Description = strings.TrimSpace(m.Description + "\n\nNotes (meetingd): " + doc.URL)
		changed = true
	}
	atts, nowMade, moved := g.policyAttendees(m, made)
	if moved {
		patch.Attendees = atts
		changed = true
	}
	if !changed {
		return nil, nowMade
	}
	return patch, nowMade
}

// policyAttendees applies the optional-by-default policy to an event's
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

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
