package db

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Reads keeps the results of reads by key until the database changes:
// the lists everyone opens all day (the decisions page, its API) are read
// again only after a write, not on every request. A kept result is shared
// by every caller that gets it, so callers must not change it. Only
// databases with a data version keep anything (see Version); on
// PostgreSQL each replica reads through. The zero value is ready to use.
type Reads[T any] struct {
	// Max bounds the results kept (0: 256): past it, the cache starts over.
	// A decision list of 100 rows is some 40 KB: 256 of them, 10 MB.
	Max int

	mu      sync.Mutex
	version int64
	entries map[string]T
}

const defaultMaxReads = 256

// Get is the result of read under key: kept, if the database has not
// changed since it was read, or else read now (and kept). A failed read
// is not kept, nor a read of a version older than the newest seen.
func (c *Reads[T]) Get(ctx context.Context, d *DB, key string, read func() (T, error)) (T, error) {
	v, ok, err := d.Version(ctx)
	if err != nil || !ok {
		return read()
	}
	c.mu.Lock()
	if v > c.version || c.entries == nil {
		c.version, c.entries = v, map[string]T{}
	}
	got, hit := c.entries[key]
	c.mu.Unlock()
	if hit {
		return got, nil
	}
	got, err = read()
	if err != nil {
		return got, err
	}
	c.mu.Lock()
	if c.version == v {
		if len(c.entries) >= cmp.Or(c.Max, defaultMaxReads) {
			clear(c.entries)
		}
		c.entries[key] = got
	}
	c.mu.Unlock()
	return got, nil
}

// Key is a query and its arguments as a Reads key: two keys are equal
// only when the query and every argument are.
func Key(query string, args ...any) string {
	b := make([]byte, 0, len(query)+16*len(args))
	b = append(b, query...)
	for _, a := range args {
		b = append(b, 0)
		switch a := a.(type) {
		case nil:
			b = append(b, 'n')
		case int64:
			b = strconv.AppendInt(append(b, 'i'), a, 10)
		case int:
			b = strconv.AppendInt(append(b, 'i'), int64(a), 10)
		case string:
			b = strconv.AppendQuote(append(b, 's'), a)
		case bool:
			b = strconv.AppendBool(append(b, 'b'), a)
		case time.Time:
			// The offset too: stored times compare as text.
			b = a.AppendFormat(append(b, 't'), time.RFC3339Nano)
		default:
			b = append(b, 'x')
			b = strconv.AppendQuote(b, fmt.Sprintf("%T %#v", a, a))
		}
	}
	return string(b)
}
