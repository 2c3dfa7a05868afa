package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	gcalendar "google.golang.org/api/calendar/v3"
	"google.golang.org/api/docs/v1"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	meet "google.golang.org/api/meet/v2"
	"google.golang.org/api/option"
	people "google.golang.org/api/people/v1"

	"meetingd/calendar"
	"meetingd/internal/db"
)

// googleClient is the generated clients for one calendar's credentials.
type googleClient struct {
	cal    *gcalendar.Service
	drive  *drive.Service
	docs   *docs.Service
	meet   *meet.Service   // nil unless Config.Meet
	people *people.Service // nil unless Config.Meet
	src    *tokenSource
	// owner is who the credentials act as: the doc's owner, who needs no
	// sharing.
	owner string
}

// calRow is a Google calendar as stored: the calendar package's row, with
// Google's own sync state.
type calRow struct {
	calendar.Calendar
	GoogleID   string     // the Google calendar id
	TimeZone   string     `db:"time_zone"`
	ExpandedAt *time.Time `db:"expanded_at"`
}

func (g *Source) calendarRow(ctx context.Context, q db.Queryer, id int64) (calRow, error) {
	c, err := calendar.Get(ctx, q, Kind, id)
	if err != nil {
		return calRow{}, err
	}
	cal := calRow{Calendar: c, GoogleID: c.Source}
	var rows []struct {
		TimeZone   string     `db:"time_zone"`
		ExpandedAt *time.Time `db:"expanded_at"`
	}
	if err := q.SelectContext(ctx, &rows, q.Rebind(`SELECT time_zone, expanded_at FROM google_calendars WHERE calendar_id = ?`), id); err != nil {
		return calRow{}, fmt.Errorf("calendar %d: %w", id, err)
	}
	if len(rows) == 1 {
		cal.TimeZone, cal.ExpandedAt = rows[0].TimeZone, rows[0].ExpandedAt
	}
	return cal, nil
}

// client returns the calendar's clients, building them once.
func (g *Source) client(ctx context.Context, cal calRow) (*googleClient, error) {
	g.mu.Lock()
	cl := g.clients[cal.ID]
	g.mu.Unlock()
	if cl != nil {
		return cl, nil
	}
	src, err := g.tokenSource(ctx, cal)
	if err != nil {
		return nil, err
	}
	base := g.cfg.HTTPClient
	hc := &http.Client{Transport: &oauth2.Transport{Source: src, Base: base.Transport}, Timeout: base.Timeout}
	opts := func(servicePath string) []option.ClientOption {
		o := []option.ClientOption{option.WithHTTPClient(hc)}
		if g.cfg.Endpoint != "" {
			o = append(o, option.WithEndpoint(g.cfg.Endpoint+servicePath))
		}
		return o
	}
	cl = &googleClient{src: src, owner: cal.GoogleID}
	if c, ok := g.calendarConfig(cal.GoogleID); ok && g.jwt != nil {
		cl.owner = c.subject()
	}
	if cl.cal, err = gcalendar.NewService(ctx, opts("calendar/v3/")...); err != nil {
		return nil, fmt.Errorf("calendar client: %w", err)
	}
	if cl.drive, err = drive.NewService(ctx, opts("drive/v3/")...); err != nil {
		return nil, fmt.Errorf("drive client: %w", err)
	}
	if cl.docs, err = docs.NewService(ctx, opts("")...); err != nil {
		return nil, fmt.Errorf("docs client: %w", err)
	}
	if g.cfg.Meet {
		if cl.meet, err = meet.NewService(ctx, opts("")...); err != nil {
			return nil, fmt.Errorf("meet client: %w", err)
		}
		if cl.people, err = people.NewService(ctx, opts("")...); err != nil {
			return nil, fmt.Errorf("people client: %w", err)
		}
	}
	g.mu.Lock()
	g.clients[cal.ID] = cl
	g.mu.Unlock()
	return cl, nil
}

// forget drops a calendar's clients: its credentials changed.
func (g *Source) forget(calID int64) {
	g.mu.Lock()
	delete(g.clients, calID)
	g.mu.Unlock()
}

// call runs one Google request with backoff. A 401 makes the token source
// refresh once before the request is tried again; credentials Google
// refuses for good come back as a *revokedError.
func (g *Source) call(ctx context.Context, cl *googleClient, what string, fn func() error) error {
	reauthed := false
	for n := 1; ; n++ {
		err := fn()
		if err == nil {
			return nil
		}
		if re, ok := revocation(err); ok {
			return re
		}
		if ctx.Err() != nil {
			return err
		}
		var ge *googleapi.Error
		if errors.As(err, &ge) && ge.Code == http.StatusUnauthorized && !reauthed {
			reauthed = true
			cl.src.invalidate()
			continue
		}
		wait, again := g.cfg.Retry.wait(err, n, g.Clock.Now())
		if !again {
			return fmt.Errorf("google %s: %w", what, err)
		}
		g.Log.WarnContext(ctx, "Google call failed; retrying", "call", what, "attempt", n, "wait", wait, "err", shortError(err))
		if err := g.cfg.Retry.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// shortError is an API error's status and reason, for logs.
func shortError(err error) string {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return err.Error()
	}
	var reasons []string
	for _, e := range ge.Errors {
		reasons = append(reasons, e.Reason)
	}
	return fmt.Sprintf("%d %s", ge.Code, strings.Join(reasons, ","))
}

// isStatus reports whether err is a Google API error with that status.
func isStatus(err error, code int) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == code
}
