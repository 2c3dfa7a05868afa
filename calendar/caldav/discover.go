package caldav

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/emersion/go-webdav/caldav"

	"meetingd/internal/errs"
)

// Discovery (RFC 4791 and RFC 6764): from the server's address, the
// user's principal, their calendar home, and the calendars in it. An
// operator gives the server as their provider documents it (Fastmail:
// https://caldav.fastmail.com/, Nextcloud: https://host/remote.php/dav/);
// if the principal cannot be found there, the server's
// /.well-known/caldav is followed.

// discovered is the calendar a user chose on a server.
type discovered struct {
	collection string // its URL
	name       string // its display name
}

// discover finds the user's calendar named want (its display name or its
// path), or their only calendar of events if want is empty.
func (s *Source) discover(ctx context.Context, server, user, pass, want string) (discovered, error) {
	hc := &httpClient{c: s.client, user: user, pass: pass}
	endpoints := []string{server}
	if wk := s.wellKnown(ctx, hc, server); wk != "" && wk != server {
		endpoints = append(endpoints, wk)
	}
	var last error
	for _, ep := range endpoints {
		d, err := s.discoverAt(ctx, hc, ep, want)
		if err == nil || errs.Code(err) == errs.Invalid || errs.Code(err) == errs.NotFound {
			return d, err
		}
		last = err
	}
	return discovered{}, errs.Errorf(errs.Invalid, "no CalDAV calendars found at %s: %v", server, last)
}

func (s *Source) discoverAt(ctx context.Context, hc *httpClient, endpoint, want string) (discovered, error) {
	base, err := url.Parse(endpoint)
	if err != nil {
		return discovered{}, err
	}
	cl, err := caldav.NewClient(hc, endpoint)
	if err != nil {
		return discovered{}, err
	}
	nctx, n := noting(ctx)
	principal, err := cl.FindCurrentUserPrincipal(nctx)
	if n.status == http.StatusUnauthorized {
		return discovered{}, errs.Errorf(errs.Invalid, "the server refused the user name or app password (401)")
	}
	if err != nil {
		return discovered{}, fmt.Errorf("current-user-principal: %w", err)
	}
	home, err := cl.FindCalendarHomeSet(nctx, principal)
	if err != nil {
		return discovered{}, fmt.Errorf("calendar-home-set of %s: %w", principal, err)
	}
	cals, err := cl.FindCalendars(nctx, home)
	if err != nil {
		return discovered{}, fmt.Errorf("calendars in %s: %w", home, err)
	}
	var events []caldav.Calendar
	for _, c := range cals {
		if len(c.SupportedComponentSet) == 0 || slices.Contains(c.SupportedComponentSet, "VEVENT") {
			events = append(events, c)
		}
	}
	var names []string
	for _, c := range events {
		names = append(names, fmt.Sprintf("%q (%s)", c.Name, c.Path))
	}
	slices.Sort(names)
	pick := func(c caldav.Calendar) discovered {
		u := *base
		u.Path, u.RawPath, u.RawQuery = c.Path, "", ""
		return discovered{collection: u.String(), name: c.Name}
	}
	switch {
	case len(events) == 0:
		return discovered{}, errs.Errorf(errs.NotFound, "user %s has no calendars of events on this server", hc.user)
	case want == "" && len(events) == 1:
		return pick(events[0]), nil
	case want == "":
		return discovered{}, errs.Errorf(errs.Invalid, "user %s has %d calendars; choose one with calendar: %s",
			hc.user, len(events), strings.Join(names, ", "))
	}
	for _, c := range events {
		if c.Name == want || strings.TrimSuffix(c.Path, "/") == strings.TrimSuffix(want, "/") {
			return pick(c), nil
		}
	}
	return discovered{}, errs.Errorf(errs.NotFound, "user %s has no calendar %q; there are %s", hc.user, want, strings.Join(names, ", "))
}

// wellKnown follows /.well-known/caldav to where the server says CalDAV
// lives, or "".
func (s *Source) wellKnown(ctx context.Context, hc *httpClient, server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return ""
	}
	wk := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/.well-known/caldav"}
	req, err := http.NewRequestWithContext(ctx, "PROPFIND", wk.String(), nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Depth", "0")
	noFollow := *s.client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := (&httpClient{c: &noFollow, user: hc.user, pass: hc.pass}).Do(req)
	if err != nil {
		return ""
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || resp.StatusCode < 300 || resp.StatusCode > 399 {
		return ""
	}
	if loc.Scheme != "https" && u.Scheme == "https" {
		return "" // never downgrade the password to plain HTTP
	}
	return loc.String()
}
