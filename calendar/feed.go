package calendar

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/httpx"
	"meetingd/internal/links"
)

// A person's feed lists their pre-read deadlines and the closings of the
// decisions they are invited to, so they can subscribe from any calendar.
// Its URL holds a secret: whoever has it can read the feed, nothing more.

// FeedRoutes registers the feed on pub and its management on api.
func (l *Local) FeedRoutes(api, pub *http.ServeMux) {
	pub.HandleFunc("GET /feed/{token}", l.handleFeed)
	api.HandleFunc("GET /api/v1/me/feed", l.handleFeedURL)
	api.HandleFunc("POST /api/v1/me/feed/rotate", l.handleFeedRotate)
}

// FeedURL returns the person's feed URL, creating its secret the first time.
func (l *Local) FeedURL(ctx context.Context, personID int64, rotate bool) (string, error) {
	var tok *string
	if err := l.DB.GetContext(ctx, &tok, l.DB.Rebind(`SELECT feed_token FROM people WHERE id = ?`), personID); err != nil {
		return "", fmt.Errorf("feed of person %d: %w", personID, err)
	}
	if tok == nil || rotate {
		t := links.RandomID() + links.RandomID()
		if _, err := l.DB.ExecContext(ctx, l.DB.Rebind(`UPDATE people SET feed_token = ? WHERE id = ?`), t, personID); err != nil {
			return "", fmt.Errorf("feed of person %d: %w", personID, err)
		}
		tok = &t
	}
	return strings.TrimRight(l.BaseURL, "/") + "/feed/" + *tok + ".ics", nil
}

func (l *Local) handleFeedURL(w http.ResponseWriter, r *http.Request) {
	v, _ := httpx.ViewerFrom(r.Context())
	u, err := l.FeedURL(r.Context(), v.ID, false)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"url": u})
}

func (l *Local) handleFeedRotate(w http.ResponseWriter, r *http.Request) {
	v, _ := httpx.ViewerFrom(r.Context())
	u, err := l.FeedURL(r.Context(), v.ID, true)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"url": u})
}

// feedItem is one entry of a feed.
type feedItem struct {
	Kind  string    `db:"kind"` // preread or decision
	ID    int64     `db:"id"`
	Title string    `db:"title"`
	At    time.Time `db:"at"`
	Role  string    `db:"role"`
}

func (l *Local) handleFeed(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutSuffix(r.PathValue("token"), ".ics")
	if !ok || tok == "" {
		httpx.Error(w, r, errs.Errorf(errs.NotFound, "no such feed"))
		return
	}
	var personID int64
	err := l.DB.GetContext(r.Context(), &personID, l.DB.Rebind(`SELECT id FROM people WHERE feed_token = ?`), tok)
	if db.IsNoRows(err) {
		httpx.Error(w, r, errs.Errorf(errs.NotFound, "no such feed"))
		return
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items, err := l.feedItems(r.Context(), personID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	body, err := l.encodeFeed(items)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(body)
}

// feedItems are the pre-read deadlines of the person's meetings from a week
// ago on, and the closings of the decisions they are invited to.
func (l *Local) feedItems(ctx context.Context, personID int64) ([]feedItem, error) {
	since := l.Clock.Now().Add(-7 * 24 * time.Hour)
	var items []feedItem
	err := l.DB.SelectContext(ctx, &items, l.DB.Rebind(`
		SELECT 'preread' AS kind, o.id, o.title, o.pre_read_due_at AS at, a.role
		FROM attendees a JOIN occurrences o ON o.id = a.occurrence_id
		WHERE a.person_id = ? AND a.removed = 0 AND o.cancelled = 0 AND o.starts_at >= ?
		UNION ALL
		SELECT 'decision' AS kind, d.id, d.title, d.closes_at AS at, '' AS role
		FROM decision_invitees i JOIN decisions d ON d.id = i.decision_id
		WHERE i.person_id = ? AND d.closes_at >= ? AND d.state IN ('open', 'contested', 'accepted', 'rejected', 'deferred')
		ORDER BY at LIMIT 2000`), personID, since, personID, since)
	if err != nil {
		return nil, fmt.Errorf("feed of person %d: %w", personID, err)
	}
	return items, nil
}

func (l *Local) encodeFeed(items []feedItem) ([]byte, error) {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//meetingd//feed//EN")
	cal.Props.SetText("X-WR-CALNAME", "meetingd: pre-reads and decisions")
	stamp := l.Clock.Now().UTC()
	for _, it := range items {
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, fmt.Sprintf("%s-%d@meetingd", it.Kind, it.ID))
		ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
		ev.Props.SetDateTime(ical.PropDateTimeStart, it.At.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, it.At.UTC().Add(15*time.Minute))
		base := strings.TrimRight(l.BaseURL, "/")
		switch it.Kind {
		case "preread":
			summary := "Pre-read due: " + it.Title
			if it.Role != "organizer" && it.Role != "speaker" {
				summary = "Pre-read out: " + it.Title
			}
			ev.Props.SetText(ical.PropSummary, summary)
			ev.Props.SetText(ical.PropURL, fmt.Sprintf("%s/meetings/%d", base, it.ID))
		default:
			ev.Props.SetText(ical.PropSummary, "Decision closes: "+it.Title)
			ev.Props.SetText(ical.PropURL, fmt.Sprintf("%s/decisions/%d", base, it.ID))
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
