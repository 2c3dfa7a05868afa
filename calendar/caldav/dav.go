package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"
)

// Talking to the server. go-webdav's CalDAV client does discovery, reads
// calendar objects (calendar-multiget, GET) and writes them (PUT). Its
// v0.6.0 has no sync-collection REPORT (RFC 6578), no getctag and no
// conditional PUT, so those few requests are made here, and If-Match is
// put on its PUT by the HTTP client it is given, from the request's
// context. That client also notes each answer's status, which go-webdav's
// errors do not expose, so a 412 or a 401 can be told apart.

// httpClient is what go-webdav sends its requests through: the user's
// credentials on each, If-Match where the context carries one, and the
// status noted where the context asks for it.
type httpClient struct {
	c          *http.Client
	user, pass string
}

func (h *httpClient) Do(req *http.Request) (*http.Response, error) {
	req.SetBasicAuth(h.user, h.pass)
	if etag, ok := req.Context().Value(ifMatchKey{}).(string); ok && req.Method == http.MethodPut {
		req.Header.Set("If-Match", quoteETag(etag))
	}
	resp, err := h.c.Do(req)
	if n, ok := req.Context().Value(noteKey{}).(*note); ok && resp != nil {
		n.status = resp.StatusCode
		n.retryAfter = resp.Header.Get("Retry-After")
	}
	return resp, err
}

type ifMatchKey struct{}
type noteKey struct{}

// note is the last answer's status, for the caller of a go-webdav call.
type note struct {
	status     int
	retryAfter string
}

func noting(ctx context.Context) (context.Context, *note) {
	n := &note{}
	return context.WithValue(ctx, noteKey{}, n), n
}

// quoteETag puts back the quotes go-webdav takes off.
func quoteETag(etag string) string {
	if strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, `W/"`) {
		return etag
	}
	return strconv.Quote(etag)
}

// unquoteETag is an etag as go-webdav gives it: without its quotes.
func unquoteETag(etag string) string {
	if s, err := strconv.Unquote(strings.TrimSpace(etag)); err == nil {
		return s
	}
	return strings.TrimSpace(etag)
}

// serverError is a server failing a poll or a write: recorded against the
// calendar (and its polling backed off), not a failure of meetingd.
type serverError struct {
	msg        string
	status     int
	retryAfter time.Duration
}

func (e *serverError) Error() string { return e.msg }

// serverErr describes err from a request whose answer n noted.
func serverErr(what string, err error, n *note, now time.Time) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &serverError{status: n.status}
	switch {
	case n.status == http.StatusUnauthorized:
		e.msg = what + ": the server refused the user name or app password (401)"
	case n.status == http.StatusForbidden:
		e.msg = what + ": the server forbids it (403): does the user still have access to the calendar?"
	case n.status >= 400:
		e.msg = fmt.Sprintf("%s: the server answered %d %s", what, n.status, http.StatusText(n.status))
	default:
		e.msg = fmt.Sprintf("%s: %v", what, err)
	}
	if n.status == http.StatusTooManyRequests || n.status == http.StatusServiceUnavailable {
		e.retryAfter = retryAfter(n.retryAfter, now)
	}
	return e
}

func retryAfter(v string, now time.Time) time.Duration {
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return max(0, time.Duration(secs)*time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return 0
}

// dav is one calendar collection on a server, as one user.
type dav struct {
	hc   *httpClient
	cl   *caldav.Client
	coll *url.URL // the collection; its path ends in "/"
	now  func() time.Time
}

func (s *Source) dav(collection, user, pass string) (*dav, error) {
	u, err := url.Parse(collection)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("collection %q is not a URL", collection)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	hc := &httpClient{c: s.client, user: user, pass: pass}
	origin := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}
	cl, err := caldav.NewClient(hc, origin.String())
	if err != nil {
		return nil, err
	}
	return &dav{hc: hc, cl: cl, coll: u, now: s.Clock.Now}, nil
}

// member is a calendar object as a listing names it.
type member struct {
	href string // its path
	etag string // unquoted
}

// changes is what a sync-collection REPORT or a listing says.
type changes struct {
	members []member // changed (or, in a full listing, all)
	removed []string // paths
	token   string
}

// Errors of sync-collection that change how a calendar is synced.
var (
	errInvalidToken   = errors.New("the server no longer knows the sync token")
	errNoSyncReport   = errors.New("the server offers no sync-collection report")
	maxMultistatusLen = int64(64 << 20)
)

// syncCollection asks what changed since token ("" for everything),
// following the server's truncated answers (507) to the end.
func (d *dav) syncCollection(ctx context.Context, token string) (changes, error) {
	var out changes
	for range 1000 {
		body := `<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>` +
			xmlText(token) + `</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`
		ms, n, err := d.multistatus(ctx, "REPORT", "", body)
		if err != nil {
			switch {
			case (n.status == http.StatusForbidden || n.status == http.StatusConflict) && bytes.Contains(ms.raw, []byte("valid-sync-token")):
				return changes{}, errInvalidToken
			case n.status == http.StatusForbidden && bytes.Contains(ms.raw, []byte("supported-report")),
				n.status == http.StatusNotImplemented, n.status == http.StatusMethodNotAllowed, n.status == http.StatusBadRequest:
				return changes{}, errNoSyncReport
			}
			return changes{}, serverErr("sync-collection REPORT", err, n, d.now())
		}
		truncated := false
		for _, r := range ms.Responses {
			p := r.path()
			switch {
			case p == d.coll.Path || p+"/" == d.coll.Path:
				truncated = truncated || r.statusCode() == http.StatusInsufficientStorage
			case r.statusCode() == http.StatusNotFound:
				out.removed = append(out.removed, p)
			default:
				if etag, ok := r.okProp(func(p prop) string { return p.ETag }); ok {
					out.members = append(out.members, member{href: p, etag: unquoteETag(etag)})
				}
			}
		}
		out.token, token = ms.SyncToken, ms.SyncToken
		if !truncated {
			return out, nil
		}
	}
	return changes{}, &serverError{msg: "sync-collection REPORT: the server's answer never ended"}
}

// ctag reads the collection's getctag ("" if the server has none).
func (d *dav) ctag(ctx context.Context) (string, error) {
	ms, n, err := d.multistatus(ctx, "PROPFIND", "0", `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" `+
		`xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/></d:prop></d:propfind>`)
	if err != nil {
		return "", serverErr("PROPFIND getctag", err, n, d.now())
	}
	for _, r := range ms.Responses {
		if ctag, ok := r.okProp(func(p prop) string { return p.CTag }); ok {
			return ctag, nil
		}
	}
	return "", nil
}

// list lists the collection's objects with their etags.
func (d *dav) list(ctx context.Context) (changes, error) {
	ms, n, err := d.multistatus(ctx, "PROPFIND", "1", `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">`+
		`<d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>`)
	if err != nil {
		return changes{}, serverErr("PROPFIND of the calendar", err, n, d.now())
	}
	var out changes
	for _, r := range ms.Responses {
		p := r.path()
		if p == d.coll.Path || p+"/" == d.coll.Path || strings.HasSuffix(p, "/") {
			continue // the collection itself, or a collection inside it
		}
		if etag, ok := r.okProp(func(p prop) string { return p.ETag }); ok {
			out.members = append(out.members, member{href: p, etag: unquoteETag(etag)})
		}
	}
	return out, nil
}

// object is a calendar object as read: its text is what meetingd stores.
type object struct {
	href, etag, data string
	uid              string // of its series, once parsed
}

// multiget reads the objects at hrefs, a hundred to a request. An object
// gone meanwhile is left out; one go-ical cannot read is logged by the
// caller as missing.
func (d *dav) multiget(ctx context.Context, hrefs []string) ([]object, []string, error) {
	var out []object
	var unread []string
	for start := 0; start < len(hrefs); start += 100 {
		part := hrefs[start:min(start+100, len(hrefs))]
		nctx, n := noting(ctx)
		objs, err := d.cl.MultiGetCalendar(nctx, d.coll.Path, &caldav.CalendarMultiGet{Paths: part,
			CompRequest: caldav.CalendarCompRequest{Name: ical.CompCalendar, AllProps: true, AllComps: true}})
		if err == nil {
			for _, co := range objs {
				o, err := encodeObject(co)
				if err != nil {
					unread = append(unread, co.Path)
					continue
				}
				out = append(out, o)
			}
			continue
		}
		if n.status >= 300 || n.status == 0 {
			return nil, nil, serverErr("calendar-multiget REPORT", err, n, d.now())
		}
		// The report came back, but go-webdav refused part of it (an
		// object deleted meanwhile, one it cannot decode): one by one.
		for _, href := range part {
			o, found, err := d.get(ctx, href)
			switch {
			case err != nil && !isServerError(err):
				return nil, nil, err
			case err != nil:
				unread = append(unread, href)
			case found:
				out = append(out, o)
			}
		}
	}
	return out, unread, nil
}

// get reads one object; found is false if it is gone.
func (d *dav) get(ctx context.Context, href string) (object, bool, error) {
	nctx, n := noting(ctx)
	co, err := d.cl.GetCalendarObject(nctx, href)
	if n.status == http.StatusNotFound || n.status == http.StatusGone {
		return object{}, false, nil
	}
	if err != nil {
		return object{}, false, serverErr("GET "+href, err, n, d.now())
	}
	co.Path = href
	o, err := encodeObject(*co)
	if err != nil {
		return object{}, false, &serverError{msg: fmt.Sprintf("GET %s: %v", href, err)}
	}
	return o, true, nil
}

// errConflict: the object changed since it was read (412).
var errConflict = errors.New("the calendar object changed since it was read")

// put writes cal to href if its etag is still etag, and returns the new
// etag ("" when the server does not say).
func (d *dav) put(ctx context.Context, href, etag string, cal *ical.Calendar) (string, error) {
	nctx, n := noting(context.WithValue(ctx, ifMatchKey{}, etag))
	co, err := d.cl.PutCalendarObject(nctx, href, cal)
	if n.status == http.StatusPreconditionFailed {
		return "", errConflict
	}
	if err != nil {
		return "", serverErr("PUT "+href, err, n, d.now())
	}
	return co.ETag, nil
}

func isServerError(err error) bool {
	var se *serverError
	return errors.As(err, &se)
}

// encodeObject is an object's text as go-webdav decoded it.
func encodeObject(co caldav.CalendarObject) (object, error) {
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(co.Data); err != nil {
		return object{}, err
	}
	return object{href: co.Path, etag: co.ETag, data: b.String()}, nil
}

// multistatus makes a WebDAV request on the collection and reads its
// 207 answer; on another status, what it said is in raw.
func (d *dav) multistatus(ctx context.Context, method, depth, body string) (multistatus, *note, error) {
	n := &note{}
	req, err := http.NewRequestWithContext(ctx, method, d.coll.String(), strings.NewReader(body))
	if err != nil {
		return multistatus{}, n, err
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	if depth != "" {
		req.Header.Set("Depth", depth)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return multistatus{}, n, err
	}
	defer resp.Body.Close()
	n.status, n.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxMultistatusLen+1))
	if err != nil {
		return multistatus{}, n, err
	}
	if resp.StatusCode != http.StatusMultiStatus {
		return multistatus{raw: raw}, n, fmt.Errorf("%s answered %s", method, resp.Status)
	}
	if int64(len(raw)) > maxMultistatusLen {
		return multistatus{}, n, fmt.Errorf("%s: the answer is larger than %d bytes", method, maxMultistatusLen)
	}
	var ms multistatus
	if err := xml.Unmarshal(raw, &ms); err != nil {
		return multistatus{}, n, fmt.Errorf("%s: the answer is not a multistatus: %w", method, err)
	}
	return ms, n, nil
}

type multistatus struct {
	XMLName   xml.Name   `xml:"DAV: multistatus"`
	Responses []response `xml:"DAV: response"`
	SyncToken string     `xml:"DAV: sync-token"`
	raw       []byte
}

type response struct {
	Hrefs     []string   `xml:"DAV: href"`
	Status    string     `xml:"DAV: status"`
	Propstats []propstat `xml:"DAV: propstat"`
}

type propstat struct {
	Prop   prop   `xml:"DAV: prop"`
	Status string `xml:"DAV: status"`
}

type prop struct {
	ETag string `xml:"DAV: getetag"`
	CTag string `xml:"http://calendarserver.org/ns/ getctag"`
}

// path is the response's href as a path, unescaped.
func (r response) path() string {
	if len(r.Hrefs) == 0 {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(r.Hrefs[0]))
	if err != nil {
		return r.Hrefs[0]
	}
	return u.Path
}

// statusCode is the response's own status, 200 if it has none.
func (r response) statusCode() int { return statusOf(r.Status, http.StatusOK) }

// okProp finds a non-empty property in a propstat whose status is 200.
func (r response) okProp(get func(prop) string) (string, bool) {
	for _, ps := range r.Propstats {
		if statusOf(ps.Status, http.StatusOK) == http.StatusOK {
			if v := get(ps.Prop); v != "" {
				return v, true
			}
		}
	}
	return "", false
}

// statusOf reads "HTTP/1.1 404 Not Found".
func statusOf(s string, def int) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return def
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return def
	}
	return n
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// webdavClient makes go-webdav's HTTPClient of an http.Client, for
// discovery.
var _ webdav.HTTPClient = (*httpClient)(nil)
