package googlefake

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// channel is a push channel on a calendar's events.
type channel struct {
	id, calID, resourceID, address, token string
	driveUser                             string // a Drive changes channel: whose changes
	resourceURI                           string
	expiration                            time.Time
	stopped                               bool
}

type notification struct {
	ch    *channel
	state string
	num   int64
}

// defaultTTL is how long a channel lives unless params.ttl says otherwise.
const defaultTTL = 7 * 24 * time.Hour

func (s *Server) eventsWatch(c *call) (int, any, error) {
	cal, err := s.calendarFor(c)
	if err != nil {
		return 0, nil, err
	}
	return s.openChannel(c, cal.id, "", cal.resourceID, resourceURI(cal.id))
}

// openChannel opens a push channel on a calendar's events or on a Drive
// user's changes, as the request's body asks.
func (s *Server) openChannel(c *call, calID, driveUser, resourceID, uri string) (int, any, error) {
	id, _ := c.body["id"].(string)
	typ, _ := c.body["type"].(string)
	addr, _ := c.body["address"].(string)
	token, _ := c.body["token"].(string)
	switch {
	case id == "":
		return 0, nil, errorf(400, "required", "Channel id is required.")
	case typ != "web_hook" && typ != "webhook":
		return 0, nil, errorf(400, "invalid", "Channel type %q is not supported.", typ)
	case s.channels[id] != nil:
		return 0, nil, errorf(400, "channelIdNotUnique", "Channel id %s not unique", id)
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return 0, nil, errorf(400, "push.webhookUrlNotHttps", "WebHook callback must be HTTPS: %s", addr)
	}
	ttl := defaultTTL
	if params, ok := c.body["params"].(map[string]any); ok {
		if v, ok := params["ttl"].(string); ok {
			secs, err := strconv.ParseInt(v, 10, 64)
			if err != nil || secs <= 0 {
				return 0, nil, errorf(400, "invalid", "Invalid ttl %q.", v)
			}
			ttl = time.Duration(secs) * time.Second
		}
	}
	ch := &channel{id: id, calID: calID, driveUser: driveUser, resourceID: resourceID, resourceURI: uri,
		address: addr, token: token, expiration: s.now().Add(ttl).Truncate(time.Millisecond)}
	s.channels[id] = ch
	s.msgNum++
	s.pending = append(s.pending, notification{ch: ch, state: "sync", num: s.msgNum})
	out := map[string]any{"kind": "api#channel", "id": id, "resourceId": ch.resourceID,
		"resourceUri": uri, "expiration": strconv.FormatInt(ch.expiration.UnixMilli(), 10)}
	if token != "" {
		out["token"] = token
	}
	return 200, out, nil
}

func resourceURI(calID string) string {
	return "https://www.googleapis.com/calendar/v3/calendars/" + url.PathEscape(calID) + "/events?alt=json"
}

func isLoopback(host string) bool { return host == "127.0.0.1" || host == "localhost" || host == "::1" }

func (s *Server) channelsStop(c *call) (int, any, error) {
	id, _ := c.body["id"].(string)
	rid, _ := c.body["resourceId"].(string)
	ch := s.channels[id]
	if ch == nil || ch.resourceID != rid || ch.stopped {
		return 0, nil, errorf(404, "notFound", "Channel '%s' not found for project", id)
	}
	ch.stopped = true
	return 204, nil, nil
}

// notify queues an "exists" message on every live channel of cal.
func (s *Server) notify(cal *fakeCalendar, state string) {
	now := s.now()
	for _, id := range sortedKeys(s.channels) {
		ch := s.channels[id]
		if ch.calID == cal.id && ch.driveUser == "" && !ch.stopped && now.Before(ch.expiration) {
			s.msgNum++
			s.pending = append(s.pending, notification{ch: ch, state: state, num: s.msgNum})
		}
	}
}

// Delivery is one notification POSTed and the status it got.
type Delivery struct {
	ChannelID string
	State     string
	Status    int
}

// Deliver POSTs the queued notifications, in order, as Google does: no
// body, X-Goog-* headers. Channels stopped or expired since are skipped.
func (s *Server) Deliver(ctx context.Context) ([]Delivery, error) {
	s.mu.Lock()
	queue := s.pending
	s.pending = nil
	now := s.now()
	s.mu.Unlock()
	var out []Delivery
	for _, n := range queue {
		s.mu.Lock()
		live := !n.ch.stopped && now.Before(n.ch.expiration)
		s.mu.Unlock()
		if !live {
			continue
		}
		status, err := post(ctx, n)
		if err != nil {
			return out, fmt.Errorf("deliver to %s: %w", n.ch.address, err)
		}
		out = append(out, Delivery{ChannelID: n.ch.id, State: n.state, Status: status})
	}
	return out, nil
}

func post(ctx context.Context, n notification) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.ch.address, nil)
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("X-Goog-Channel-ID", n.ch.id)
	if n.ch.token != "" {
		h.Set("X-Goog-Channel-Token", n.ch.token)
	}
	h.Set("X-Goog-Channel-Expiration", n.ch.expiration.UTC().Format(http.TimeFormat))
	h.Set("X-Goog-Resource-ID", n.ch.resourceID)
	h.Set("X-Goog-Resource-URI", n.ch.resourceURI)
	h.Set("X-Goog-Resource-State", n.state)
	h.Set("X-Goog-Message-Number", strconv.FormatInt(n.num, 10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ChannelInfo describes a push channel, for tests.
type ChannelInfo struct {
	ID, CalendarID, ResourceID, Address string
	Expiration                          time.Time
	Stopped                             bool
}

// Channels lists every channel ever opened on calID, in id order.
func (s *Server) Channels(calID string) []ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ChannelInfo
	for _, id := range sortedKeys(s.channels) {
		ch := s.channels[id]
		if ch.calID == calID && ch.driveUser == "" {
			out = append(out, ChannelInfo{ID: ch.id, CalendarID: ch.calID, ResourceID: ch.resourceID,
				Address: ch.address, Expiration: ch.expiration, Stopped: ch.stopped})
		}
	}
	return out
}

// Pending is how many notifications wait for Deliver.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}
