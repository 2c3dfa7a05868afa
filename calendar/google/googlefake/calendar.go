package googlefake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// fakeCalendar is one calendar: its events and the change sequence that
// sync tokens point into.
type fakeCalendar struct {
	id         string
	tz         string
	epoch      int   // bumped to invalidate every sync token
	seq        int64 // bumped by every change
	events     map[string]*storedEvent
	readers    map[string]bool
	resourceID string
}

type storedEvent struct {
	data map[string]any
	seq  int64 // change that last touched it
}

func newCalendar(id, tz string) *fakeCalendar {
	if tz == "" {
		tz = "UTC"
	}
	return &fakeCalendar{id: id, tz: tz, events: map[string]*storedEvent{}, readers: map[string]bool{},
		resourceID: "res-" + base64.RawURLEncoding.EncodeToString([]byte(id))}
}

// ShareCalendar lets email read and write calendar calID.
func (s *Server) ShareCalendar(calID, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calendars[calID].readers[email] = true
}

// PutEvent creates or replaces an event, as its organizer editing it in
// Google Calendar would: ids, etag, timestamps and iCalUID are filled in,
// and push channels on the calendar are notified. It returns the stored event.
func (s *Server) PutEvent(calID string, ev *gcal.Event) *gcal.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.calendars[calID]
	if cal == nil {
		panic("googlefake: no calendar " + calID)
	}
	data := toMap(ev)
	id, _ := data["id"].(string)
	if id == "" {
		id = s.newID("ev")
		data["id"] = id
	}
	if old := cal.events[id]; old != nil {
		data["created"] = old.data["created"]
		seq, _ := old.data["sequence"].(float64)
		data["sequence"] = seq + 1
	}
	s.storeEvent(cal, data)
	return fromMap(cal.events[id].data)
}

// Instance returns an exception for the instance of master that starts at
// originalStart: a copy of the master to change and PutEvent.
func (s *Server) Instance(calID, masterID string, originalStart time.Time) *gcal.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	master := s.calendars[calID].events[masterID]
	if master == nil {
		panic("googlefake: no event " + masterID)
	}
	return instanceOf(master.data, masterID, originalStart)
}

// instanceOf is the instance of a recurring master at originalStart, as
// Google serves one that has no exception stored (under s.mu).
func instanceOf(masterData map[string]any, masterID string, originalStart time.Time) *gcal.Event {
	ev := fromMap(masterData)
	tz := ev.Start.TimeZone
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	start, _ := time.Parse(time.RFC3339, ev.Start.DateTime)
	end, _ := time.Parse(time.RFC3339, ev.End.DateTime)
	orig := originalStart.In(loc)
	ev.Id = InstanceID(masterID, originalStart)
	ev.RecurringEventId = masterID
	ev.Recurrence = nil
	ev.OriginalStartTime = &gcal.EventDateTime{DateTime: orig.Format(time.RFC3339), TimeZone: tz}
	ev.Start = &gcal.EventDateTime{DateTime: orig.Format(time.RFC3339), TimeZone: tz}
	ev.End = &gcal.EventDateTime{DateTime: orig.Add(end.Sub(start)).Format(time.RFC3339), TimeZone: tz}
	ev.Etag, ev.Created, ev.Updated, ev.ICalUID, ev.HtmlLink = "", "", "", "", ""
	return ev
}

// InstanceID is Google's id for the instance of master at originalStart.
func InstanceID(masterID string, originalStart time.Time) string {
	return masterID + "_" + originalStart.UTC().Format("20060102T150405Z")
}

// CancelInstance deletes one instance of a recurring event.
func (s *Server) CancelInstance(calID, masterID string, originalStart time.Time) {
	ev := s.Instance(calID, masterID, originalStart)
	ev.Status = "cancelled"
	s.PutEvent(calID, ev)
}

// DeleteEvent deletes an event (a single one, or a whole recurring series).
func (s *Server) DeleteEvent(calID, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.calendars[calID]
	e := cal.events[id]
	if e == nil {
		panic("googlefake: no event " + id)
	}
	data := cloneMap(e.data)
	data["status"] = "cancelled"
	s.storeEvent(cal, data)
}

// Event returns the stored event, or nil.
func (s *Server) Event(calID, id string) *gcal.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.calendars[calID].events[id]
	if e == nil {
		return nil
	}
	return fromMap(e.data)
}

// InvalidateSyncTokens makes every sync token of the calendar answer 410,
// as Google does when it expires them.
func (s *Server) InvalidateSyncTokens(calID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calendars[calID].epoch++
}

// storeEvent records a change to an event and tells the push channels.
func (s *Server) storeEvent(cal *fakeCalendar, data map[string]any) {
	now := rfc3339(s.now())
	cal.seq++
	id := data["id"].(string)
	data["kind"] = "calendar#event"
	data["etag"] = fmt.Sprintf(`"%d"`, 3_000_000_000+cal.seq)
	data["updated"] = now
	if data["created"] == nil {
		data["created"] = now
	}
	if data["status"] == nil {
		data["status"] = "confirmed"
	}
	if data["iCalUID"] == nil {
		base := id
		if rid, ok := data["recurringEventId"].(string); ok {
			base = rid
		}
		data["iCalUID"] = base + "@google.com"
	}
	data["htmlLink"] = "https://www.google.com/calendar/event?eid=" + base64.RawURLEncoding.EncodeToString([]byte(id+" "+cal.id))
	if data["organizer"] == nil {
		data["organizer"] = map[string]any{"email": cal.id}
	}
	if data["creator"] == nil {
		data["creator"] = map[string]any{"email": cal.id}
	}
	markSelf(data, cal.id)
	cal.events[id] = &storedEvent{data: data, seq: cal.seq}
	s.notify(cal, "exists")
}

// markSelf sets the self flags as the calendar's owner sees them.
func markSelf(data map[string]any, calID string) {
	for _, k := range []string{"organizer", "creator"} {
		if p, ok := data[k].(map[string]any); ok {
			setSelf(p, calID)
		}
	}
	if atts, ok := data["attendees"].([]any); ok {
		for _, a := range atts {
			if p, ok := a.(map[string]any); ok {
				setSelf(p, calID)
			}
		}
	}
}

func setSelf(p map[string]any, calID string) {
	if p["email"] == calID {
		p["self"] = true
	} else {
		delete(p, "self")
	}
}

func (s *Server) calendarFor(c *call) (*fakeCalendar, error) {
	id := c.path["calendarId"]
	if id == "primary" {
		id = c.who
	}
	cal := s.calendars[id]
	if cal == nil || (id != c.who && !cal.readers[c.who]) {
		return nil, errorf(404, "notFound", "Not Found")
	}
	return cal, nil
}

// syncState is what sync and page tokens carry.
type syncState struct {
	Cal     string `json:"c"`
	Epoch   int    `json:"e"`
	From    int64  `json:"f"` // changes after this; -1 for a full listing
	High    int64  `json:"h"` // changes up to this: the snapshot
	After   string `json:"a,omitempty"`
	Deleted bool   `json:"d,omitempty"`
}

func encodeState(st syncState) string {
	raw, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeState(tok string) (syncState, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	var st syncState
	if err != nil || json.Unmarshal(raw, &st) != nil {
		return st, false
	}
	return st, true
}

// Parameters that cannot accompany a sync token.
var notWithSyncToken = []string{"iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty",
	"timeMin", "timeMax", "updatedMin"}

func (s *Server) eventsList(c *call) (int, any, error) {
	cal, err := s.calendarFor(c)
	if err != nil {
		return 0, nil, err
	}
	if c.boolParam("singleEvents") {
		s.violations = append(s.violations, "calendar.events.list: singleEvents=true is not implemented by googlefake")
		return 0, nil, errorf(501, "notImplemented", "googlefake lists recurring events unexpanded only")
	}
	maxResults := int64(250)
	if v := c.q.Get("maxResults"); v != "" {
		maxResults, _ = strconv.ParseInt(v, 10, 64)
	}
	maxResults = min(maxResults, 2500)
	var st syncState
	switch {
	case c.q.Get("pageToken") != "":
		var ok bool
		if st, ok = decodeState(c.q.Get("pageToken")); !ok || st.Cal != cal.id {
			return 0, nil, errorf(400, "invalid", "Invalid page token value.")
		}
	case c.q.Get("syncToken") != "":
		for _, p := range notWithSyncToken {
			if c.q.Has(p) {
				return 0, nil, errorf(400, "invalid", "Sync token cannot be combined with %s.", p)
			}
		}
		if c.q.Get("showDeleted") == "false" {
			return 0, nil, errorf(400, "invalid", "showDeleted cannot be false with a sync token.")
		}
		var ok bool
		if st, ok = decodeState(c.q.Get("syncToken")); !ok || st.Cal != cal.id {
			return 0, nil, errorf(400, "invalid", "Invalid sync token value.")
		}
		st.High, st.After = cal.seq, ""
	default:
		st = syncState{Cal: cal.id, Epoch: cal.epoch, From: -1, High: cal.seq, Deleted: c.boolParam("showDeleted")}
	}
	if st.Epoch != cal.epoch {
		return 0, nil, errorf(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
	}
	items := s.listed(cal, st)
	size := int(maxResults)
	if len(s.pageSizes) > 0 {
		size = min(size, s.pageSizes[s.pageTurn%len(s.pageSizes)])
		s.pageTurn++
	}
	page := items[:min(size, len(items))]
	out := map[string]any{"kind": "calendar#events", "etag": fmt.Sprintf(`"p%d"`, cal.seq), "summary": cal.id,
		"updated": rfc3339(s.now()), "timeZone": cal.tz, "accessRole": "owner", "defaultReminders": []any{}}
	list := make([]any, 0, len(page))
	for _, e := range page {
		list = append(list, listView(e.data))
	}
	out["items"] = list
	// With page sizes set, a full page that happens to be the last still
	// says there may be more, as Google sometimes does: an empty last page follows.
	more := len(page) < len(items) || (len(s.pageSizes) > 0 && size > 0 && len(page) == size)
	if more {
		next := st
		if len(page) > 0 {
			next.After = page[len(page)-1].data["id"].(string)
		}
		out["nextPageToken"] = encodeState(next)
	} else {
		out["nextSyncToken"] = encodeState(syncState{Cal: cal.id, Epoch: cal.epoch, From: st.High, High: st.High})
	}
	return 200, out, nil
}

// listed is what a listing from st still has to return, in id order.
func (s *Server) listed(cal *fakeCalendar, st syncState) []*storedEvent {
	var out []*storedEvent
	for _, id := range sortedKeys(cal.events) {
		e := cal.events[id]
		if id <= st.After || e.seq > st.High {
			continue // returned already, or changed after the snapshot: the next sync has it
		}
		if st.From >= 0 {
			if e.seq > st.From {
				out = append(out, e)
			}
			continue
		}
		// A full listing without showDeleted still has cancelled instances
		// of recurring events, but not deleted events.
		_, exception := e.data["recurringEventId"]
		if e.data["status"] != "cancelled" || exception || st.Deleted {
			out = append(out, e)
		}
	}
	return out
}

// listView is an event as a listing shows it: a cancelled one carries
// only its identity.
func listView(data map[string]any) map[string]any {
	if data["status"] != "cancelled" {
		return data
	}
	out := map[string]any{"kind": data["kind"], "etag": data["etag"], "id": data["id"], "status": "cancelled"}
	if rid, ok := data["recurringEventId"]; ok {
		out["recurringEventId"] = rid
		out["originalStartTime"] = data["originalStartTime"]
	}
	return out
}

func (s *Server) eventsGet(c *call) (int, any, error) {
	cal, err := s.calendarFor(c)
	if err != nil {
		return 0, nil, err
	}
	e := cal.events[c.path["eventId"]]
	if e == nil {
		return 0, nil, errorf(404, "notFound", "Not Found")
	}
	return 200, e.data, nil
}

// maxAttachments is Google's limit per event.
const maxAttachments = 25

func (s *Server) eventsPatch(c *call) (int, any, error) {
	cal, err := s.calendarFor(c)
	if err != nil {
		return 0, nil, err
	}
	e := cal.events[c.path["eventId"]]
	if e == nil {
		e = s.virtualInstance(cal, c.path["eventId"])
	}
	if e == nil {
		return 0, nil, errorf(404, "notFound", "Not Found")
	}
	if m := c.header.Get("If-Match"); m != "" && m != e.data["etag"] {
		return 0, nil, errorf(412, "conditionNotMet", "Precondition Failed")
	}
	if atts, ok := c.body["attachments"]; ok {
		if !c.boolParam("supportsAttachments") {
			return 0, nil, errorf(400, "invalid", "Attachments can only be changed with supportsAttachments=true.")
		}
		if list, _ := atts.([]any); len(list) > maxAttachments {
			return 0, nil, errorf(400, "invalid", "An event can have at most %d attachments.", maxAttachments)
		}
		for _, a := range atts.([]any) {
			if m, _ := a.(map[string]any); m["fileUrl"] == nil || m["fileUrl"] == "" {
				return 0, nil, errorf(400, "required", "Missing attachment fileUrl.")
			}
		}
	}
	data := cloneMap(e.data)
	patch := cloneMap(c.body)
	for _, k := range []string{"id", "etag", "kind", "updated", "created", "htmlLink", "iCalUID", "recurringEventId", "originalStartTime"} {
		delete(patch, k)
	}
	merge(data, patch)
	s.storeEvent(cal, data)
	return 200, cal.events[e.data["id"].(string)].data, nil
}

// merge applies a PATCH body: objects merge, everything else replaces,
// null deletes.
func merge(dst, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, pm)
				continue
			}
		}
		dst[k] = v
	}
}

func toMap(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

func cloneMap(m map[string]any) map[string]any { return toMap(m) }

func fromMap(m map[string]any) *gcal.Event {
	raw, _ := json.Marshal(m)
	var ev gcal.Event
	json.Unmarshal(raw, &ev)
	return &ev
}

// Events returns every stored event of the calendar, deleted ones too, in id order.
func (s *Server) Events(calID string) []*gcal.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.calendars[calID]
	ids := sortedKeys(cal.events)
	out := make([]*gcal.Event, 0, len(ids))
	for _, id := range ids {
		out = append(out, fromMap(cal.events[id].data))
	}
	return out
}

// virtualInstance is, for an instance id ("<master>_20261117T090000Z") of a
// stored recurring master, that instance as Google would serve it, stored
// as an exception so it can be patched; nil for any other id.
func (s *Server) virtualInstance(cal *fakeCalendar, id string) *storedEvent {
	masterID, at, ok := strings.Cut(id, "_")
	if !ok {
		return nil
	}
	master := cal.events[masterID]
	orig, err := time.Parse("20060102T150405Z", at)
	if master == nil || err != nil || master.data["recurrence"] == nil {
		return nil
	}
	s.storeEvent(cal, toMap(instanceOf(master.data, masterID, orig)))
	return cal.events[id]
}
