package decisions

import (
	"context"
	"time"

	"meetingd/internal/db"
)

// Proposal is a decision proposed in a meeting's notes.
type Proposal struct {
	Title, Proposal string
	// Key identifies the line that proposed it, so sharing the notes again
	// opens nothing twice.
	Key string
}

// OpenProposals opens each proposal not opened before, owned by ownerID
// (the organizer) with the default window, inside the caller's transaction.
func (s *Service) OpenProposals(ctx context.Context, q db.Queryer, now time.Time, from Origin, ownerID int64, ps []Proposal) error {
	for _, p := range ps {
		in := Input{Title: p.Title, Proposal: p.Proposal}
		if _, err := s.create(ctx, q, now, ownerID, in, &from, s.Cfg.Window, p.Key); err != nil {
			return err
		}
	}
	return nil
}
