package meetings

// Attendee roles.
const (
	RoleOrganizer = "organizer"
	RoleSpeaker   = "speaker"
	RoleRequired  = "required"
	RoleOptional  = "optional"
)

// RSVP answers, as calendars report them.
const (
	RSVPNeedsAction = "needs_action"
	RSVPAccepted    = "accepted"
	RSVPDeclined    = "declined"
	RSVPTentative   = "tentative"
)

// Attendance records, per attendee and occurrence.
const (
	AttendanceUnknown = ""
	Present           = "present"
	Absent            = "absent"
	Async             = "async" // contributed without attending
)

// Pre-read states.
const (
	PreReadPending = "pending"
	PreReadReady   = "ready"   // published on time
	PreReadLate    = "late"    // published after the deadline, before start
	PreReadMissing = "missing" // none at the deadline (and, unless published late, at start)
)

func validRole(r string) bool {
	return r == RoleOrganizer || r == RoleSpeaker || r == RoleRequired || r == RoleOptional
}

func validRSVP(r string) bool {
	return r == RSVPNeedsAction || r == RSVPAccepted || r == RSVPDeclined || r == RSVPTentative
}

func validAttendance(a string) bool {
	return a == Present || a == Absent || a == Async
}
