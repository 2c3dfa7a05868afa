package web

// FuzzDecode fuzzes the one JSON decoder every API endpoint uses, alone
// and fast, for each request type (fuzz_test.go sends bodies through the
// endpoints). A body is either refused with an error the one table maps
// to a 4xx, or decoded into a value that encodes and decodes back to
// itself: the decoder never panics, never answers 500, and what it takes
// is what a client can send again.

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"meetingd/calendar"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// requestTypes make a fresh value of each body the API decodes; the
// anonymous bodies of single handlers are written out as they are there.
var requestTypes = []func() any{
	func() any { return new(calendar.EventInput) },
	func() any { return new(newDecision) },
	func() any { return new(decisionBody) },
	func() any { return new(meetings.SectionPatch) },
	func() any { return new(meetings.AttendancePatch) },
	func() any { return new(meetings.ActionItemInput) },
	func() any { return new(people.Patch) },
	func() any {
		return new(struct {
			PreRead *string `json:"pre_read"`
		})
	},
	func() any {
		return new(struct {
			URL string `json:"url"`
		})
	},
	func() any {
		return new(struct {
			Done *bool `json:"done"`
		})
	},
}

func FuzzDecode(f *testing.F) {
	for i, body := range []string{
		`{"title":"Sync","start":"2026-11-05T10:00:00+01:00","end":"2026-11-05T11:00:00Z","attendees":[{"email":"a@example.com"}]}`,
		`{"title":"t","proposal":"p","invitees":["a@example.com"],"window":"72h","occurrence_id":3}`,
		`{"kind":"objection","text":"no","reply":"r","outcome":"accepted","rationale":"why"}`,
		`{"notes":"n","agenda":null}`,
		`{"email":"a@example.com","attendance":"present","rsvp":"accepted"}`,
		`{"owner":"a@example.com","text":"do","due":"2026-11-06T10:00:00Z"}`,
		`{"name":"A","work_days":["mon"],"digest":true}`,
		`{"pre_read":"read"}`, `{"url":"https://x.example"}`, `{"done":true}`,
	} {
		f.Add(uint8(i), []byte(body))
		f.Add(uint8(i), []byte(body+"{}"))
		f.Add(uint8(i+1), []byte(body))
	}
	f.Add(uint8(0), []byte(`{"start":"99999-01-01T00:00:00Z"}`))
	f.Add(uint8(6), []byte(`{"work_days":[1]}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		v := requestTypes[int(which)%len(requestTypes)]()
		err := decodeBytes(body, v)
		if err != nil {
			if s := status(err); s < 400 || s >= 500 || errs.Message(err) == "" {
				t.Fatalf("refused with %d %q: %v", s, errs.Message(err), err)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("decoded %#v, which does not encode: %v", v, err)
		}
		w := requestTypes[int(which)%len(requestTypes)]()
		if err := decodeBytes(again, w); err != nil {
			t.Fatalf("decoded %#v; its encoding %s is refused: %v", v, again, err)
		}
		if twice, _ := json.Marshal(w); !bytes.Equal(again, twice) {
			t.Fatalf("decoding is not stable: %s, then %s", again, twice)
		}
	})
}

// decodeBytes runs decode on body as a request would bring it.
func decodeBytes(body []byte, v any) error {
	r := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return decode(httptest.NewRecorder(), r, maxBody, v)
}
