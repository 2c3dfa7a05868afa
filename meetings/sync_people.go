package meetings

import (
	"context"

	"meetingd/internal/input"
	"meetingd/internal/people"
)

// syncPeople is whom a StagedSync's committed transactions stored. A
// large calendar names the same few hundred people in every one of its
// transactions; upserting them each time rewrote their rows (and their
// pages in the log) for nothing. people.EnsureAll changes a stored person
// only to give a name to one who has none, so a person stored with a name
// need not be ensured again, and one stored without needs it only when a
// name comes.
type syncPeople struct {
	known map[string]personSeen // by normalized address
}

// personSeen is a person a sync stored: their id, and whether their
// stored name is known not to be empty.
type personSeen struct {
	id    int64
	named bool
}

func newSyncPeople() *syncPeople { return &syncPeople{known: map[string]personSeen{}} }

// commit adds whom a transaction that committed stored.
func (p *syncPeople) commit(met map[string]personSeen) {
	for email, seen := range met {
		p.known[email] = seen
	}
}

// ensurePeople stores, as people.EnsureAll does, those of cs that this
// sync has not stored yet or whose name it may now give; the others are
// stored already.
func (w *syncTx) ensurePeople(ctx context.Context, cs []people.Contact) error {
	var need []people.Contact
	for _, c := range cs {
		seen, ok := w.person(people.NormalizeEmail(c.Email))
		if ok && (seen.named || input.CleanLine(c.Name, input.MaxName) == "") {
			continue
		}
		need = append(need, c)
	}
	if len(need) == 0 {
		return nil
	}
	ids, err := people.EnsureAll(ctx, w.q, need, w.now)
	if err != nil {
		return err
	}
	for _, c := range need {
		email := people.NormalizeEmail(c.Email)
		seen, _ := w.person(email)
		seen.id = ids[email]
		seen.named = seen.named || input.CleanLine(c.Name, input.MaxName) != ""
		w.met[email] = seen
	}
	return nil
}

// person is whom this transaction or an earlier one stored at email.
func (w *syncTx) person(email string) (personSeen, bool) {
	if seen, ok := w.met[email]; ok {
		return seen, true
	}
	seen, ok := w.people.known[email]
	return seen, ok
}

// personID is the id of the person at email, a normalized address.
func (w *syncTx) personID(email string) int64 {
	seen, _ := w.person(email)
	return seen.id
}
