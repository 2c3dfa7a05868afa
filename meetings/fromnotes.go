package meetings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
)

// LinkedDecision is a decision open for contributions, as the notes email
// lists it.
type LinkedDecision struct {
	Title    string
	ClosesAt time.Time
}

// NotesHook runs when an occurrence's notes are shared, inside that
// transaction: the decisions package turns proposed decisions in the notes
// into decisions and lists those open for the occurrence.
type NotesHook func(ctx context.Context, q db.Queryer, o Occurrence, organizerID int64, sec Section) ([]LinkedDecision, error)

// NoteKey identifies a line of an occurrence's notes, so sharing the notes
// twice creates what the line asks for once.
func NoteKey(occID int64, kind, line string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(line)))
	return fmt.Sprintf("notes:%d:%s:%s", occID, kind, hex.EncodeToString(sum[:8]))
}

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	dateRE  = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
	bullet  = regexp.MustCompile(`^\s*(?:[-*•]|\d+[.)]|\[[ xX]?\])\s*`)
)

// actionItemsFromNotes creates an action item for each line of the Action
// items heading that names an owner (an email address) and a due date
// (YYYY-MM-DD, due at the end of the owner's working day). Lines missing
// either are returned, so the notes email can say they are not tracked.
func (s *Service) actionItemsFromNotes(ctx context.Context, q db.Queryer, now time.Time, o Occurrence, sec Section) ([]string, error) {
	var untracked []string
	for _, line := range strings.Split(sec.ActionItems, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == s.placeholder("action_items") {
			continue
		}
		email, date := emailRE.FindString(line), dateRE.FindString(line)
		if email == "" || date == "" {
			untracked = append(untracked, line)
			continue
		}
		owner, err := EnsurePerson(ctx, q, email, "", o.TimeZone, now)
		if err != nil {
			return nil, err
		}
		day, err := time.ParseInLocation("2006-01-02", date, owner.location())
		if err != nil {
			untracked = append(untracked, line)
			continue
		}
		due := day.Add(time.Duration(owner.WorkEnd) * time.Minute)
		text := strings.TrimSpace(bullet.ReplaceAllString(line, ""))
		var ids []int64
		err = q.SelectContext(ctx, &ids, q.Rebind(`INSERT INTO action_items (occurrence_id, owner_id, text, due_at, created_at, source_key)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING RETURNING id`),
			o.ID, owner.ID, text, due.UTC(), now, NoteKey(o.ID, "action", line))
		if err != nil {
			return nil, fmt.Errorf("action item from notes: %w", err)
		}
		for _, id := range ids {
			if err := jobs.Schedule(ctx, q, now, JobActionItemDue, fmt.Sprintf("action:%d", id), due.Add(-ActionReminderLead)); err != nil {
				return nil, err
			}
		}
	}
	return untracked, nil
}
