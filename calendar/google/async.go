package google

import (
	"context"
	"fmt"
	"time"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/meetings"
)

// A meeting its organizer holds async has no call: its Google event (the
// instance, for a recurring series) is cancelled, telling attendees as
// SendUpdates says. meetingd keeps the occurrence (the sync leaves held-async
// occurrences as they are), so the pre-read, notes and decisions go on.

// cancelHeldAsync cancels at Google the events of the series' occurrences
// held async that are still ahead and not cancelled there yet.
func (g *Source) cancelHeldAsync(ctx context.Context, cl *googleClient, st *docState) error {
	now := g.Clock.Now()
	for _, o := range st.occs {
		if !o.HeldAsync || o.Cancelled || !o.StartsAt.After(now) {
			continue
		}
		id, err := instanceID(st.uid, o)
		if err != nil {
			return err
		}
		if st.cancelled[id] || (id == st.uid && !st.live) {
			continue
		}
		var out *gcalendar.Event
		call := cl.cal.Events.Patch(st.cal.GoogleID, id, &gcalendar.Event{Status: "cancelled"}).
			SendUpdates(g.cfg.SendUpdates).Context(ctx)
		if err := g.call(ctx, cl, "events.patch", func() (err error) {
			out, err = call.Do()
			return err
		}); err != nil {
			return fmt.Errorf("cancel the call of occurrence %d held async: %w", o.ID, err)
		}
		if err := storeEvent(ctx, g.DB, st.cal.ID, out, now); err != nil {
			return err
		}
		st.cancelled[id] = true
	}
	return nil
}

// instanceID is the Google event of occurrence o of series uid: the event
// itself for a single meeting, else the instance Google names by its
// original start, as "<master>_20261117T090000Z".
func instanceID(uid string, o meetings.OccurrenceRef) (string, error) {
	if o.RecurrenceID == "" {
		return uid, nil
	}
	orig, err := time.Parse(time.RFC3339, o.RecurrenceID)
	if err != nil {
		return "", fmt.Errorf("occurrence %d's recurrence id %q: %w", o.ID, o.RecurrenceID, err)
	}
	return uid + "_" + orig.UTC().Format("20060102T150405Z"), nil
}
