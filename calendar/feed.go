package calendar

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"meetingd/decisions"
	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/input"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// A person's feed lists their pre-read deadlines and the closings of the
// decisions they are invited to, so they can subscribe from any calendar.
// Its address holds a secret: whoever has it can read the feed, nothing more.

// feedLimit bounds a feed's entries of each kind.
const feedLimit = 2000

// Feed serves people's feeds.
type Feed struct {
	DB        *db.DB
	Clock     clock.Clock
	Meetings  *meetings.Service
	Decisions *decisions.Service
	BaseURL   string // the service's public URL, for the feed's address and its links
}

// setURL gives ev its URL property, a URI (RFC 5545 3.8.4.6: not TEXT).
func setURL(ev *ical.Event, u string) {
	p := ical.NewProp(ical.PropURL)
	p.Value = u // URI is URL's default value type: no VALUE parameter
	ev.Props.Set(p)
}

// URL is personID's feed address; rotate replaces its secret, so the old
// address stops working.
func (f *Feed) URL(ctx context.Context, personID int64, rotate bool) (string, error) {
	tok, err := people.FeedToken(ctx, f.DB, personID, rotate)
	if err != nil {
		return "", err
	}
	return f.base() + "/feed/" + tok + ".ics", nil
}

func (f *Feed) base() string { return strings.TrimRight(f.BaseURL, "/") }

// feedItem is one entry of a feed.
type feedItem struct {
	kind  string // preread or decision
	id    int64
	title string
	at    time.Time
	role  string
}

// ICS is the feed whose secret is token, as an ICS file: the pre-read
// deadlines of the person's meetings from a week ago on, and the closings
// of the decisions they are invited to.
func (f *Feed) ICS(ctx context.Context, token string) ([]byte, error) {
	p, err := people.ByFeedToken(ctx, f.DB, token)
	if err != nil {
		return nil, err
	}
	since := f.Clock.Now().Add(-7 * 24 * time.Hour)
	deadlines, err := f.Meetings.DeadlinesOf(ctx, p.ID, since, feedLimit)
	if err != nil {
		return nil, err
	}
	closings, err := f.Decisions.ClosingsOf(ctx, p.ID, since, feedLimit)
	if err != nil {
		return nil, err
	}
	items := make([]feedItem, 0, len(deadlines)+len(closings))
	for _, d := range deadlines {
		items = append(items, feedItem{kind: "preread", id: d.OccurrenceID, title: d.Title, at: d.DueAt, role: d.Role})
	}
	for _, c := range closings {
		items = append(items, feedItem{kind: "decision", id: c.ID, title: c.Title, at: c.ClosesAt})
	}
	slices.SortStableFunc(items, func(a, b feedItem) int { return a.at.Compare(b.at) })
	return f.encode(items[:min(len(items), feedLimit)])
}

// emptyFeed is a feed with nothing in it yet. go-ical refuses to encode a
// calendar without components (RFC 5545 asks for one), but calendar apps
// subscribe to empty ones fine, and someone subscribes before they have any
// meeting: written by hand, it is a calendar, not an error.
const emptyFeed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//meetingd//feed//EN\r\n" +
	"X-WR-CALNAME:meetingd: pre-reads and decisions\r\nEND:VCALENDAR\r\n"

func (f *Feed) encode(items []feedItem) ([]byte, error) {
	if len(items) == 0 {
		return []byte(emptyFeed), nil
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//meetingd//feed//EN")
	cal.Props.SetText("X-WR-CALNAME", "meetingd: pre-reads and decisions")
	stamp := f.Clock.Now().UTC()
	for _, it := range items {
		// Titles were checked when they came in; rows from before that are
		// cleaned here, so that no one item can break a whole feed.
		it.title = input.CleanLine(it.title, input.MaxLine)
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, fmt.Sprintf("%s-%d@meetingd", it.kind, it.id))
		ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
		ev.Props.SetDateTime(ical.PropDateTimeStart, it.at.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, it.at.UTC().Add(15*time.Minute))
		switch it.kind {
		case "preread":
			summary := "Pre-read due: " + it.title
			if it.role != meetings.RoleOrganizer && it.role != meetings.RoleSpeaker {
				summary = "Pre-read out: " + it.title
			}
			ev.Props.SetText(ical.PropSummary, summary)
			setURL(ev, fmt.Sprintf("%s/meetings/%d", f.base(), it.id))
		default:
			ev.Props.SetText(ical.PropSummary, "Decision closes: "+it.title)
			setURL(ev, fmt.Sprintf("%s/decisions/%d", f.base(), it.id))
		}
		ev.Props.SetText(ical.PropTransparency, "TRANSPARENT")
		cal.Children = append(cal.Children, ev.Component)
	}
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		return nil, fmt.Errorf("encode feed: %w", err)
	}
	return b.Bytes(), nil
}
