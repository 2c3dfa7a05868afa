package calendar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/errs"
)

// Fetching a subscription: one GET, conditional on what the last body
// applied carried (If-None-Match with its ETag, If-Modified-Since with its
// Last-Modified), so an unchanged calendar costs one request answered 304.
// A body larger than the limit, or that is not a calendar (a login page, a
// proxy's error page), is refused before anything is read into meetings.

// fetched is a feed's answer.
type fetched struct {
	notModified  bool
	body         []byte
	etag         string
	lastModified string
}

// feedError is a poll the feed failed: it is recorded against the
// calendar (and backs its polling off) rather than failing the job.
type feedError struct {
	msg        string        // free of the URL's secret
	retryAfter time.Duration // what the server asked for, if anything
}

func (e *feedError) Error() string { return e.msg }

func feedErrorf(format string, args ...any) error {
	return &feedError{msg: fmt.Sprintf(format, args...)}
}

// fetchURL is the address to GET: webcal is https by another name.
func fetchURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", errs.Errorf(errs.Invalid, "url is not a URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "webcal", "webcals":
		u.Scheme = "https"
	case "":
		return "", errs.Errorf(errs.Invalid, "url has no scheme: give the https:// or webcal:// address the calendar is published at")
	default:
		return "", errs.Errorf(errs.Invalid, "url scheme %q is not https or webcal: a calendar's address is a secret, so it is fetched over TLS only", u.Scheme)
	}
	if u.Host == "" {
		return "", errs.Errorf(errs.Invalid, "url has no host")
	}
	return u.String(), nil
}

// httpsOnly refuses a redirect away from TLS: it would send the secret
// address, and the calendar, in the clear.
func httpsOnly(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "https" {
		return errors.New("redirected to a non-https address")
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// fetch GETs the feed at raw; conditional sends the validators of the last
// body applied.
func (s *Subscriptions) fetch(ctx context.Context, raw, etag, lastModified string, conditional bool) (fetched, error) {
	target, err := fetchURL(raw)
	if err != nil {
		return fetched{}, feedErrorf("%s", errs.Message(err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fetched{}, feedErrorf("the address cannot be requested")
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	req.Header.Set("User-Agent", s.Cfg.UserAgent)
	if conditional && etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if conditional && lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fetched{}, ctx.Err() // shutting down: not the feed's fault
		}
		return fetched{}, feedErrorf("%v", redactErr(err, raw, target))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		return fetched{notModified: true}, nil
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		fe := &feedError{msg: fmt.Sprintf("the server answered %s", resp.Status)}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			fe.retryAfter = retryAfter(resp.Header.Get("Retry-After"), s.Clock.Now())
		}
		return fetched{}, fe
	}
	limit := s.Cfg.MaxBytes
	if resp.ContentLength > limit {
		return fetched{}, feedErrorf("the calendar is %d bytes, larger than the limit of %d", resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return fetched{}, ctx.Err()
		}
		return fetched{}, feedErrorf("reading the calendar: %v", redactErr(err, raw, target))
	}
	if int64(len(body)) > limit {
		return fetched{}, feedErrorf("the calendar is larger than the limit of %d bytes", limit)
	}
	if !looksLikeCalendar(body) {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		return fetched{}, feedErrorf("the answer is not a calendar (Content-Type %q, and it does not begin with BEGIN:VCALENDAR)", ct)
	}
	return fetched{body: body, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}, nil
}

// looksLikeCalendar reports whether body begins as an ICS file does,
// whatever the Content-Type says (many servers send octet-stream).
func looksLikeCalendar(body []byte) bool {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	body = bytes.TrimLeft(body, " \t\r\n")
	const begin = "BEGIN:VCALENDAR"
	return len(body) >= len(begin) && strings.EqualFold(string(body[:len(begin)]), begin)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return max(0, time.Duration(secs)*time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return 0
}
