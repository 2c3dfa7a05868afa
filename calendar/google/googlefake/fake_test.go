package googlefake

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/docs/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"meetingd/internal/clock"
)

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// start serves a fake with ana, and calendar and docs clients acting as her.
func start(t *testing.T) (*Server, *httptest.Server, *gcal.Service, *docs.Service) {
	t.Helper()
	f := New(clock.NewFake(t0))
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.SetURL(srv.URL)
	f.AddUser("ana@example.com", "Europe/Berlin")
	access, _ := f.Authorize("ana@example.com")
	hc := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access}))
	ctx := context.Background()
	cal, err := gcal.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(srv.URL+"/calendar/v3/"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := docs.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(srv.URL+"/"))
	if err != nil {
		t.Fatal(err)
	}
	return f, srv, cal, d
}

func event(id string, start time.Time) *gcal.Event {
	return &gcal.Event{Id: id, Summary: id, Start: &gcal.EventDateTime{DateTime: start.Format(time.RFC3339)},
		End: &gcal.EventDateTime{DateTime: start.Add(time.Hour).Format(time.RFC3339)}}
}

func status(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

func TestDiscoveryMatchesModule(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "google.golang.org/api").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("google.golang.org/api not in the module cache: %v", err)
	}
	for embedded, inModule := range DiscoveryFiles {
		want, err := os.ReadFile(filepath.Join(dir, inModule))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := discoveryFS.ReadFile(embedded)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the module's %s: copy it again", embedded, inModule)
		}
	}
}

func TestRequestsOutsideDiscoveryRefused(t *testing.T) {
	f, srv, _, _ := start(t)
	access, _ := f.Authorize("ana@example.com")
	for _, path := range []string{
		"GET /calendar/v3/calendars/ana@example.com/events?maxResults=10&colour=red", // no such parameter
		"GET /calendar/v3/calendars/ana@example.com/events?maxResults=0",             // below the minimum
		"GET /calendar/v3/calendars/ana@example.com/happenings",                      // no such method
		"POST /v1/documents/x:explode",
		"GET /v2/conferenceRecords?colour=red",                  // Meet: no such parameter
		"GET /v2/conferenceRecords/c-1/participants?pageSize=x", // Meet: not an integer
		"DELETE /v2/conferenceRecords/c-1",                      // Meet: no such method
	} {
		method, path, _ := strings.Cut(path, " ")
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", path, resp.StatusCode)
		}
	}
	if v := f.Violations(); len(v) != 7 {
		t.Errorf("violations %q, want 7", v)
	}
}

func TestListPagesAndSyncTokens(t *testing.T) {
	f, _, cal, _ := start(t)
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		f.PutEvent("ana@example.com", event(id, t0.Add(time.Duration(i)*time.Hour)))
	}
	f.SetPageSizes(2, 0)
	list := func(syncToken string) ([]string, string) {
		var ids []string
		pageToken := ""
		for {
			c := cal.Events.List("ana@example.com").MaxResults(2500).SingleEvents(false)
			if syncToken != "" {
				c.SyncToken(syncToken)
			}
			if pageToken != "" {
				c.PageToken(pageToken)
			}
			page, err := c.Do()
			if err != nil {
				t.Fatal(err)
			}
			if page.NextPageToken != "" && page.NextSyncToken != "" {
				t.Fatal("a page with both tokens")
			}
			for _, e := range page.Items {
				ids = append(ids, e.Id)
			}
			if page.NextPageToken == "" {
				return ids, page.NextSyncToken
			}
			pageToken = page.NextPageToken
		}
	}
	ids, token := list("")
	if strings.Join(ids, "") != "abcde" || token == "" {
		t.Fatalf("full listing %v, token %q", ids, token)
	}
	if n := f.Calls()["calendar.events.list"]; n < 5 {
		t.Errorf("%d pages for 5 events in pages of 2 and 0", n)
	}
	f.DeleteEvent("ana@example.com", "b")
	ids, token2 := list(token)
	if strings.Join(ids, "") != "b" {
		t.Errorf("incremental listing %v, want the deleted b", ids)
	}
	if e, _ := cal.Events.List("ana@example.com").SyncToken(token2).Do(); len(e.Items) != 0 {
		t.Errorf("nothing changed, yet %d items", len(e.Items))
	}
	if _, err := cal.Events.List("ana@example.com").SyncToken(token2).TimeMin(t0.Format(time.RFC3339)).Do(); status(err) != 400 {
		t.Errorf("syncToken with timeMin: %v", err)
	}
	f.InvalidateSyncTokens("ana@example.com")
	if _, err := cal.Events.List("ana@example.com").SyncToken(token2).Do(); status(err) != http.StatusGone {
		t.Errorf("invalidated token: %v, want 410", err)
	}
	if v := f.Violations(); len(v) != 0 {
		t.Errorf("violations %q", v)
	}
}

func TestCancelledInstanceCarriesItsIdentityOnly(t *testing.T) {
	f, _, cal, _ := start(t)
	m := event("m", t0)
	m.Recurrence = []string{"RRULE:FREQ=DAILY;COUNT=3"}
	m.Start.TimeZone, m.End.TimeZone = "UTC", "UTC"
	f.PutEvent("ana@example.com", m)
	f.CancelInstance("ana@example.com", "m", t0.Add(24*time.Hour))
	page, err := cal.Events.List("ana@example.com").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("%d items, want the master and the cancelled instance", len(page.Items))
	}
	x := page.Items[1]
	if x.Status != "cancelled" || x.RecurringEventId != "m" || x.OriginalStartTime == nil || x.Summary != "" || x.Start != nil {
		t.Errorf("cancelled instance %+v", x)
	}
}

func TestAttachmentsNeedSupportsAttachments(t *testing.T) {
	f, _, cal, _ := start(t)
	f.PutEvent("ana@example.com", event("e", t0))
	att := &gcal.Event{Attachments: []*gcal.EventAttachment{{FileUrl: "https://docs.google.com/document/d/x/edit"}}}
	if _, err := cal.Events.Patch("ana@example.com", "e", att).Do(); status(err) != 400 {
		t.Errorf("attachments without supportsAttachments: %v, want 400", err)
	}
	if _, err := cal.Events.Patch("ana@example.com", "e", att).SupportsAttachments(true).Do(); err != nil {
		t.Errorf("with supportsAttachments: %v", err)
	}
	many := &gcal.Event{}
	for range 26 {
		many.Attachments = append(many.Attachments, &gcal.EventAttachment{FileUrl: "https://example.com/f"})
	}
	if _, err := cal.Events.Patch("ana@example.com", "e", many).SupportsAttachments(true).Do(); status(err) != 400 {
		t.Errorf("26 attachments: %v, want 400", err)
	}
	if _, err := cal.Events.Patch("ana@example.com", "e", att).SupportsAttachments(true).Do(); err != nil {
		t.Fatal(err)
	}
	call := cal.Events.Patch("ana@example.com", "e", &gcal.Event{Summary: "x"})
	call.Header().Set("If-Match", `"stale"`)
	if _, err := call.Do(); status(err) != http.StatusPreconditionFailed {
		t.Errorf("stale etag: %v, want 412", err)
	}
}

func TestFaultsInjected(t *testing.T) {
	f, _, cal, _ := start(t)
	f.Fail("calendar.events.list", Fault{Code: 429, Reason: "rateLimitExceeded", RetryAfter: "3"}, RateLimited)
	_, err := cal.Events.List("ana@example.com").Do()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 429 || ge.Header.Get("Retry-After") != "3" {
		t.Fatalf("first: %v", err)
	}
	_, err = cal.Events.List("ana@example.com").Do()
	if !errors.As(err, &ge) || ge.Code != 403 || ge.Errors[0].Reason != "rateLimitExceeded" {
		t.Fatalf("second: %v", err)
	}
	if _, err := cal.Events.List("ana@example.com").Do(); err != nil {
		t.Fatalf("third: %v", err)
	}
}

func TestPushNotifications(t *testing.T) {
	f, _, cal, _ := start(t)
	var mu sync.Mutex
	var got []http.Header
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if len(body) != 0 {
			t.Errorf("notification with a body: %q", body)
		}
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
	}))
	defer hook.Close()
	ch, err := cal.Events.Watch("ana@example.com", &gcal.Channel{Id: "ch1", Type: "web_hook", Address: hook.URL,
		Token: "secret", Params: map[string]string{"ttl": "3600"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if ch.ResourceId == "" || ch.Expiration != t0.Add(time.Hour).UnixMilli() {
		t.Errorf("channel %+v", ch)
	}
	f.PutEvent("ana@example.com", event("e", t0))
	if _, err := f.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Get("X-Goog-Resource-State") != "sync" || got[1].Get("X-Goog-Resource-State") != "exists" {
		t.Fatalf("notifications %v", got)
	}
	h := got[1]
	if h.Get("X-Goog-Channel-ID") != "ch1" || h.Get("X-Goog-Channel-Token") != "secret" || h.Get("X-Goog-Resource-ID") != ch.ResourceId ||
		h.Get("X-Goog-Message-Number") == "" || h.Get("X-Goog-Channel-Expiration") == "" {
		t.Errorf("headers %v", h)
	}
	if err := cal.Channels.Stop(&gcal.Channel{Id: "ch1", ResourceId: ch.ResourceId}).Do(); err != nil {
		t.Fatal(err)
	}
	f.PutEvent("ana@example.com", event("e2", t0))
	f.Deliver(context.Background())
	if len(got) != 2 {
		t.Error("a stopped channel was notified")
	}
	if err := cal.Channels.Stop(&gcal.Channel{Id: "ch1", ResourceId: ch.ResourceId}).Do(); status(err) != 404 {
		t.Errorf("stopping twice: %v", err)
	}
}

func TestDocsBatchUpdate(t *testing.T) {
	f, _, _, d := start(t)
	doc, err := d.Documents.Create(&docs.Document{Title: "Notes"}).Do()
	if err != nil {
		t.Fatal(err)
	}
	id := doc.DocumentId
	link := "https://meetingd.test/occurrences/1"
	_, err = d.Documents.BatchUpdate(id, &docs.BatchUpdateDocumentRequest{Requests: []*docs.Request{
		{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: 1}, Text: "Heading\nBody {{x}}\n"}},
		{UpdateParagraphStyle: &docs.UpdateParagraphStyleRequest{Range: &docs.Range{StartIndex: 1, EndIndex: 9},
			ParagraphStyle: &docs.ParagraphStyle{NamedStyleType: "HEADING_2"}, Fields: "namedStyleType"}},
		{UpdateTextStyle: &docs.UpdateTextStyleRequest{Range: &docs.Range{StartIndex: 1, EndIndex: 8},
			TextStyle: &docs.TextStyle{Link: &docs.Link{Url: link}}, Fields: "link"}},
		{ReplaceAllText: &docs.ReplaceAllTextRequest{ContainsText: &docs.SubstringMatchCriteria{Text: "{{x}}", MatchCase: true}, ReplaceText: "é"}},
	}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	paras := f.DocParagraphs(id)
	if len(paras) != 3 || paras[0].Text != "Heading\n" || paras[0].Style != "HEADING_2" || paras[0].Link != link ||
		paras[1].Text != "Body é\n" || paras[1].Style != "NORMAL_TEXT" || paras[1].Link != "" {
		t.Fatalf("paragraphs %+v", paras)
	}
	// Text inserted before a linked heading takes its link, as in Docs.
	d.Documents.BatchUpdate(id, &docs.BatchUpdateDocumentRequest{Requests: []*docs.Request{
		{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: 1}, Text: "New\n"}}}}).Do()
	if p := f.DocParagraphs(id)[0]; p.Link != link || p.Style != "HEADING_2" {
		t.Errorf("inserted paragraph %+v should inherit", p)
	}
	// Each batchUpdate applied is recorded with what it deleted.
	f.ResetCalls()
	d.Documents.BatchUpdate(id, &docs.BatchUpdateDocumentRequest{Requests: []*docs.Request{
		{DeleteContentRange: &docs.DeleteContentRangeRequest{Range: &docs.Range{StartIndex: 1, EndIndex: 4}}}}}).Do()
	if w := f.DocWrites(); len(w) != 1 || w[0].DocID != id || w[0].Deleted != 3 || w[0].After != w[0].Before-3 {
		t.Errorf("doc writes %+v", w)
	}
	got, err := d.Documents.Get(id).Do()
	if err != nil {
		t.Fatal(err)
	}
	// A stale revision is refused, and nothing changes.
	f.EditDoc(id, 1, 1, "x")
	_, err = d.Documents.BatchUpdate(id, &docs.BatchUpdateDocumentRequest{WriteControl: &docs.WriteControl{RequiredRevisionId: got.RevisionId},
		Requests: []*docs.Request{{InsertText: &docs.InsertTextRequest{Location: &docs.Location{Index: 1}, Text: "y"}}}}).Do()
	if status(err) != 400 || strings.HasPrefix(f.DocText(id), "y") {
		t.Errorf("stale revision: %v", err)
	}
	if v := f.Violations(); len(v) != 0 {
		t.Errorf("violations %q", v)
	}
}
