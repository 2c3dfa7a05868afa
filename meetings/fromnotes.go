package meetings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"meetingd/decisions"
	"meetingd/internal/db"
	"meetingd/internal/jobs"
	"meetingd/internal/people"
)

// When an occurrence's notes are shared, the lines people wrote under two
// headings act: an action item line that names an owner and a due date
// becomes an action item, and a "DECISION: …" line under Decisions opens a
// decision. Each line acts once, however often the notes are shared.

// noteKey identifies a line of an occurrence's notes.
func noteKey(occID int64, kind, line string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(line)))
	return fmt.Sprintf("notes:%d:%s:%s", occID, kind, hex.EncodeToString(sum[:8]))
}

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	dateRE  = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
	bullet  = regexp.MustCompile(`^\s*(?:[-*•]|\d+[.)]|\[[ xX]?\])\s*`)
	// proposedRE finds a proposed decision: "DECISION: <what>", as a list
	// item or not.
	proposedRE = regexp.MustCompile(`(?i)^\s*(?:[-*•]\s*)?decision:\s*(.+)$`)
)

// actionLines are the lines of an Action items heading that name an owner
// (an email address) and a due date (YYYY-MM-DD), as tracked, and the rest,
// which the notes email says are not tracked.
func (s *Service) actionLines(sec Section) (tracked []actionLine, untracked []string) {
	for _, line := range strings.Split(sec.ActionItems, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == s.placeholder("action_items") {
			continue
		}
		email, date := emailRE.FindString(line), dateRE.FindString(line)
		day, err := time.Parse("2006-01-02", date)
		if email == "" || err != nil {
			untracked = append(untracked, line)
			continue
		}
		tracked = append(tracked, actionLine{line: line, owner: email, day: day})
	}
	return tracked, untracked
}

// actionText is what an action item line asks for, without its owner and
// due date, which the item holds apart (and every list shows beside it):
// "- Draft the plan — ben@example.com — 2026-12-01" is "Draft the plan".
func actionText(line string) string {
	text := bullet.ReplaceAllString(line, "")
	text = emailRE.ReplaceAllString(text, "")
	text = dateRE.ReplaceAllString(text, "")
	text = leftoverSeps.ReplaceAllString(text, " ")
	text = strings.Trim(text, " \t—–-,;:()[]")
	if text == "" {
		return strings.TrimSpace(bullet.ReplaceAllString(line, ""))
	}
	return text
}

// leftoverSeps are the separators an owner or date leaves behind.
var leftoverSeps = regexp.MustCompile(`\s*(?:[—–,;]|\s-)\s*(?:[—–,;]|-\s)?\s*(?:by|due|owner:?)?\s*$|\s{2,}`)

type actionLine struct {
	line, owner string
	day         time.Time
}

// actionItemsFromNotes creates an action item for each tracked line of the
// Action items heading, due at the end of its owner's working day.
func (s *Service) actionItemsFromNotes(ctx context.Context, q db.Queryer, now time.Time, o Occurrence, sec Section) error {
	tracked, _ := s.actionLines(sec)
	for _, a := range tracked {
		line, day := a.line, a.day
		owner, err := people.Ensure(ctx, q, a.owner, "", "", now)
		if err != nil {
			return err
		}
		due := owner.EndOfWorkday(day)
		text := actionText(line)
		var ids []int64
		err = q.SelectContext(ctx, &ids, q.Rebind(`INSERT INTO action_items (occurrence_id, owner_id, text, due_at, created_at, source_key)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING RETURNING id`),
			o.ID, owner.ID, text, due.UTC(), now, noteKey(o.ID, "action", line))
		if err != nil {
			return fmt.Errorf("action item from notes: %w", err)
		}
		for _, id := range ids {
			if err := jobs.Schedule(ctx, q, now, JobActionItemDue, jobs.Subject("action:", id), due.Add(-ActionReminderLead)); err != nil {
				return err
			}
		}
	}
	return nil
}

// actOnLines opens the decisions and action items the notes' lines propose:
// when the notes are shared (announced: the notes email carries them), and
// at once for lines written after the meeting ended, which must not wait for
// a share that has gone. Each line acts once (its key), however often.
func (s *Service) actOnLines(ctx context.Context, q db.Queryer, now time.Time, o Occurrence, announced bool) error {
	sec, err := getSection(ctx, q, o.ID)
	if err != nil {
		return err
	}
	if err := s.actionItemsFromNotes(ctx, q, now, o, sec); err != nil {
		return err
	}
	ser, err := getSeries(ctx, q, o.SeriesID)
	if err != nil {
		return err
	}
	return s.decisionsFromNotes(ctx, q, now, o, ser.OrganizerID, sec, announced)
}

// decisionsFromNotes opens each decision the Decisions heading proposes,
// owned by the organizer with every attendee invited.
func (s *Service) decisionsFromNotes(ctx context.Context, q db.Queryer, now time.Time, o Occurrence, organizerID int64, sec Section, announced bool) error {
	var proposals []decisions.Proposal
	for _, line := range strings.Split(sec.Decisions, "\n") {
		m := proposedRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		what := strings.TrimSpace(m[1])
		title := what
		if len(title) > 300 {
			title = title[:300]
		}
		proposals = append(proposals, decisions.Proposal{Title: title, Key: noteKey(o.ID, "decision", line),
			Proposal: fmt.Sprintf("%s\n\nProposed in the notes of %q (%s).", what, o.Title, o.StartsAt.Format("2006-01-02"))})
	}
	if len(proposals) == 0 {
		return nil
	}
	invite, err := attendeeIDs(ctx, q, o.ID)
	if err != nil {
		return err
	}
	from := decisions.Origin{OccurrenceID: o.ID, Attendees: invite, Announced: announced}
	return s.Decisions.OpenProposals(ctx, q, now, from, organizerID, proposals)
}

// LinkedDecision is a decision open for contributions, as the notes email
// lists it.
type LinkedDecision struct {
	Title    string
	ClosesAt time.Time
	// The reader's signed links (mail slots, filled per recipient): the
	// decision's page, and support and object preselected.
	URL, SupportURL, ObjectURL string
	decision                   decisions.Decision
}
