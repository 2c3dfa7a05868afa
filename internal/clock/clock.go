// Package clock gives domain code its notion of now, so tests and the demo
// can move time instead of waiting for it.
package clock

import (
	"fmt"
	"sync"
	"time"
)

// Clock tells the time. Domain code never calls time.Now directly.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock, in UTC.
type Real struct{}

// Precision is what every clock's time is held to: PostgreSQL keeps
// microseconds, so both databases hold the very values they were given.
const Precision = time.Microsecond

// Now returns the current wall-clock time in UTC.
func (Real) Now() time.Time { return time.Now().UTC().Truncate(Precision) }

// Fake is a clock that only moves when told to. Safe for concurrent use.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a fake clock standing at t.
func NewFake(t time.Time) *Fake { return &Fake{t: t.UTC().Truncate(Precision)} }

// Now returns the fake clock's time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.t = t.UTC().Truncate(Precision)
	f.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new time.
func (f *Fake) Advance(d time.Duration) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d).Truncate(Precision)
	return f.t
}

// Accelerated runs faster than the wall clock by a fixed factor from a
// chosen starting point: the demo uses it to show a week in a minute.
type Accelerated struct {
	origin  time.Time // virtual time at start
	started time.Time // wall time at start
	factor  float64
	wall    func() time.Time
}

// NewAccelerated returns a clock that starts at origin and runs factor times
// faster than real time.
func NewAccelerated(origin time.Time, factor float64) *Accelerated {
	return &Accelerated{origin: origin.UTC(), started: time.Now(), factor: factor, wall: time.Now}
}

// Now returns the accelerated time.
func (a *Accelerated) Now() time.Time {
	elapsed := a.wall().Sub(a.started)
	return a.origin.Add(time.Duration(float64(elapsed) * a.factor)).UTC().Truncate(Precision)
}

// Factor is how many virtual seconds pass per real second.
func (a *Accelerated) Factor() float64 { return a.factor }

// Until is how long to wait, in real time, until c shows t: an
// accelerated clock gets there sooner.
func Until(c Clock, t time.Time) time.Duration {
	d := t.Sub(c.Now())
	if a, ok := c.(*Accelerated); ok {
		return time.Duration(float64(d) / a.factor)
	}
	return d
}

// zones caches LoadLocation, which reads and parses tzdata on every call:
// too slow for a zone looked up once per event of an import or once per
// email sent.
var zones sync.Map // name → zone

type zone struct {
	loc *time.Location
	err error
}

// Zone is time.LoadLocation, remembered. The empty name and "Local" are
// refused: a person's or a meeting's zone is never the server's.
func Zone(name string) (*time.Location, error) {
	if z, ok := zones.Load(name); ok {
		return z.(zone).loc, z.(zone).err
	}
	var z zone
	if name == "" || name == "Local" {
		z.err = fmt.Errorf("%q is not an IANA time zone", name)
	} else {
		z.loc, z.err = time.LoadLocation(name)
	}
	if len(name) <= 64 { // only names that could be real; never an unbounded set
		zones.Store(name, z)
	}
	return z.loc, z.err
}
