package web

import (
	"net/http"
	"runtime"
	"strings"
	"time"

	"meetingd/internal/errs"
)

// inFlightPerCPU bounds the requests worked on at once, per CPU.
const inFlightPerCPU = 8

// admit lets a bounded number of requests work at once; the rest wait for
// a turn here, blocked and costing nothing. Without it, hundreds of busy
// clients each hold a runnable goroutine, and the scheduler's runners wait
// behind all of them at every step (every SMTP reply, every read): under
// 200 clients, email went out at a few a second; with 16 at work, about
// as fast as with none (measured with cmd/meetingd-load clients). A request that waits
// longer than WriteWait for its turn is answered 503, to try again.
// Probes skip the line, so an operator can see a busy server.
func (s *Server) admit(next http.Handler) http.Handler {
	n := s.MaxInFlight
	if n <= 0 {
		n = inFlightPerCPU * runtime.GOMAXPROCS(0)
	}
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			if !s.wait(r, slots) {
				s.busy(w, r)
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// wait waits for a slot until WriteWait passes or the client goes away.
func (s *Server) wait(r *http.Request, slots chan struct{}) bool {
	wait := s.WriteWait
	if wait <= 0 {
		wait = time.Minute
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return true
	case <-t.C:
	case <-r.Context().Done():
	}
	return false
}

var errBusy = errs.Errorf(errs.Unavailable, "meetingd is busy; try again in a moment")

func (s *Server) busy(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.apiError(w, r, errBusy)
		return
	}
	s.pageError(w, r, errBusy)
}
