package web

import (
	"meetingd/internal/db"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// logRequests logs and measures every request. Latency is wall time, not
// the service clock: it is about the machine, not the lifecycle.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		if s.WriteWait > 0 {
			r = r.WithContext(db.WaitAtMost(r.Context(), s.WriteWait))
		}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		s.Metrics.ObserveHTTP(r.Method, route(r.URL.Path, rec.status), rec.status, d)
		s.Log.InfoContext(r.Context(), "http", "method", r.Method, "path", logPath(r), "status", rec.status, "duration", d)
	})
}

// logPath is the request's path as logs may show it: never the query
// string (it carries signed tokens), and never a feed's secret.
func logPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/feed/") {
		return "/feed/…"
	}
	return r.URL.Path
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

var idSegment = regexp.MustCompile(`^[0-9]+$|^[0-9a-f]{24,}(\.ics)?$`)

// route is the path with ids and secrets replaced, so the metrics' route
// label has a bounded number of values; paths that matched nothing share one.
func route(path string, code int) string {
	if code == http.StatusNotFound {
		return "unmatched"
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 6 {
		parts = parts[:6]
	}
	for i, p := range parts {
		if idSegment.MatchString(p) {
			parts[i] = "{id}"
		}
	}
	return "/" + strings.Join(parts, "/")
}
