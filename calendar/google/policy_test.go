package google_test

import (
	"strings"
	"testing"

	"meetingd/calendar/google/googlefake"
)

// Item 2: the optional-attendance policy reaches every exception of a
// series, not only its master: the weekly's instance moved before meetingd
// first synced keeps attendees of its own. Each is patched once, telling
// no one.
func TestGooglePolicyOnEveryInstance(t *testing.T) {
	h := synced(t, nil)
	moved := googlefake.InstanceID("weekly", berlin(11, 10, 10, 0))
	for _, a := range h.fake.Event(ana, moved).Attendees {
		if want := a.Email != ana && !a.Resource; a.Optional != want {
			t.Errorf("moved instance: %s optional=%v, want %v", a.Email, a.Optional, want)
		}
	}
	patched := false
	for _, r := range h.fake.Requests("calendar.events.patch") {
		if r.Path["eventId"] != moved {
			continue
		}
		patched = true
		if r.Query.Get("sendUpdates") != "none" || r.Header.Get("If-Match") == "" || !strings.Contains(string(r.Body), `"attendees"`) {
			t.Errorf("exception patched with %v %s", r.Query, r.Body)
		}
		if strings.Contains(string(r.Body), `"attachments"`) || strings.Contains(string(r.Body), `"description"`) {
			t.Errorf("the exception's patch carries more than attendees: %s", r.Body)
		}
	}
	if !patched {
		t.Fatal("the moved instance was not patched")
	}
	// Once: neither another doc pass nor the next sync patches it again.
	h.fake.ResetCalls()
	if err := h.g.EnsureDoc(h.ctx, h.doc("weekly").SeriesID); err != nil {
		t.Fatal(err)
	}
	h.fake.PutEvent(ana, meeting("new", "New", berlin(11, 12, 10, 0), 60*60*1e9))
	h.push()
	h.settle()
	for _, r := range h.fake.Requests("calendar.events.patch") {
		if r.Path["eventId"] == moved || r.Path["eventId"] == "weekly" {
			t.Errorf("%s patched again", r.Path["eventId"])
		}
	}
	h.clean()
}
