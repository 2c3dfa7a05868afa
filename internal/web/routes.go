package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"meetingd/calendar/google"
)

// routes is the route table: every path meetingd serves, and what guards it.
func (s *Server) routes() http.Handler {
	// The JSON API, behind an API token or a session (with its CSRF header).
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/occurrences", s.listOccurrences)
	api.HandleFunc("GET /api/v1/occurrences/{id}", s.getOccurrence)
	api.HandleFunc("POST /api/v1/occurrences/{id}/publish", s.publish)
	api.HandleFunc("PATCH /api/v1/occurrences/{id}/notes", s.editNotes)
	api.HandleFunc("PUT /api/v1/occurrences/{id}/attendance", s.recordAttendance)
	api.HandleFunc("PUT /api/v1/occurrences/{id}/recording", s.setRecording)
	api.HandleFunc("POST /api/v1/occurrences/{id}/action-items", s.addActionItem)
	api.HandleFunc("GET /api/v1/action-items", s.myActionItems)
	api.HandleFunc("PATCH /api/v1/action-items/{id}", s.markActionItem)
	api.HandleFunc("GET /api/v1/me", s.me)
	api.HandleFunc("PATCH /api/v1/me", s.updateMe)
	api.HandleFunc("GET /api/v1/me/feed", s.feedURL)
	api.HandleFunc("POST /api/v1/me/feed/rotate", s.rotateFeed)
	api.HandleFunc("POST /api/v1/events", s.createEvent)
	api.HandleFunc("GET /api/v1/events/{uid}", s.getEvent)
	api.HandleFunc("PUT /api/v1/events/{uid}", s.updateEvent)
	api.HandleFunc("DELETE /api/v1/events/{uid}", s.cancelEvent)
	api.HandleFunc("POST /api/v1/import", s.importICS)
	api.HandleFunc("GET /api/v1/imports/{id}", s.operatorsOnly(s.importStatus))
	api.HandleFunc("POST /api/v1/decisions", s.createDecision)
	api.HandleFunc("GET /api/v1/decisions", s.listDecisions)
	api.HandleFunc("GET /api/v1/decisions/needs-input", s.needsInput)
	api.HandleFunc("GET /api/v1/decisions/closed", s.recentlyClosed)
	api.HandleFunc("GET /api/v1/decisions/{id}", s.getDecision)
	api.HandleFunc("GET /api/v1/decisions/{id}/comments", s.decisionComments)
	api.HandleFunc("POST /api/v1/decisions/{id}/contributions", s.contribute)
	api.HandleFunc("PATCH /api/v1/decisions/{id}/contributions/{cid}", s.editContribution)
	api.HandleFunc("POST /api/v1/decisions/{id}/contributions/{cid}/withdraw", s.withdrawObjection)
	api.HandleFunc("POST /api/v1/decisions/{id}/contributions/{cid}/resolve", s.resolveObjection)
	api.HandleFunc("POST /api/v1/decisions/{id}/outcome", s.recordOutcome)
	api.HandleFunc("POST /api/v1/decisions/{id}/withdraw", s.withdrawDecision)
	api.HandleFunc("GET /api/v1/schedule", s.operatorsOnly(s.schedule))
	api.HandleFunc("GET /api/v1/outbox", s.outbox)
	if s.Google != nil {
		api.HandleFunc("POST /api/v1/google/connect", s.operatorsOnly(s.googleConnect))
		api.HandleFunc("GET /api/v1/google/calendars", s.operatorsOnly(s.googleCalendars))
		api.HandleFunc("POST /api/v1/google/calendars/{calendar}/resume", s.operatorsOnly(s.googleResume))
	}
	api.HandleFunc("/api/", s.noRoute)

	// The dashboard, behind a session; every form carries its CSRF token.
	dash := http.NewServeMux()
	dash.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/decisions", http.StatusSeeOther)
	})
	dash.HandleFunc("GET /decisions", s.decisionsPage)
	dash.HandleFunc("GET /decisions/{id}", s.decisionPage)
	dash.HandleFunc("POST /decisions/{id}", s.decisionForm)
	dash.HandleFunc("GET /meetings", s.meetingsPage)
	dash.HandleFunc("GET /meetings/{id}", s.meetingPage)
	dash.HandleFunc("POST /meetings/{id}/attendance", s.attendanceForm)
	dash.HandleFunc("POST /meetings/{id}/publish", s.publishForm)
	dash.HandleFunc("POST /meetings/{id}/async", s.asyncForm)
	dash.HandleFunc("POST /action-items/{id}", s.actionItemForm)
	// Creating and changing from the browser: built-in meetings, decisions,
	// invitees and action items.
	dash.HandleFunc("GET /meetings/new", s.newMeetingPage)
	dash.HandleFunc("POST /meetings/new", s.createMeetingForm)
	dash.HandleFunc("GET /meetings/{id}/edit", s.editMeetingPage)
	dash.HandleFunc("POST /meetings/{id}/edit", s.editMeetingForm)
	dash.HandleFunc("POST /meetings/{id}/cancel", s.cancelMeetingForm)
	dash.HandleFunc("POST /meetings/{id}/action-items", s.addActionItemForm)
	dash.HandleFunc("GET /decisions/new", s.newDecisionPage)
	dash.HandleFunc("POST /decisions/new", s.createDecisionForm)
	dash.HandleFunc("POST /decisions/{id}/invitees", s.inviteesForm)
	dash.HandleFunc("GET /me", s.myWorkPage)
	dash.HandleFunc("GET /outbox", s.outboxPage)
	dash.HandleFunc("GET /insights", s.insightsPage)
	dash.HandleFunc("GET /insights.csv", s.insightsCSV)
	dash.HandleFunc("GET /settings", s.settingsPage)
	dash.HandleFunc("POST /settings", s.settingsForm)
	dash.HandleFunc("POST /settings/feed", s.rotateFeedForm)
	dash.HandleFunc("POST /signout", s.signOut) // behind the session's CSRF check
	s.adminRoutes(dash)                         // operators' pages under /admin (admin.go)
	if s.Subscriptions != nil && s.CalDAV != nil {
		// Operators' polled calendars: API routes and the Calendars page.
		(&Calendars{Server: s, Subscriptions: s.Subscriptions, CalDAV: s.CalDAV}).Routes(api, dash)
	}

	// Public: pages signed links open (the link's token says who reads),
	// sign-in, feeds (a secret address), Google's calls, and probes.
	pub := http.NewServeMux()
	pub.HandleFunc("GET /notes/{series}", s.notesDoc)
	pub.HandleFunc("POST /notes/{series}/occurrences/{id}", s.notesForm)
	pub.HandleFunc("GET /publish", s.publishLinkPage)
	pub.HandleFunc("POST /publish", s.publishLinkForm)
	pub.HandleFunc("GET /async", s.asyncLinkPage)
	pub.HandleFunc("POST /async", s.asyncLinkForm)
	pub.HandleFunc("GET /decide", s.decidePage)
	pub.HandleFunc("POST /decide", s.decideForm)
	pub.HandleFunc("GET /signin", s.signInPage)
	pub.HandleFunc("POST /signin", s.signInRequest)
	pub.HandleFunc("GET /signin/link", s.signInLink)
	pub.HandleFunc("POST /signin/link", s.signInConfirm)
	if s.oidc != nil {
		pub.HandleFunc("GET /signin/google", s.googleSignIn)
		pub.HandleFunc("GET /signin/google/callback", s.googleSignInCallback)
	}
	pub.HandleFunc("GET /feed/{token}", s.feed)
	if s.Google != nil {
		pub.HandleFunc("POST "+google.NotifyPath, s.googleNotify)
		pub.HandleFunc("GET "+google.CallbackPath, s.googleConsent)
	}
	pub.HandleFunc("GET /healthz", s.health)
	pub.Handle("GET /metrics", s.metricsGuard(promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{})))
	pub.HandleFunc("GET /static/meetingd.css", s.style)
	pub.HandleFunc("GET /static/settings.js", s.serveSettingsScript)
	pub.Handle("/api/", s.api(api))
	pub.Handle("/", s.pages(dash))
	return s.logRequests(s.secureHeaders(s.admit(pub)))
}
