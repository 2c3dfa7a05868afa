package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"meetingd/internal/mailtest"
)

// notes_url (the link on the calendar event) is built from the running
// server's base URL and opens for any invited person who is signed in; it
// offers sign-in to anyone who is not, and shows nothing to outsiders.
func TestNotesURLOpensForSignedInAttendees(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	occ := seedMeeting(t, ta)
	var v struct {
		NotesURL string `json:"notes_url"`
	}
	ta.Call("GET", fmt.Sprintf("/api/v1/occurrences/%d", occ), ta.Token("ben@example.com"), "", nil, &v)
	if !strings.HasPrefix(v.NotesURL, ta.URL+"/notes/") {
		t.Fatalf("notes_url %q is not on this server (%s)", v.NotesURL, ta.URL)
	}
	path := strings.TrimPrefix(v.NotesURL, ta.URL)
	path, _, _ = strings.Cut(path, "#")
	code, page := ta.page(t, ta.signIn(t, "ben@example.com"), path)
	if code != http.StatusOK || !strings.Contains(page, "Roadmap") || !strings.Contains(page, `name="t"`) {
		t.Fatalf("signed-in attendee: %d\n%s", code, page)
	}
	resp, err := browser().Get(ta.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?next=") {
		t.Fatalf("signed out: %d to %q", resp.StatusCode, loc)
	}
	ta.Token("zed@example.com")
	if code, _ := ta.page(t, ta.signIn(t, "zed@example.com"), path); code != http.StatusNotFound {
		t.Fatalf("an outsider got %d", code)
	}
}
