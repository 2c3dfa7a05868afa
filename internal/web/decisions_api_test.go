package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"meetingd/internal/mailtest"
)

// TestDecisionThroughAPIAndEmailLinks runs a decision the way people do:
// created through the API, answered from the link in the email (an
// objection in the last day, which extends it), listed, and closed.
func TestDecisionThroughAPIAndEmailLinks(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	occ := seedMeeting(t, ta)
	ana, ben := ta.Token("ana@example.com"), ta.Token("ben@example.com")
	ta.DB.MustExec(`UPDATE people SET work_start = 0, work_end = 1440, work_days = 127`)

	var d struct {
		ID       int64     `json:"id"`
		ClosesAt time.Time `json:"closes_at"`
		State    string    `json:"state"`
	}
	xss := `<img src=x onerror=alert(1)>`
	if code := ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "Adopt Go 1.26 " + xss,
		"proposal": "Upgrade everything.", "occurrence_id": occ, "window": "48h"}, &d); code != 201 {
		t.Fatalf("create: %d", code)
	}
	ta.At(t0.Add(time.Minute))
	var link string
	for _, m := range smtp.To("ben@example.com") {
		if strings.HasPrefix(m.Subject, "Decision open until") {
			link = regexp.MustCompile(`Object: +(\S+)`).FindStringSubmatch(m.Text)[1]
		}
	}
	if link == "" {
		t.Fatalf("ben got no decision email: %v", subjects(smtp.To("ben@example.com")))
	}
	// The link opens the page without a session, escaped, with objection preselected.
	ta.Clock.Set(d.ClosesAt.Add(-3 * time.Hour))
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(resp)
	if resp.StatusCode != 200 || strings.Contains(page, xss) || !strings.Contains(page, `id="kind-object" checked`) {
		t.Fatalf("decide page: %d\n%s", resp.StatusCode, page)
	}
	tok, _ := url.Parse(link)
	// An objection in the last day, through the page's form.
	form := url.Values{"t": {tok.Query().Get("t")}, "op": {"contribute"}, "kind": {"object"}, "text": {"Not before the release."}}
	resp, _ = http.PostForm(ta.URL+"/decide", form)
	if resp.StatusCode != 200 || !strings.Contains(readAll(resp), "Done.") {
		t.Fatalf("object through the page: %d", resp.StatusCode)
	}
	var got struct {
		ClosesAt   time.Time `json:"closes_at"`
		Extensions int       `json:"extensions"`
		Positions  []struct {
			Kind, Author string
		} `json:"positions"`
	}
	ta.Call("GET", fmt.Sprintf("/api/v1/decisions/%d", d.ID), ana, "", nil, &got)
	if got.Extensions != 1 || !got.ClosesAt.Equal(ta.Clock.Now().Add(24*time.Hour)) || len(got.Positions) != 1 {
		t.Fatalf("after a late objection: %+v", got)
	}
	// Forged and tampered posts are refused.
	resp, _ = http.PostForm(ta.URL+"/decide", url.Values{"op": {"contribute"}, "kind": {"support"}})
	if resp.StatusCode != 401 {
		t.Fatalf("tokenless post: %d", resp.StatusCode)
	}
	// Lists: ben has contributed, so it no longer needs his input; cy's it does.
	var needs struct{ Decisions []struct{ ID int64 } }
	ta.Call("GET", "/api/v1/decisions/needs-input", ben, "", nil, &needs)
	if len(needs.Decisions) != 0 {
		t.Fatalf("needs ben's input after he objected")
	}
	ta.Call("GET", "/api/v1/decisions/needs-input", ta.Token("cy@example.com"), "", nil, &needs)
	if len(needs.Decisions) != 1 {
		t.Fatalf("cy's needs-input: %+v", needs)
	}
	var stranger struct{ Decisions []struct{ ID int64 } }
	ta.Call("GET", "/api/v1/decisions?state=open", ta.Token("zed@example.com"), "", nil, &stranger)
	if len(stranger.Decisions) != 0 {
		t.Fatalf("a stranger lists %d decisions", len(stranger.Decisions))
	}
	// Closed contested; the owner records the outcome through the API.
	ta.At(got.ClosesAt)
	var out struct{ State string }
	if code := ta.Call("POST", fmt.Sprintf("/api/v1/decisions/%d/outcome", d.ID), ana, "",
		map[string]string{"outcome": "deferred", "rationale": "After the release."}, &out); code != 200 || out.State != "deferred" {
		t.Fatalf("outcome: %d %+v", code, out)
	}
	var closed struct{ Decisions []struct{ ID int64 } }
	ta.Call("GET", "/api/v1/decisions/closed", ana, "", nil, &closed)
	if len(closed.Decisions) != 1 {
		t.Fatalf("recently closed: %+v", closed)
	}
	// The notes hear of it from the scheduler, which the change woke.
	ta.RunDue()
	var notes string
	ta.DB.Get(&notes, `SELECT decisions FROM notes_sections WHERE occurrence_id = ?`, occ)
	if !strings.Contains(notes, "DEFERRED") || !strings.Contains(notes, "After the release.") {
		t.Fatalf("closed decision not written into the notes: %q", notes)
	}
}

func TestDecisionAPIRefusesBadInput(t *testing.T) {
	ta := newTestApp(t, "", t0)
	occ := seedMeeting(t, ta)
	ana, ben, zed := ta.Token("ana@example.com"), ta.Token("ben@example.com"), ta.Token("zed@example.com")
	var d struct{ ID int64 }
	ta.Call("POST", "/api/v1/decisions", ana, "", map[string]any{"title": "T", "proposal": "P", "occurrence_id": occ}, &d)
	p := func(s string) string { return fmt.Sprintf("/api/v1/decisions/%d%s", d.ID, s) }
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code, says                string
	}{
		{"no token", "GET", "/api/v1/decisions", "", nil, 401, "unauthorized", "sign-in"},
		{"short window", "POST", "/api/v1/decisions", ana, map[string]any{"title": "T", "proposal": "P", "window": "2h"}, 400, "invalid", "minimum of 24h"},
		{"bad window", "POST", "/api/v1/decisions", ana, map[string]any{"title": "T", "proposal": "P", "window": "a week"}, 400, "invalid", "duration"},
		{"no title", "POST", "/api/v1/decisions", ana, map[string]any{"proposal": "P"}, 400, "invalid", "title is required"},
		{"no proposal", "POST", "/api/v1/decisions", ana, map[string]any{"title": "T"}, 400, "invalid", "proposal is required"},
		{"others' meeting", "POST", "/api/v1/decisions", zed, map[string]any{"title": "T", "proposal": "P", "occurrence_id": occ}, 404, "not_found", "no occurrence"},
		{"owned by another", "POST", "/api/v1/decisions", ben, map[string]any{"title": "T", "proposal": "P", "owner": "ana@example.com"}, 403, "forbidden", "you own"},
		{"bad invitee", "POST", "/api/v1/decisions", ana, map[string]any{"title": "T", "proposal": "P", "invitees": []string{"nobody"}}, 400, "invalid", "invitees"},
		{"bad state", "GET", "/api/v1/decisions?state=pending", ana, nil, 400, "invalid", "state"},
		{"bad cursor", "GET", "/api/v1/decisions?cursor=x", ana, nil, 400, "invalid", "cursor"},
		{"bad owner filter", "GET", "/api/v1/decisions?owner=me", ana, nil, 400, "invalid", "owner"},
		{"missing", "GET", "/api/v1/decisions/999", ana, nil, 404, "not_found", "no decision 999"},
		{"not invited", "GET", p(""), zed, nil, 404, "not_found", "no decision"},
		{"bad kind", "POST", p("/contributions"), ben, map[string]string{"kind": "veto", "text": "x"}, 400, "invalid", "support, object, comment"},
		{"objection without text", "POST", p("/contributions"), ben, map[string]string{"kind": "object"}, 400, "invalid", "text is required"},
		{"stranger contributes", "POST", p("/contributions"), zed, map[string]string{"kind": "support"}, 404, "not_found", "no decision"},
		{"edit missing", "PATCH", p("/contributions/77"), ben, map[string]string{"text": "x"}, 404, "not_found", "no contribution 77"},
		{"resolve missing", "POST", p("/contributions/77/resolve"), ana, map[string]string{"reply": "x"}, 404, "not_found", "no contribution 77"},
		{"outcome while open", "POST", p("/outcome"), ana, map[string]string{"outcome": "accepted", "rationale": "x"}, 409, "conflict", "contested"},
		{"outcome by other", "POST", p("/outcome"), ben, map[string]string{"outcome": "accepted", "rationale": "x"}, 403, "forbidden", "owner"},
		{"withdraw by other", "POST", p("/withdraw"), ben, nil, 403, "forbidden", "owner"},
		{"action item done bad", "PATCH", "/api/v1/action-items/1", ana, map[string]string{}, 400, "invalid", "done is required"},
		{"action item missing", "PATCH", "/api/v1/action-items/99", ana, map[string]bool{"done": true}, 404, "not_found", "no action item 99"},
	}
	before := snapshot(t, ta)
	for _, c := range cases {
		var e apiError
		status := ta.Call(c.method, c.path, c.token, "", c.body, &e)
		if status != c.status || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.says) {
			t.Errorf("%s: %d %q %q; want %d %q with %q", c.name, status, e.Error.Code, e.Error.Message, c.status, c.code, c.says)
		}
	}
	if after := snapshot(t, ta); after != before {
		t.Errorf("refused requests changed what is stored:\n%s\n%s", before, after)
	}
}
