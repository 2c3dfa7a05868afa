package google

import (
	"time"

	"golang.org/x/oauth2"
)

// What the tests, in package google_test, read of the package's insides.

type DocRow = docRow

func (r Retry) Wait(err error, n int, now time.Time) (time.Duration, bool) {
	return r.wait(err, n, now)
}

func (g *Source) Unseal(calID int64, sealed string) (*oauth2.Token, error) {
	return g.unseal(calID, sealed)
}

func (g *Source) OccurrenceLink(occID int64) string { return g.occurrenceLink(occID) }

var (
	ChannelSubject = channelSubject
	HeadingField   = headingField
)
