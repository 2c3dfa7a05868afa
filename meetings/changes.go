package meetings

import (
	"context"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
)

// EventOccurrenceChanged says meetingd changed an occurrence in a way a
// calendar that keeps its notes elsewhere mirrors: its pre-read was
// published, its section, attendance, recordings or action items edited.
// It is emitted in the transaction that made the change; a calendar source
// subscribes (Google writes the change into the occurrence's Google Doc).
// Changes that come from a calendar's own sync are not emitted: that
// calendar knows of them already.
const EventOccurrenceChanged = "meetings.occurrence_changed"

// changedPrefix is the subject prefix of EventOccurrenceChanged: not
// "occurrence:", whose pending jobs are cancelled with the occurrence.
const changedPrefix = "changed-occurrence:"

// emitChanged is jobs.Emit, but a change made at the very instant of one
// already delivered (a coarse clock, a fake one) is delivered too: Rearm
// arms the event row a microsecond earlier where Emit would leave it done,
// and leaves one still waiting to run alone (it will see both changes).
func emitChanged(ctx context.Context, q db.Queryer, now time.Time, occID int64) error {
	return jobs.Rearm(ctx, q, now, jobs.Steps, eventKind, jobs.Subject(changedPrefix, occID))
}

// eventKind is the job kind jobs.Emit gives EventOccurrenceChanged.
const eventKind = "event:" + EventOccurrenceChanged

// ChangedOccurrence is the occurrence an EventOccurrenceChanged job is about.
func ChangedOccurrence(j jobs.Job) (int64, error) { return jobs.SubjectID(j.Subject, changedPrefix) }
