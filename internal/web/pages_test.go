package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"meetingd/internal/links"
	"meetingd/internal/people"
	"meetingd/meetings"
)

var tokenRE = regexp.MustCompile(`name="t" value="([^"]+)"`)

// The notes doc opens from its signed link, edits through its form, and
// refuses links that are tampered with, expired or for another doc.
func TestNotesDocPage(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ben, _ := people.ByEmail(context.Background(), ta.DB, "ben@example.com")
	var seriesID int64
	ta.DB.Get(&seriesID, `SELECT series_id FROM occurrences WHERE id = ?`, occ)
	sign := func(subject int64, exp time.Time) string {
		return ta.Meetings.Links.Sign(links.Claims{Action: meetings.ActionNotes, Subject: subject, Person: ben.ID, Expires: exp})
	}
	good := sign(seriesID, t0.Add(time.Hour))
	page := func(tok string) (int, string) {
		resp, err := http.Get(ta.URL + "/notes/" + itoa(seriesID) + "?t=" + url.QueryEscape(tok))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(resp)
	}
	if code, body := page(good); code != 200 || !strings.Contains(body, "Roadmap") {
		t.Fatalf("notes doc: %d %s", code, body)
	}
	for name, tok := range map[string]string{
		"tampered":   good[:len(good)-2] + "xx",
		"expired":    sign(seriesID, t0),
		"other doc":  sign(seriesID+1, t0.Add(time.Hour)),
		"wrong kind": ta.Meetings.Links.Sign(links.Claims{Action: meetings.ActionPublish, Subject: seriesID, Person: ben.ID, Expires: t0.Add(time.Hour)}),
	} { // no token at all: the stable link, which offers sign-in (TestNotesURLOpensForSignedInAttendees)
		if code, body := page(tok); code != 401 || !strings.Contains(body, "Cannot do that") {
			t.Errorf("%s link: %d", name, code)
		}
	}

	// An edit through the form, with markup that must come back escaped.
	xss := `<script>alert("pwned")</script>`
	form := url.Values{"t": {good}, "agenda": {"1. Roadmap " + xss}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(ta.URL+"/notes/"+itoa(seriesID)+"/occurrences/"+itoa(occ), form)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form post: %d %s", resp.StatusCode, readAll(resp))
	}
	_, body := page(good)
	if strings.Contains(body, xss) || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("agenda not stored or not escaped")
	}
	if s := tokenRE.FindStringSubmatch(body); s == nil || s[1] == "" {
		t.Fatalf("form does not carry the link token back")
	}
	// A form posted without the token (a forged cross-site post) is refused.
	resp, _ = client.PostForm(ta.URL+"/notes/"+itoa(seriesID)+"/occurrences/"+itoa(occ), url.Values{"agenda": {"forged"}})
	if resp.StatusCode != 401 {
		t.Fatalf("tokenless post: %d", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
