package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
	"meetingd/internal/input"
	"meetingd/internal/people"
)

// sectionFields are a section's headings, in the order the doc shows them.
var sectionFields = []string{"pre_read", "agenda", "notes", "decisions", "action_items"}

// MaxSectionText bounds one heading's text.
const MaxSectionText = 64 << 10

// placeholder is the template's text under a heading of a new section.
func (s *Service) placeholder(field string) string {
	s.placeholdersOnce.Do(func() {
		s.placeholders = map[string]string{}
		for _, f := range sectionFields {
			s.placeholders[f] = s.renderPlaceholder(f)
		}
	})
	return s.placeholders[field]
}

func (s *Service) renderPlaceholder(field string) string {
	t, err := s.Templates.Text("section."+field, nil)
	if err != nil {
		s.Log.Error("notes placeholder", "field", field, "err", err)
		return ""
	}
	return strings.TrimSpace(t)
}

// addDocs gives series their notes docs (kept when they have one), a few
// hundred to a statement.
func (s *Service) addDocs(ctx context.Context, tx db.Queryer, seriesIDs []int64, now time.Time) error {
	return chunks(len(seriesIDs), func(start, end int) error {
		args := make([]any, 0, 3*(end-start))
		for _, id := range seriesIDs[start:end] {
			args = append(args, id, fmt.Sprintf("%s/notes/%d", s.baseURL(), id), now)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notes_docs (series_id, kind, url, created_at)
			VALUES `+values(end-start, "(?, 'local', ?, ?)")+` ON CONFLICT (series_id) DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("notes docs for %d series: %w", end-start, err)
		}
		return nil
	})
}

// addSections gives new occurrences their dated sections, from the
// template, a few hundred to a statement.
func (s *Service) addSections(ctx context.Context, tx db.Queryer, occIDs []int64, now time.Time) error {
	return chunks(len(occIDs), func(start, end int) error {
		args := make([]any, 0, 7*(end-start))
		for _, id := range occIDs[start:end] {
			args = append(args, id, s.placeholder("pre_read"), s.placeholder("agenda"), s.placeholder("notes"),
				s.placeholder("decisions"), s.placeholder("action_items"), now)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notes_sections (occurrence_id, pre_read, agenda, notes, decisions, action_items, updated_at)
			VALUES `+values(end-start, "(?, ?, ?, ?, ?, ?, ?)")+` ON CONFLICT (occurrence_id) DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("notes sections for %d occurrences: %w", end-start, err)
		}
		return nil
	})
}

// SectionPatch changes some headings of a section; nil ones stay.
type SectionPatch struct {
	PreRead     *string `json:"pre_read"`
	Agenda      *string `json:"agenda"`
	Notes       *string `json:"notes"`
	Decisions   *string `json:"decisions"`
	ActionItems *string `json:"action_items"`
}

func (p SectionPatch) fields() map[string]*string {
	return map[string]*string{"pre_read": p.PreRead, "agenda": p.Agenda, "notes": p.Notes,
		"decisions": p.Decisions, "action_items": p.ActionItems}
}

// UpdateSection edits an occurrence's section of the notes doc. Anyone
// invited may edit, as in a shared document. A Pre-read section that now
// holds more than the placeholder makes the pre-read ready, as publishing
// does.
func (s *Service) UpdateSection(ctx context.Context, a people.Actor, occID int64, p SectionPatch) (Section, error) {
	var out Section
	err := db.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		now := s.Clock.Now()
		o, err := getOccurrence(ctx, tx, occID)
		if err != nil {
			return err
		}
		if _, err := canSee(ctx, tx, a, o); err != nil {
			return err
		}
		for _, f := range sectionFields {
			v := p.fields()[f]
			if v == nil {
				continue
			}
			text, err := input.Text(f, *v, MaxSectionText)
			if err != nil {
				return err
			}
			if err := setSection(ctx, tx, now, occID, f, text); err != nil {
				return err
			}
		}
		if err := emitChanged(ctx, tx, now, occID); err != nil {
			return err
		}
		if (p.Decisions != nil || p.ActionItems != nil) && !o.Cancelled && !now.Before(o.EndsAt) {
			if err := s.actOnLines(ctx, tx, now, o, false); err != nil {
				return err
			}
		}
		if p.PreRead != nil && s.hasPreRead(*p.PreRead) &&
			(o.PreReadState == PreReadPending || o.PreReadState == PreReadMissing) && now.Before(o.StartsAt) {
			by := a.PersonID
			if err := s.publish(ctx, tx, now, o, &by); err != nil {
				return err
			}
		}
		out, err = getSection(ctx, tx, occID)
		return err
	})
	if err != nil {
		return Section{}, err
	}
	s.wake()
	return out, nil
}

// setSection writes one heading; field is one of sectionFields.
func setSection(ctx context.Context, tx *sqlx.Tx, now time.Time, occID int64, field, text string) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notes_sections SET `+field+` = ?, updated_at = ? WHERE occurrence_id = ?`),
		strings.ReplaceAll(text, "\r\n", "\n"), now, occID)
	if err != nil {
		return fmt.Errorf("update %s of occurrence %d: %w", field, occID, err)
	}
	return nil
}
