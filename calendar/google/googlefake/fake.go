// Package googlefake is an in-process fake of the parts of Google Calendar
// v3, Drive v3 and Docs v1 (and the OAuth 2.0 endpoints) that meetingd
// calls, for tests that run the real generated clients against it
// (option.WithEndpoint, option.WithHTTPClient).
//
// It behaves as the real API does where meetingd depends on it: list pages
// may be short or empty, nextSyncToken comes only on the last page, an
// invalidated sync token answers 410, push channels POST bodiless
// notifications with X-Goog-* headers, attachments need
// supportsAttachments=true, and 403 rateLimitExceeded, 429 and 500 can be
// injected. Every request is checked against the discovery documents the
// google.golang.org/api module ships: an unknown method or path, a
// parameter the method does not define, or a body that does not fit its
// schema is refused with 400 and recorded in Violations. Responses are
// checked the same way, so the fake cannot drift from the real schema.
package googlefake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"meetingd/internal/clock"
)

// Server is the fake. Create it with New and serve it with httptest.
type Server struct {
	clock clock.Clock
	cat   *catalog

	mu         sync.Mutex
	url        string // where it is served, for links it hands out
	users      map[string]*user
	access     map[string]string // access token → email
	refresh    map[string]string // refresh token → email
	codes      map[string]string // authorization code → email
	calendars  map[string]*fakeCalendar
	files      map[string]*file
	docs       map[string]*document
	channels   map[string]*channel
	pending    []notification
	calls      map[string]int
	requests   []Request
	docWrites  []DocWrite // batchUpdates applied, for tests counting what each rewrote
	violations []string
	faults     map[string][]Fault
	refusals   map[string]Fault // permissions.create refused for these addresses
	changeSeq  int64            // Drive's change log
	changes    []driveChange
	meet       meetState
	pageSizes  []int
	pageTurn   int
	nextID     int
	msgNum     int64
}

type user struct {
	email   string
	id      string // the Google account id: Meet names participants "users/<id>", People "people/<id>"
	revoked bool
}

// Request is a request the fake received, for tests that check what
// meetingd sent.
type Request struct {
	Method string // discovery method id, e.g. calendar.events.list
	Path   map[string]string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Fault is an error the fake answers instead of doing the work. The zero
// Fault lets a call through, so a test can fail the second call only.
type Fault struct {
	Code       int    // HTTP status: 403, 429, 500, ...
	Reason     string // errors[].reason, e.g. rateLimitExceeded
	RetryAfter string // Retry-After header, if any
}

// RateLimited is the 403 Google answers when a per-user quota runs out.
var RateLimited = Fault{Code: 403, Reason: "rateLimitExceeded"}

// New returns an empty fake on clock c (nil: the wall clock).
func New(c clock.Clock) *Server {
	if c == nil {
		c = clock.Real{}
	}
	cat, err := loadCatalog()
	if err != nil {
		panic(fmt.Sprintf("googlefake: discovery documents: %v", err))
	}
	return &Server{clock: c, cat: cat, users: map[string]*user{}, access: map[string]string{},
		refresh: map[string]string{}, codes: map[string]string{}, calendars: map[string]*fakeCalendar{},
		files: map[string]*file{}, docs: map[string]*document{}, channels: map[string]*channel{},
		calls: map[string]int{}, faults: map[string][]Fault{}, refusals: map[string]Fault{}}
}

// SetURL tells the fake where it is served (the httptest server's URL).
func (s *Server) SetURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimRight(u, "/")
}

// AddUser creates a Workspace user with a primary calendar named by their
// address, in time zone tz.
func (s *Server) AddUser(email, tz string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[email] = &user{email: email, id: strconv.Itoa(100000000 + len(s.users) + 1)}
	s.calendars[email] = newCalendar(email, tz)
}

// Authorize issues tokens for email as if they had consented: an access
// token and a refresh token.
func (s *Server) Authorize(email string) (accessToken, refreshToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issue(email, true)
}

// Revoke revokes every token of email and their domain-wide delegation:
// API calls answer 401 and token requests invalid_grant.
func (s *Server) Revoke(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[email]; u != nil {
		u.revoked = true
	}
	for tok, who := range s.access {
		if who == email {
			delete(s.access, tok)
		}
	}
}

// DropAccessTokens makes email's access tokens invalid (401), as when
// Google ends them early; refresh tokens keep working.
func (s *Server) DropAccessTokens(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, who := range s.access {
		if who == email {
			delete(s.access, tok)
		}
	}
}

// Fail makes the next len(faults) calls of method (a discovery id such as
// calendar.events.list) answer with those faults, in order.
func (s *Server) Fail(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// SetPageSizes makes events.list pages hold these many items in turn
// (cycling; 0 is an empty page), never more than maxResults. None: full pages.
func (s *Server) SetPageSizes(sizes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSizes, s.pageTurn = sizes, 0
}

// Calls returns how many times each method was called (faults included),
// keyed by discovery id; OAuth endpoints are oauth2.token and oauth2.auth.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// APICalls is the number of Calendar, Drive and Docs calls (OAuth excluded).
func (s *Server) APICalls() int {
	n := 0
	for k, v := range s.Calls() {
		if !strings.HasPrefix(k, "oauth2.") {
			n += v
		}
	}
	return n
}

// ResetCalls zeroes the counters and forgets the requests.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.requests = nil
	s.docWrites = nil
}

// Requests returns the requests received for method, oldest first.
func (s *Server) Requests(method string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// Violations lists requests (and responses) that did not fit the discovery
// documents. Tests assert it is empty.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// maxLoggedRequests keeps the request log small in benchmarks.
const maxLoggedRequests = 5000

// ServeHTTP routes a request to the OAuth endpoints or to an API method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		s.handleToken(w, r)
		return
	case "/o/oauth2/auth":
		s.handleAuth(w, r)
		return
	}
	m, pathVals := s.cat.match(r)
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if m == nil {
		s.violate(fmt.Sprintf("%s %s: no method in the discovery documents", r.Method, r.URL.Path))
		writeError(w, 400, "badRequest", "Unknown method or path: "+r.Method+" "+r.URL.Path)
		return
	}
	var problems []string
	problems = append(problems, m.checkQuery(r.URL.Query())...)
	var in map[string]any
	switch {
	case m.Request != nil:
		if err := json.Unmarshal(body, &in); err != nil || in == nil {
			problems = append(problems, fmt.Sprintf("%s: body is not a JSON object", m.ID))
		} else {
			m.api.checkJSON(in, m.Request, m.ID+" request", &problems)
		}
	case len(bytes.TrimSpace(body)) > 0:
		problems = append(problems, fmt.Sprintf("%s: takes no body", m.ID))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[m.ID]++
	if len(s.requests) < maxLoggedRequests {
		s.requests = append(s.requests, Request{Method: m.ID, Path: pathVals, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	}
	if len(problems) > 0 {
		s.violations = append(s.violations, problems...)
		writeError(w, 400, "invalid", strings.Join(problems, "; "))
		return
	}
	who, ok := s.caller(r)
	if !ok {
		writeError(w, 401, "authError", "Request had invalid authentication credentials.")
		return
	}
	if f, ok := s.takeFault(m.ID); ok && f.Code != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Code, f.Reason, "Injected fault: "+f.Reason)
		return
	}
	c := &call{s: s, m: m, path: pathVals, q: r.URL.Query(), header: r.Header, body: in, who: who}
	h := s.handler(m.ID)
	if h == nil {
		s.violations = append(s.violations, m.ID+": defined by discovery but not implemented by the fake")
		writeError(w, 501, "notImplemented", m.ID+" is not implemented by googlefake")
		return
	}
	status, out, err := h(c)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if out == nil {
		w.WriteHeader(status)
		return
	}
	raw, _ := json.Marshal(out)
	if m.Response != nil {
		var generic any
		json.Unmarshal(raw, &generic)
		var bad []string
		m.api.checkJSON(generic, m.Response, m.ID+" response", &bad)
		s.violations = append(s.violations, bad...)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(raw)
}

func (s *Server) violate(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, msg)
}

func (s *Server) takeFault(id string) (Fault, bool) {
	q := s.faults[id]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[id] = q[1:]
	return q[0], true
}

// caller is the user the request's bearer token belongs to.
func (s *Server) caller(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", false
	}
	who, ok := s.access[tok]
	return who, ok
}

// call is one API request being served, under s.mu.
type call struct {
	s      *Server
	m      *method
	path   map[string]string
	q      url.Values
	header http.Header
	body   map[string]any
	who    string
}

func (c *call) boolParam(name string) bool { return c.q.Get(name) == "true" }

type handlerFunc func(c *call) (status int, out any, err error)

func (s *Server) handler(id string) handlerFunc {
	switch id {
	case "calendar.events.list":
		return s.eventsList
	case "calendar.events.get":
		return s.eventsGet
	case "calendar.events.patch":
		return s.eventsPatch
	case "calendar.events.watch":
		return s.eventsWatch
	case "calendar.channels.stop":
		return s.channelsStop
	case "drive.files.copy":
		return s.filesCopy
	case "drive.files.get":
		return s.filesGet
	case "drive.permissions.create":
		return s.permissionsCreate
	case "drive.permissions.list":
		return s.permissionsList
	case "drive.permissions.delete":
		return s.permissionsDelete
	case "drive.files.update":
		return s.filesUpdate
	case "drive.changes.getStartPageToken":
		return s.changesStartPageToken
	case "drive.changes.list":
		return s.changesList
	case "drive.changes.watch":
		return s.changesWatch
	case "drive.channels.stop":
		return s.channelsStop
	case "meet.conferenceRecords.list":
		return s.conferenceRecordsList
	case "meet.conferenceRecords.participants.list":
		return s.participantsList
	case "meet.conferenceRecords.participants.participantSessions.list":
		return s.participantSessionsList
	case "meet.conferenceRecords.recordings.list":
		return s.recordingsList
	case "meet.conferenceRecords.transcripts.list":
		return s.transcriptsList
	case "people.people.getBatchGet":
		return s.peopleBatchGet
	case "docs.documents.create":
		return s.documentsCreate
	case "docs.documents.get":
		return s.documentsGet
	case "docs.documents.batchUpdate":
		return s.documentsBatchUpdate
	}
	return nil
}

// apiError is an error answer in Google's JSON error format.
type apiError struct {
	code    int
	reason  string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.code, e.reason, e.message) }

func errorf(code int, reason, format string, args ...any) error {
	return &apiError{code: code, reason: reason, message: fmt.Sprintf(format, args...)}
}

func writeAPIError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{code: 500, reason: "backendError", message: err.Error()}
	}
	writeError(w, e.code, e.reason, e.message)
}

var statusNames = map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
	404: "NOT_FOUND", 409: "ALREADY_EXISTS", 410: "ABORTED", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
	500: "INTERNAL", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE"}

// writeError answers in the format both API generations use: errors[] with
// a reason (Calendar, Drive) and status (Docs).
func writeError(w http.ResponseWriter, code int, reason, message string) {
	domain := "global"
	if reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" {
		domain = "usageLimits"
	}
	body := map[string]any{"error": map[string]any{
		"code": code, "message": message, "status": statusNames[code],
		"errors": []map[string]any{{"domain": domain, "reason": reason, "message": message}},
	}}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

// newID returns a fresh identifier with a prefix.
func (s *Server) newID(prefix string) string {
	s.nextID++
	return prefix + strconv.Itoa(s.nextID)
}

func (s *Server) now() time.Time { return s.clock.Now().UTC() }

func rfc3339(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
