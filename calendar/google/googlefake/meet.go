package googlefake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Google Meet's conference records (meet/v2) and the People API's
// getBatchGet, which turns the "users/<id>" Meet names a participant by
// into an address. A conference record belongs to the owner of its
// meeting space: the organizer whose event has the Meet link. Recordings
// and transcripts are Drive files the owner holds, listed once Meet has
// written them (state FILE_GENERATED).

type meetState struct {
	records []*conference
}

type conference struct {
	id, owner, code string
	start, end      time.Time // end is zero while the conference runs
	participants    []*participant
	recordings      []*artifact
	transcripts     []*artifact
}

type participant struct {
	id, email, display string // email "" is an anonymous participant
	sessions           [][2]time.Time
}

type artifact struct {
	id, state, fileID string
	start, end        time.Time
}

// AddConference records a conference held in the meeting space whose
// code is code, owned by owner, and returns its name
// ("conferenceRecords/<id>"). A zero end means it is still running.
func (s *Server) AddConference(owner, code string, start, end time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &conference{id: s.newID("conf-"), owner: owner, code: code, start: start.UTC(), end: end.UTC()}
	s.meet.records = append(s.meet.records, c)
	return "conferenceRecords/" + c.id
}

func (s *Server) conference(name string) *conference {
	for _, c := range s.meet.records {
		if "conferenceRecords/"+c.id == name || c.id == name {
			return c
		}
	}
	panic("googlefake: no conference " + name)
}

// EndConference sets a running conference's end.
func (s *Server) EndConference(name string, end time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conference(name).end = end.UTC()
}

// AddParticipant adds someone who joined a conference, for the sessions
// given (each a join and a leave). A user of the fake joins signed in;
// any other name joins anonymously.
func (s *Server) AddParticipant(name, who string, sessions ...[2]time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conference(name)
	p := &participant{id: s.newID("p-"), display: who, sessions: sessions}
	if u := s.users[who]; u != nil {
		p.email, p.display = u.email, strings.Split(u.email, "@")[0]
	}
	c.participants = append(c.participants, p)
}

// AddRecording adds a recording of a conference in state (STARTED,
// ENDED, FILE_GENERATED); its Drive file is made (owned by the
// conference's owner) and its id returned.
func (s *Server) AddRecording(name, state string) string {
	return s.addArtifact(name, state, "video/mp4", false)
}

// AddTranscript adds a transcript, a Google Doc, as AddRecording does.
func (s *Server) AddTranscript(name, state string) string {
	return s.addArtifact(name, state, docMime, true)
}

func (s *Server) addArtifact(name, state, mime string, transcript bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conference(name)
	kind := "Recording"
	if transcript {
		kind = "Transcript"
	}
	f := s.newFile(fmt.Sprintf("%s %s (%s)", c.code, kind, c.start.Format(time.DateOnly)), mime, c.owner)
	if transcript {
		s.docs[f.id] = newDocument(f.id, f.name)
	}
	a := &artifact{id: s.newID("a-"), state: state, fileID: f.id, start: c.start, end: c.end}
	if transcript {
		c.transcripts = append(c.transcripts, a)
	} else {
		c.recordings = append(c.recordings, a)
	}
	return f.id
}

// FinishArtifacts makes every recording and transcript of a conference
// FILE_GENERATED, as Meet does some minutes after it ends.
func (s *Server) FinishArtifacts(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conference(name)
	for _, a := range append(c.recordings, c.transcripts...) {
		a.state = "FILE_GENERATED"
	}
}

var meetFilterClause = regexp.MustCompile(`^\s*(space\.meeting_code|space\.name|start_time|end_time)\s*(=|>=|<=|>|<|IS)\s*(.+?)\s*$`)

// meetFilter reads a conferenceRecords.list filter into a test of records.
func meetFilter(filter string) (func(c *conference) bool, error) {
	var tests []func(c *conference) bool
	if strings.TrimSpace(filter) == "" {
		return func(*conference) bool { return true }, nil
	}
	for _, clause := range regexp.MustCompile(`\s+AND\s+`).Split(filter, -1) {
		m := meetFilterClause.FindStringSubmatch(clause)
		if m == nil {
			return nil, fmt.Errorf("cannot parse filter clause %q", clause)
		}
		field, op, raw := m[1], m[2], m[3]
		if op == "IS" {
			if raw != "NULL" || field != "end_time" {
				return nil, fmt.Errorf("only end_time IS NULL is supported, not %q", clause)
			}
			tests = append(tests, func(c *conference) bool { return c.end.IsZero() })
			continue
		}
		val, err := strconv.Unquote(raw)
		if err != nil {
			return nil, fmt.Errorf("value %s in %q is not a quoted string", raw, clause)
		}
		switch field {
		case "space.meeting_code", "space.name":
			if op != "=" {
				return nil, fmt.Errorf("%s compares with = only", field)
			}
			want := val
			tests = append(tests, func(c *conference) bool {
				if field == "space.name" {
					return "spaces/"+c.code == want
				}
				return c.code == want
			})
		default:
			t, err := time.Parse(time.RFC3339, val)
			if err != nil {
				return nil, fmt.Errorf("%s is not an RFC 3339 time", val)
			}
			tests = append(tests, func(c *conference) bool {
				v := c.start
				if field == "end_time" {
					if c.end.IsZero() {
						return false
					}
					v = c.end
				}
				switch op {
				case ">=":
					return !v.Before(t)
				case "<=":
					return !v.After(t)
				case ">":
					return v.After(t)
				case "<":
					return v.Before(t)
				}
				return v.Equal(t)
			})
		}
	}
	return func(c *conference) bool {
		for _, t := range tests {
			if !t(c) {
				return false
			}
		}
		return true
	}, nil
}

// page cuts a list of n items by pageSize (default def) and pageToken.
func page(c *call, n, def int) (start, end int, next string, err error) {
	size := def
	if v := c.q.Get("pageSize"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	size = min(max(size, 1), 250)
	if tok := c.q.Get("pageToken"); tok != "" {
		if start, err = strconv.Atoi(strings.TrimPrefix(tok, "o")); err != nil || start < 0 || start > n {
			return 0, 0, "", errorf(400, "invalid", "Invalid page token.")
		}
	}
	end = min(start+size, n)
	if end < n {
		next = "o" + strconv.Itoa(end)
	}
	return start, end, next, nil
}

func (s *Server) recordFor(c *call) (*conference, error) {
	for _, r := range s.meet.records {
		if r.id == c.path["conferenceRecordsId"] && r.owner == c.who {
			return r, nil
		}
	}
	return nil, errorf(404, "notFound", "Requested entity was not found.")
}

func (r *conference) view() map[string]any {
	out := map[string]any{"name": "conferenceRecords/" + r.id, "startTime": rfc3339(r.start),
		"expireTime": rfc3339(r.start.Add(30 * 24 * time.Hour)), "space": "spaces/" + r.code}
	if !r.end.IsZero() {
		out["endTime"] = rfc3339(r.end)
	}
	return out
}

func (s *Server) conferenceRecordsList(c *call) (int, any, error) {
	match, err := meetFilter(c.q.Get("filter"))
	if err != nil {
		return 0, nil, errorf(400, "invalid", "Invalid filter: %v", err)
	}
	var mine []*conference
	for i := len(s.meet.records) - 1; i >= 0; i-- { // newest first, as Meet lists them
		if r := s.meet.records[i]; r.owner == c.who && match(r) {
			mine = append(mine, r)
		}
	}
	start, end, next, err := page(c, len(mine), 25)
	if err != nil {
		return 0, nil, err
	}
	list := []any{}
	for _, r := range mine[start:end] {
		list = append(list, r.view())
	}
	out := map[string]any{"conferenceRecords": list}
	if next != "" {
		out["nextPageToken"] = next
	}
	return 200, out, nil
}

func (s *Server) participantsList(c *call) (int, any, error) {
	r, err := s.recordFor(c)
	if err != nil {
		return 0, nil, err
	}
	start, end, next, err := page(c, len(r.participants), 100)
	if err != nil {
		return 0, nil, err
	}
	list := []any{}
	for _, p := range r.participants[start:end] {
		v := map[string]any{"name": "conferenceRecords/" + r.id + "/participants/" + p.id}
		if u := s.users[p.email]; u != nil {
			v["signedinUser"] = map[string]any{"user": "users/" + u.id, "displayName": p.display}
		} else {
			v["anonymousUser"] = map[string]any{"displayName": p.display}
		}
		if len(p.sessions) > 0 {
			v["earliestStartTime"] = rfc3339(p.sessions[0][0])
			v["latestEndTime"] = rfc3339(p.sessions[len(p.sessions)-1][1])
		}
		list = append(list, v)
	}
	out := map[string]any{"participants": list, "totalSize": len(r.participants)}
	if next != "" {
		out["nextPageToken"] = next
	}
	return 200, out, nil
}

func (s *Server) participantSessionsList(c *call) (int, any, error) {
	r, err := s.recordFor(c)
	if err != nil {
		return 0, nil, err
	}
	var p *participant
	for _, q := range r.participants {
		if q.id == c.path["participantsId"] {
			p = q
		}
	}
	if p == nil {
		return 0, nil, errorf(404, "notFound", "Requested entity was not found.")
	}
	start, end, next, err := page(c, len(p.sessions), 100)
	if err != nil {
		return 0, nil, err
	}
	list := []any{}
	for i, ss := range p.sessions[start:end] {
		list = append(list, map[string]any{"name": fmt.Sprintf("conferenceRecords/%s/participants/%s/participantSessions/s%d", r.id, p.id, start+i),
			"startTime": rfc3339(ss[0]), "endTime": rfc3339(ss[1])})
	}
	out := map[string]any{"participantSessions": list}
	if next != "" {
		out["nextPageToken"] = next
	}
	return 200, out, nil
}

func (s *Server) artifactsList(c *call, transcripts bool) (int, any, error) {
	r, err := s.recordFor(c)
	if err != nil {
		return 0, nil, err
	}
	all, key, kind := r.recordings, "recordings", "recordings"
	if transcripts {
		all, key, kind = r.transcripts, "transcripts", "transcripts"
	}
	start, end, next, err := page(c, len(all), 10)
	if err != nil {
		return 0, nil, err
	}
	list := []any{}
	for _, a := range all[start:end] {
		v := map[string]any{"name": "conferenceRecords/" + r.id + "/" + kind + "/" + a.id, "state": a.state, "startTime": rfc3339(a.start)}
		if a.state != "STARTED" {
			v["endTime"] = rfc3339(a.end)
		}
		if a.state == "FILE_GENERATED" {
			if transcripts {
				v["docsDestination"] = map[string]any{"document": a.fileID, "exportUri": "https://docs.google.com/document/d/" + a.fileID + "/view"}
			} else {
				v["driveDestination"] = map[string]any{"file": a.fileID, "exportUri": "https://drive.google.com/file/d/" + a.fileID + "/view"}
			}
		}
		list = append(list, v)
	}
	out := map[string]any{key: list}
	if next != "" {
		out["nextPageToken"] = next
	}
	return 200, out, nil
}

func (s *Server) recordingsList(c *call) (int, any, error)  { return s.artifactsList(c, false) }
func (s *Server) transcriptsList(c *call) (int, any, error) { return s.artifactsList(c, true) }

// peopleBatchGet answers "people/<id>" for the fake's users: their
// primary address, as a Workspace directory profile shows it.
func (s *Server) peopleBatchGet(c *call) (int, any, error) {
	names := c.q["resourceNames"]
	if len(names) == 0 || len(names) > 200 {
		return 0, nil, errorf(400, "invalid", "Between 1 and 200 resourceNames are required, not %d.", len(names))
	}
	if !strings.Contains(c.q.Get("personFields"), "emailAddresses") {
		return 0, nil, errorf(400, "invalid", "personFields must ask for emailAddresses (googlefake answers nothing else).")
	}
	byID := map[string]*user{}
	for _, u := range s.users {
		byID[u.id] = u
	}
	var out []any
	for _, n := range names {
		u := byID[strings.TrimPrefix(n, "people/")]
		if u == nil {
			out = append(out, map[string]any{"requestedResourceName": n, "httpStatusCode": 404,
				"status": map[string]any{"code": 5, "message": "Requested entity was not found."}})
			continue
		}
		out = append(out, map[string]any{"requestedResourceName": n, "httpStatusCode": 200,
			"person": map[string]any{"resourceName": "people/" + u.id, "etag": "%E" + u.id,
				"emailAddresses": []any{map[string]any{"value": u.email, "metadata": map[string]any{"primary": true}}}}})
	}
	return 200, map[string]any{"responses": out}, nil
}

// UserID is the Google account id of a user of the fake.
func (s *Server) UserID(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[email].id
}
