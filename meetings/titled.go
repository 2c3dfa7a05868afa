package meetings

import (
	"context"
	"fmt"
	"strings"

	"meetingd/internal/people"
)

// Titled lists the occurrences a may see whose title contains text (any
// case), latest first, up to limit: what a filter by meeting name means.
func (s *Service) Titled(ctx context.Context, a people.Actor, text string, limit int) ([]int64, error) {
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(strings.TrimSpace(text))) + "%"
	query, args := `SELECT o.id FROM occurrences o WHERE LOWER(o.title) LIKE ? ESCAPE '\'`, []any{pattern}
	if !a.Operator {
		query += ` AND EXISTS (SELECT 1 FROM attendees t WHERE t.occurrence_id = o.id AND t.person_id = ? AND t.removed = FALSE)`
		args = append(args, a.PersonID)
	}
	var ids []int64
	err := s.DB.SelectContext(ctx, &ids, s.DB.Rebind(query+` ORDER BY o.starts_at DESC, o.id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("occurrences titled %q: %w", text, err)
	}
	return ids, nil
}
