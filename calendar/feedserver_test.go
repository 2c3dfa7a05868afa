package calendar_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// feedServer publishes a calendar over TLS on loopback as Outlook or
// Fastmail would: an ETag and a Last-Modified with each body, 304 to a
// request that names the current one. A test changes the body, or makes
// the server fail, and reads back what each request asked for.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	modified time.Time
	noETag   bool   // answer with Last-Modified only
	fail     int    // answer every request with this status, if set
	header   string // "Name: value" sent with a failure
	ctype    string // Content-Type of a body; text/calendar if empty
	requests []feedRequest
}

// feedRequest is what one request asked for, and the answer.
type feedRequest struct {
	Path            string
	IfNoneMatch     string
	IfModifiedSince string
	Status          int
}

func newFeedServer(t testing.TB) *feedServer {
	f := &feedServer{modified: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// etag is the current body's validator.
func (f *feedServer) etag() string {
	sum := sha256.Sum256([]byte(f.body))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

func (f *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req := feedRequest{Path: r.URL.Path, IfNoneMatch: r.Header.Get("If-None-Match"), IfModifiedSince: r.Header.Get("If-Modified-Since")}
	defer func() { f.requests = append(f.requests, req) }()
	if f.fail != 0 {
		if name, value, ok := strings.Cut(f.header, ": "); ok {
			w.Header().Set(name, value)
		}
		req.Status = f.fail
		http.Error(w, "unavailable", f.fail)
		return
	}
	lastMod := f.modified.Format(http.TimeFormat)
	fresh := req.IfNoneMatch != "" && req.IfNoneMatch == f.etag() && !f.noETag
	if f.noETag && req.IfModifiedSince != "" {
		since, err := http.ParseTime(req.IfModifiedSince)
		fresh = err == nil && !f.modified.After(since)
	}
	if fresh {
		req.Status = http.StatusNotModified
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !f.noETag {
		w.Header().Set("ETag", f.etag())
	}
	w.Header().Set("Last-Modified", lastMod)
	ct := f.ctype
	if ct == "" {
		ct = "text/calendar; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	req.Status = http.StatusOK
	fmt.Fprint(w, f.body)
}

// publish makes body the calendar, modified a minute after the last one.
func (f *feedServer) publish(body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.modified, f.fail = body, f.modified.Add(time.Minute), 0
}

// failWith makes every request fail with status (0: serve again).
func (f *feedServer) failWith(status int, header string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail, f.header = status, header
}

// take returns the requests since the last take.
func (f *feedServer) take() []feedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.requests
	f.requests = nil
	return out
}

// vevent is an event of a published calendar.
type vevent struct {
	UID, Title string
	Start      time.Time
	Organizer  string
	Attendees  []string // "email" or "email;ROLE=CHAIR"
	RRule      string
	Status     string
}

const icsTime = "20060102T150405Z"

// calendarBody writes an ICS calendar of evs, one-hour meetings.
func calendarBody(evs ...vevent) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//meetingd//test//EN\r\n")
	for _, e := range evs {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n",
			e.UID, e.Start.UTC().Format(icsTime), e.Start.Add(time.Hour).UTC().Format(icsTime), e.Title)
		fmt.Fprintf(&b, "ORGANIZER:mailto:%s\r\n", e.Organizer)
		for _, a := range e.Attendees {
			email, params, _ := strings.Cut(a, ";")
			if params != "" {
				params = ";" + params
			}
			fmt.Fprintf(&b, "ATTENDEE%s:mailto:%s\r\n", params, email)
		}
		if e.RRule != "" {
			fmt.Fprintf(&b, "RRULE:%s\r\n", e.RRule)
		}
		if e.Status != "" {
			fmt.Fprintf(&b, "STATUS:%s\r\n", e.Status)
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}
