package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"meetingd/decisions"
	"meetingd/internal/db"
)

// encodeDecisions is the body page writes for a list of decisions, written
// by hand: the same bytes encoding/json writes (decisions_json_test.go
// compares them), but without its reflection and without compacting each
// time's MarshalJSON, which were a fifth of a busy list's CPU. A value the
// hand encoder cannot write (a time outside years 0-9999) goes through
// encoding/json, which refuses it as page would.
func encodeDecisions(rows []decisions.Decision, limit int, at func(decisions.Decision) db.Cursor) ([]byte, error) {
	shown, next := rows, ""
	if len(rows) > limit {
		shown, next = rows[:limit], encodeCursor(at(rows[limit-1]))
	}
	buf := jsonBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledJSON {
			jsonBuffers.Put(buf)
		}
	}()
	b := append((*buf)[:0], `{"decisions":[`...)
	for i, d := range shown {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendDecision(b, d); !ok {
			*buf = b
			return pagedJSON("decisions", rows, limit, at)
		}
	}
	b = append(b, ']')
	if next != "" {
		b = append(b, `,"next_cursor":`...)
		b = appendJSONString(b, next)
	}
	b = append(b, "}\n"...)
	*buf = b
	return bytes.Clone(b), nil
}

// pagedJSON is page's body, through encoding/json.
func pagedJSON[T any](key string, rows []T, limit int, at func(T) db.Cursor) ([]byte, error) {
	b, err := json.Marshal(pageBody(key, rows, limit, at))
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", key, err)
	}
	return append(b, '\n'), nil
}

// jsonBuffers keep the lists' response buffers between requests: making
// one per response was a tenth of the bytes a busy list allocated, and
// the collector's work with it. Write copies out of b before it returns.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// maxPooledJSON is the largest buffer kept: a 500-row page's, about.
const maxPooledJSON = 1 << 20

// appendDecision appends d as encoding/json would, in its fields' order
// and with their omitempty; ok is false for a time it cannot encode.
func appendDecision(b []byte, d decisions.Decision) (_ []byte, ok bool) {
	ok = true
	str := func(key, v string) { b = append(b, key...); b = appendJSONString(b, v) }
	tm := func(key string, t time.Time) { b = append(b, key...); b, ok = appendJSONTime(b, t, ok) }
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, d.ID, 10)
	b = append(b, `,"owner_id":`...)
	b = strconv.AppendInt(b, d.OwnerID, 10)
	str(`,"owner":`, d.OwnerEmail)
	if d.OwnerName != "" {
		str(`,"owner_name":`, d.OwnerName)
	}
	if d.OccurrenceID != nil {
		b = append(b, `,"occurrence_id":`...)
		b = strconv.AppendInt(b, *d.OccurrenceID, 10)
	}
	str(`,"title":`, d.Title)
	str(`,"proposal":`, d.Proposal)
	str(`,"state":`, d.State)
	tm(`,"opens_at":`, d.OpensAt)
	tm(`,"closes_at":`, d.ClosesAt)
	b = append(b, `,"extensions":`...)
	b = strconv.AppendInt(b, int64(d.Extensions), 10)
	if d.ClosedAt != nil {
		tm(`,"closed_at":`, *d.ClosedAt)
	}
	if d.DecidedAt != nil {
		tm(`,"decided_at":`, *d.DecidedAt)
	}
	if d.Rationale != "" {
		str(`,"rationale":`, d.Rationale)
	}
	tm(`,"created_at":`, d.CreatedAt)
	tm(`,"updated_at":`, d.UpdatedAt)
	if d.Reason != "" {
		str(`,"reason":`, d.Reason)
	}
	return append(b, '}'), ok
}

// appendJSONTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds); ok turns false where MarshalJSON would fail.
func appendJSONTime(b []byte, t time.Time, ok bool) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), ok
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does by default:
// HTML's <, > and & escaped, invalid UTF-8 as U+FFFD, and U+2028 and
// U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
