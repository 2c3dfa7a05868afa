package decisions

import (
	"context"
	"fmt"

	"meetingd/internal/db"
	"meetingd/internal/people"
)

// A decision page should say in a second where everyone stands: who
// supports, who objects, who only commented, and who has said nothing yet,
// by name.

// Standing is one invitee as the summary lists them.
type Standing struct {
	Name  string `json:"name"` // display name, else the address
	Email string `json:"email"`
}

// Summary is where the invitees (the owner aside) stand.
type Summary struct {
	Support []Standing `json:"support"`
	Object  []Standing `json:"object"`  // open objections
	Comment []Standing `json:"comment"` // commented, with no position
	NotYet  []Standing `json:"not_yet"`
	Total   int        `json:"total"`
}

// Said is how many have said something.
func (s Summary) Said() int { return s.Total - len(s.NotYet) }

// summary reads where d's invitees stand.
func summary(ctx context.Context, q db.Queryer, d Decision, positions []Contribution) (Summary, error) {
	var ids, commenters []int64
	if err := q.SelectContext(ctx, &ids, q.Rebind(`SELECT person_id FROM decision_invitees WHERE decision_id = ? AND person_id <> ? ORDER BY person_id`),
		d.ID, d.OwnerID); err != nil {
		return Summary{}, fmt.Errorf("invitees of decision %d: %w", d.ID, err)
	}
	if err := q.SelectContext(ctx, &commenters, q.Rebind(`SELECT DISTINCT author_id FROM contributions
		WHERE decision_id = ? AND kind = 'comment'`), d.ID); err != nil {
		return Summary{}, fmt.Errorf("commenters on decision %d: %w", d.ID, err)
	}
	ps, err := people.ByIDs(ctx, q, ids)
	if err != nil {
		return Summary{}, err
	}
	stand := map[int64]string{}
	for _, c := range commenters {
		stand[c] = Comment
	}
	for _, c := range positions {
		if c.Kind == Support || c.ObjectionState == ObjectionOpen {
			stand[c.AuthorID] = c.Kind
		}
	}
	out := Summary{Support: []Standing{}, Object: []Standing{}, Comment: []Standing{}, NotYet: []Standing{}, Total: len(ids)}
	for _, id := range ids {
		p := ps[id]
		st := Standing{Name: p.Display(), Email: p.Email}
		switch stand[id] {
		case Support:
			out.Support = append(out.Support, st)
		case Object:
			out.Object = append(out.Object, st)
		case Comment:
			out.Comment = append(out.Comment, st)
		default:
			out.NotYet = append(out.NotYet, st)
		}
	}
	return out, nil
}
