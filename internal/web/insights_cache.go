package web

import (
	"sync"
	"time"
)

// insightsTTL is how long /insights serves numbers it computed: they sum
// weeks of meetings and up to every decision, too much to add up again for
// each of many readers at once, and a minute-old picture of twelve weeks
// is as true as a fresh one. The page says when its numbers are from.
const insightsTTL = 30 * time.Second

// insightsMax bounds the numbers kept: one set per reader and series.
const insightsMax = 1024

// insightsKey is whose numbers they are: a person's own (0 for operators,
// who all see the same), of which series, in which weeks.
type insightsKey struct {
	person, series int64
	from           int64 // the first week's start, Unix seconds
}

// insightNumbers are one computation of the page's numbers: the page
// filled with them, its numbers already rendered (Body), for the page and
// the CSV of every reader of the key until they expire.
type insightNumbers struct {
	page insightsPage
	at   time.Time // when they were computed
}

// insightsEntry is a computation, done or under way: readers who ask for
// the same key meanwhile wait for it instead of repeating it.
type insightsEntry struct {
	done chan struct{}
	n    insightNumbers
	err  error
}

// insightsCache keeps recent numbers. Its zero value is ready to use.
type insightsCache struct {
	mu      sync.Mutex
	entries map[insightsKey]*insightsEntry
}

// get returns the numbers for key computed since now-insightsTTL, or
// computes them once however many readers ask at the same time. A failed
// computation is not kept.
func (c *insightsCache) get(key insightsKey, now time.Time, compute func() (insightNumbers, error)) (insightNumbers, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && !c.fresh(e, now) {
		ok = false
	}
	if !ok {
		e = &insightsEntry{done: make(chan struct{})}
		c.put(key, e, now)
	}
	c.mu.Unlock()
	if ok {
		<-e.done
		return e.n, e.err
	}
	e.n, e.err = compute()
	e.n.at = now
	close(e.done)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.n, e.err
}

// fresh reports whether e is under way or recent enough; c.mu is held.
func (c *insightsCache) fresh(e *insightsEntry, now time.Time) bool {
	select {
	case <-e.done:
		return e.err == nil && now.Sub(e.n.at) < insightsTTL
	default:
		return true
	}
}

// put stores e, first dropping stale entries when the cache is full, and
// everything if that is not enough; c.mu is held.
func (c *insightsCache) put(key insightsKey, e *insightsEntry, now time.Time) {
	if c.entries == nil {
		c.entries = map[insightsKey]*insightsEntry{}
	}
	if len(c.entries) >= insightsMax {
		for k, old := range c.entries {
			if !c.fresh(old, now) {
				delete(c.entries, k)
			}
		}
	}
	if len(c.entries) >= insightsMax {
		clear(c.entries)
	}
	c.entries[key] = e
}
