// Package web is meetingd's HTTP surface: the JSON API under /api/v1, the
// dashboard's pages, the pages signed links in emails open, sign-in, the
// calendar feeds, Google's webhook, /healthz and /metrics. It turns
// requests into calls on the domain packages and their answers into JSON
// or HTML; the rules live in those packages. routes.go is the route table.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"meetingd/calendar"
	"meetingd/calendar/caldav"
	"meetingd/calendar/google"
	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/mail"
	"meetingd/internal/metrics"
	"meetingd/internal/people"
	"meetingd/meetings"
	"meetingd/templates"
)

// Server is the HTTP surface of one meetingd.
type Server struct {
	DB        *db.DB // for the people package's lookups: sessions, tokens
	Clock     clock.Clock
	Log       *slog.Logger
	Templates *templates.Set
	BaseURL   string
	SignIn    *people.SignIn
	Meetings  *meetings.Service
	Decisions *decisions.Service
	Calendar  *calendar.Local
	Feed      *calendar.Feed
	Google    *google.Source // nil unless Google is on
	// Subscriptions and CalDAV are the polled calendars operators manage
	// (calendars_admin.go); nil leaves their routes out.
	Subscriptions *calendar.Subscriptions
	CalDAV        *caldav.Source
	Metrics       *metrics.Metrics
	Outbox        *mail.Outbox
	// WriteWait is how long a request waits for its turn to write before
	// it is answered 503, to try again.
	WriteWait time.Duration
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MaxInFlight bounds the requests worked on at once (0: 8 per CPU);
	// the rest wait their turn, as long as WriteWait.
	MaxInFlight int

	creds      *people.Credentials // sessions and tokens, looked up once a second
	oidc       *people.OIDC        // nil unless sign-in with Google is on
	oidcClient *http.Client
	handler    http.Handler

	insightsKept insightsCache    // /insights numbers, kept briefly (insights_cache.go)
	listBodies   db.Reads[[]byte] // decision list responses, until the database changes (decision_lists.go)
	pageBodies   db.Reads[[]byte] // dashboard pages, likewise
}

// oidcTimeout bounds every request to the identity provider.
const oidcTimeout = 15 * time.Second

// Handle builds the route table; s's fields must be set, and sign-in with
// Google enabled first if it is to be offered.
func (s *Server) Handle() {
	s.creds = &people.Credentials{DB: s.DB, Clock: s.Clock}
	// Pages are a few times a list body's size: fewer are kept, so that
	// all kept pages and bodies stay under about 16 MB.
	s.pageBodies.Max = 128
	s.handler = s.routes()
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// EnableOIDC turns on sign-in with Google: it asks the issuer for its
// endpoints and keys, so it needs the network. hc, if not nil, talks to the
// issuer. Without it, sign-in by email still works.
func (s *Server) EnableOIDC(ctx context.Context, cfg people.OIDCConfig, hc *http.Client) error {
	if hc == nil {
		hc = &http.Client{Timeout: oidcTimeout}
	}
	ctx, cancel := context.WithTimeout(ctx, oidcTimeout)
	defer cancel()
	o, err := people.NewOIDC(oidc.ClientContext(ctx, hc), cfg, s.Clock)
	if err != nil {
		return err
	}
	s.oidc, s.oidcClient = o, hc
	return nil
}
