package google_test

import (
	"context"
	"testing"

	"meetingd/calendar/google"
	"meetingd/calendar/google/googlefake"
	"meetingd/internal/people"
)

// Holding one occurrence of a Google series async cancels that instance at
// Google (telling attendees as configured), once; meetingd keeps the
// occurrence, which the next sync does not cancel.
func TestGoogleHoldAsyncCancelsTheInstance(t *testing.T) {
	h := synced(t, func(c *google.Config) { c.SendUpdates = "externalOnly" })
	orig := berlin(11, 24, 10, 0)
	o := h.occurrenceAt("weekly", orig)
	if _, err := h.Meetings.HoldAsync(context.Background(), people.Actor{Operator: true}, o.ID); err != nil {
		t.Fatal(err)
	}
	h.settle()
	id := googlefake.InstanceID("weekly", orig)
	if got := h.fake.Event(ana, id).Status; got != "cancelled" {
		t.Fatalf("the instance at Google is %q, want cancelled", got)
	}
	patches := func() (n int) {
		for _, r := range h.fake.Requests("calendar.events.patch") {
			if r.Path["eventId"] == id {
				n++
				if r.Query.Get("sendUpdates") != "externalOnly" {
					t.Errorf("cancelled with sendUpdates=%q", r.Query.Get("sendUpdates"))
				}
			}
		}
		return n
	}
	if n := patches(); n != 1 {
		t.Fatalf("%d cancelling patches, want 1", n)
	}
	h.push()
	h.settle()
	if got := h.occurrenceAt("weekly", orig); got.Cancelled {
		t.Fatal("the sync cancelled the occurrence held async")
	}
	var held bool
	h.DB.Get(&held, h.DB.Rebind(`SELECT held_async FROM occurrences WHERE id = ?`), o.ID)
	if !held {
		t.Fatal("the occurrence is no longer held async")
	}
	if n := patches(); n != 1 {
		t.Fatalf("the instance was cancelled again: %d patches in all", n)
	}
	h.clean()
}
