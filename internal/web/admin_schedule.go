package web

import (
	"net/http"

	"meetingd/meetings"
)

// scheduleLength is how many of the steps due next the page shows.
const scheduleLength = 100

type schedulePage struct {
	Base
	Steps []meetings.Step
}

// schedulePage lists the steps due next (reminders, pre-read deadlines,
// closes, syncs, emails), soonest first: what meetingd will do and when.
func (s *Server) schedulePage(w http.ResponseWriter, r *http.Request) {
	steps, err := s.Meetings.Schedule(r.Context(), scheduleLength)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin.schedule", schedulePage{Base: s.baseFor(r, "Schedule"), Steps: steps})
}
