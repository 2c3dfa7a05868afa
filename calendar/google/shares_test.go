package google_test

import (
	"strings"
	"testing"
	"time"

	gcalendar "google.golang.org/api/calendar/v3"

	"meetingd/calendar/google"
	"meetingd/calendar/google/googlefake"
)

// Item 3: one failing share blocks no one. Drive refuses an outside
// address (a domain policy's 403): the doc is attached, linked and the
// attendees made optional at once, the others get their access, and the
// refused share alone is tried again, later, until the organizer is told,
// and not after.
func TestGoogleFailingShareBlocksNoOne(t *testing.T) {
	const guest = "guest@outside.example"
	h := newGoogleHarness(t, nil)
	h.fake.RefuseShare(guest, googlefake.Fault{Code: 403, Reason: "forbidden"})
	review := meeting("review", "Design review", berlin(11, 5, 15, 0), time.Hour)
	review.Attendees = append(review.Attendees, person(guest))
	h.fake.PutEvent(ana, review)
	h.settle()
	h.clean() // no job failed

	d := h.doc("review")
	ev := h.fake.Event(ana, "review")
	if len(ev.Attachments) != 1 || !strings.Contains(ev.Description, d.URL) {
		t.Errorf("not attached and linked at once: %+v %q", ev.Attachments, ev.Description)
	}
	for _, a := range ev.Attendees {
		if a.Optional != (a.Email != ana) {
			t.Errorf("%s optional=%v", a.Email, a.Optional)
		}
	}
	shared := map[string]bool{}
	for _, p := range h.fake.Permissions(d.DocID) {
		shared[p.Email] = true
	}
	if !shared["ben@example.com"] || !shared["cy@example.com"] || shared[guest] {
		t.Errorf("shared with %v", shared)
	}

	tries := func() int {
		n := 0
		for _, r := range h.fake.Requests("drive.permissions.create") {
			if strings.Contains(string(r.Body), guest) {
				n++
			}
		}
		return n
	}
	// Tried again on its own: after 5, 20 and 80 minutes; then the
	// organizer is told, once, and it is not tried again.
	at := h.Clock.Now()
	for i, wait := range []time.Duration{5 * time.Minute, 20 * time.Minute, 80 * time.Minute} {
		at = at.Add(wait)
		h.at(at)
		if n := tries(); n != i+2 {
			t.Fatalf("after %s: %d tries, want %d", at.Sub(g0), n, i+2)
		}
	}
	h.at(at.Add(24 * time.Hour))
	if n := tries(); n != 4 {
		t.Errorf("%d tries, want %d and no more", n, h.cfg.ShareTries)
	}
	var told []string
	for _, m := range h.mails() {
		if strings.HasPrefix(m, google.MailShareFailed) {
			told = append(told, m)
		}
	}
	if len(told) != 1 || told[0] != google.MailShareFailed+" "+ana {
		t.Fatalf("emails %v, want one to the organizer", told)
	}
	if body := h.mailBody(google.MailShareFailed, ana); !strings.Contains(body, guest) || !strings.Contains(body, "forbidden") {
		t.Errorf("email:\n%s", body)
	}
	h.clean()
}

// Item 3: an attendee removed from the meeting loses the access meetingd
// gave them; whoever owns the doc keeps it.
func TestGoogleRemovedAttendeeLosesAccess(t *testing.T) {
	h := synced(t, nil)
	d := h.doc("weekly")
	// Cy came to own the doc (ownership moved to them) besides being
	// shared with; ben is the one simply dropped.
	h.fake.ShareFile(d.DocID, "cy@example.com", "owner")
	ev := h.fake.Event(ana, "weekly")
	var kept []*gcalendar.EventAttendee
	for _, a := range ev.Attendees {
		if a.Email != "ben@example.com" && a.Email != "cy@example.com" {
			kept = append(kept, a)
		}
	}
	ev.Attendees = append(kept, person("dee@example.com"))
	h.fake.PutEvent(ana, ev)
	for _, rid := range []time.Time{berlin(11, 10, 10, 0)} { // the moved instance follows the master
		x := h.fake.Event(ana, googlefake.InstanceID("weekly", rid))
		x.Attendees = ev.Attendees
		h.fake.PutEvent(ana, x)
	}
	h.fake.ResetCalls()
	h.push()
	h.settle()
	h.clean()
	roles := map[string]string{}
	for _, who := range []string{"ben@example.com", "cy@example.com", "dee@example.com"} {
		roles[who] = strings.Join(h.fake.Roles(d.DocID, who), ",")
	}
	if roles["ben@example.com"] != "" || roles["cy@example.com"] != "owner" || roles["dee@example.com"] != "writer" {
		t.Errorf("permissions after ben and cy were removed and dee added: %v", roles)
	}
	if n := h.fake.Calls()["drive.permissions.list"]; n != 1 {
		t.Errorf("%d permission listings, want 1", n)
	}
	if got := h.doc("weekly").Shared; got != "dee@example.com" {
		t.Errorf("shared %q", got)
	}
}
