package people

import (
	"context"
	"sync"
	"time"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/secret"
)

// CredentialTTL is how long a looked-up session or API token is trusted
// without asking the database again: a sign-out elsewhere (another
// replica) takes effect within it; in the process that handled it, at once.
const CredentialTTL = time.Second

// Credentials caches session and token lookups for CredentialTTL: every
// API call and page would otherwise cost a query and a hash before any
// work. Safe for concurrent use.
type Credentials struct {
	DB    *db.DB
	Clock clock.Clock

	mu      sync.Mutex
	entries map[string]credential // by kind and secret's hash
}

type credential struct {
	session Session
	ok      bool
	until   time.Time
}

// maxCredentials bounds the cache: past it, it starts over.
const maxCredentials = 10_000

// Session is LookupSession, cached.
func (c *Credentials) Session(ctx context.Context, value string) (Session, bool, error) {
	if value == "" {
		return Session{}, false, nil
	}
	return c.cached(ctx, "s:"+secret.Hash(value), func(now time.Time) (Session, bool, error) {
		return LookupSession(ctx, c.DB, value, now)
	})
}

// Token is ByToken, cached; an unknown token is a NotFound-free miss
// (ok false), which callers answer 401.
func (c *Credentials) Token(ctx context.Context, token string) (Person, bool, error) {
	s, ok, err := c.cached(ctx, "t:"+secret.Hash(token), func(time.Time) (Session, bool, error) {
		p, err := ByToken(ctx, c.DB, token)
		if err != nil {
			return Session{}, false, err
		}
		return Session{Person: p}, true, nil
	})
	return s.Person, ok, err
}

// Forget drops a session at once, in this process: it was signed out.
func (c *Credentials) Forget(value string) {
	c.mu.Lock()
	delete(c.entries, "s:"+secret.Hash(value))
	c.mu.Unlock()
}

func (c *Credentials) cached(ctx context.Context, key string, look func(time.Time) (Session, bool, error)) (Session, bool, error) {
	now := c.Clock.Now()
	c.mu.Lock()
	e, hit := c.entries[key]
	c.mu.Unlock()
	if hit && now.Before(e.until) {
		return e.session, e.ok, nil
	}
	s, ok, err := look(now)
	if err != nil {
		return Session{}, false, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCredentials {
		c.entries = map[string]credential{}
	}
	c.entries[key] = credential{session: s, ok: ok, until: now.Add(CredentialTTL)}
	c.mu.Unlock()
	return s, ok, nil
}
