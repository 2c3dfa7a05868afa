package meetings

import (
	"context"
	"fmt"
	"time"

	"meetingd/internal/jobs"
)

// Step is one scheduled step, as operators read the schedule: when, what,
// and which meeting it is for.
type Step struct {
	When       time.Time `json:"when"`
	Kind       string    `json:"kind"`
	Subject    string    `json:"subject"`
	Occurrence string    `json:"occurrence,omitempty"`
	Attempts   int       `json:"attempts"`
	LastError  string    `json:"last_error,omitempty"`
}

// Schedule lists the next limit steps due, naming the occurrence each
// meeting step is for.
func (s *Service) Schedule(ctx context.Context, limit int) ([]Step, error) {
	list, err := jobs.Upcoming(ctx, s.DB, limit)
	if err != nil {
		return nil, err
	}
	steps := make([]Step, 0, len(list))
	for _, j := range list {
		st := Step{When: j.RunAt, Kind: j.Kind, Subject: j.Subject, Attempts: j.Attempts, LastError: j.LastError}
		if id, err := jobs.SubjectID(j.Subject, "occurrence:"); err == nil {
			if o, err := getOccurrence(ctx, s.DB, id); err == nil {
				st.Occurrence = fmt.Sprintf("%d (%s, starts %s)", id, o.Title, o.StartsAt.Format(time.RFC3339))
			}
		}
		steps = append(steps, st)
	}
	return steps, nil
}
