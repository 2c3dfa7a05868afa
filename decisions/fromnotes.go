package decisions

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"meetingd/internal/db"
	"meetingd/meetings"
)

// proposedRE finds the lines of a Decisions heading an organizer marks as
// proposed decisions: "DECISION: <what>", as a list item or not.
var proposedRE = regexp.MustCompile(`(?i)^\s*(?:[-*•]\s*)?decision:\s*(.+)$`)

// FromNotes is the meetings.NotesHook: when an occurrence's notes are
// shared, each proposed decision in its Decisions heading opens (once),
// owned by the organizer, with the occurrence's attendees invited. It
// returns the occurrence's decisions still open, for the notes email.
func (s *Service) FromNotes(ctx context.Context, q db.Queryer, o meetings.Occurrence, organizerID int64, sec meetings.Section) ([]meetings.LinkedDecision, error) {
	now := s.Clock.Now()
	for _, line := range strings.Split(sec.Decisions, "\n") {
		m := proposedRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		title := strings.TrimSpace(m[1])
		if len(title) > 300 {
			title = title[:300]
		}
		in := Input{Title: title, OccurrenceID: &o.ID,
			Proposal: fmt.Sprintf("%s\n\nProposed in the notes of %q (%s).", strings.TrimSpace(m[1]), o.Title, o.StartsAt.Format("2006-01-02"))}
		if _, err := s.create(ctx, q, now, organizerID, in, s.Cfg.Window, meetings.NoteKey(o.ID, "decision", line)); err != nil {
			return nil, err
		}
	}
	var open []Decision
	err := q.SelectContext(ctx, &open, q.Rebind(`SELECT `+decisionColumns+decisionFrom+`WHERE d.occurrence_id = ? AND d.state = 'open'
		ORDER BY d.closes_at, d.id`), o.ID)
	if err != nil {
		return nil, fmt.Errorf("open decisions of occurrence %d: %w", o.ID, err)
	}
	out := make([]meetings.LinkedDecision, 0, len(open))
	for _, d := range open {
		out = append(out, meetings.LinkedDecision{Title: d.Title, ClosesAt: d.ClosesAt})
	}
	return out, nil
}
