package googlefake

import (
	"strconv"
	"time"
)

// Drive's change log: every change to a file (its content, name or
// sharing) is an entry, numbered in order. A page token is the number to
// read from: changes.list returns the latest change of each file the
// caller can see from there on, and the last page the token to start from
// next time. changes.watch opens a channel that is told ("change") when
// something the caller can see changes.

type driveChange struct {
	seq    int64
	fileID string
	at     time.Time
}

// touch records a change to a file and tells the Drive channels of
// everyone who can see it. Under s.mu.
func (s *Server) touch(fileID string) {
	s.changeSeq++
	now := s.now()
	s.changes = append(s.changes, driveChange{seq: s.changeSeq, fileID: fileID, at: now})
	f := s.files[fileID]
	if f == nil {
		return
	}
	f.modified = now
	for _, id := range sortedKeys(s.channels) {
		ch := s.channels[id]
		if ch.driveUser != "" && !ch.stopped && now.Before(ch.expiration) && f.role(ch.driveUser) > 0 {
			s.msgNum++
			s.pending = append(s.pending, notification{ch: ch, state: "change", num: s.msgNum})
		}
	}
}

func (s *Server) changesStartPageToken(c *call) (int, any, error) {
	return 200, map[string]any{"kind": "drive#startPageToken", "startPageToken": strconv.FormatInt(s.changeSeq+1, 10)}, nil
}

func (s *Server) changesList(c *call) (int, any, error) {
	from, err := strconv.ParseInt(c.q.Get("pageToken"), 10, 64)
	if err != nil || from < 1 {
		return 0, nil, errorf(400, "invalid", "Invalid Value: pageToken %q", c.q.Get("pageToken"))
	}
	size := 100
	if v := c.q.Get("pageSize"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	size = min(max(size, 1), 1000)
	// The latest change of each file the caller can see, in change order.
	last := map[string]driveChange{}
	for _, ch := range s.changes {
		if f := s.files[ch.fileID]; ch.seq >= from && f != nil && f.role(c.who) > 0 {
			last[ch.fileID] = ch
		}
	}
	var list []driveChange
	for _, ch := range s.changes {
		if l, ok := last[ch.fileID]; ok && l.seq == ch.seq {
			list = append(list, ch)
		}
	}
	out := map[string]any{"kind": "drive#changeList"}
	items := []any{}
	for i, ch := range list {
		if i == size {
			out["nextPageToken"] = strconv.FormatInt(ch.seq, 10)
			break
		}
		items = append(items, map[string]any{"kind": "drive#change", "type": "file", "changeType": "file",
			"fileId": ch.fileID, "removed": false, "time": rfc3339(ch.at), "file": s.fileView(s.files[ch.fileID], "*")})
	}
	out["changes"] = items
	if _, more := out["nextPageToken"]; !more {
		out["newStartPageToken"] = strconv.FormatInt(s.changeSeq+1, 10)
	}
	return 200, out, nil
}

func (s *Server) changesWatch(c *call) (int, any, error) {
	if _, err := strconv.ParseInt(c.q.Get("pageToken"), 10, 64); err != nil {
		return 0, nil, errorf(400, "invalid", "Invalid Value: pageToken %q", c.q.Get("pageToken"))
	}
	return s.openChannel(c, "", c.who, "drive-"+c.who, "https://www.googleapis.com/drive/v3/changes?alt=json&pageToken="+c.q.Get("pageToken"))
}

// DriveChannels lists every Drive changes channel ever opened by user, in id order.
func (s *Server) DriveChannels(user string) []ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ChannelInfo
	for _, id := range sortedKeys(s.channels) {
		ch := s.channels[id]
		if ch.driveUser == user {
			out = append(out, ChannelInfo{ID: ch.id, ResourceID: ch.resourceID, Address: ch.address,
				Expiration: ch.expiration, Stopped: ch.stopped})
		}
	}
	return out
}
