package web_test

// Fuzz targets for the JSON API's request bodies, one per request type.
// Each sends the fuzzer's body to the real endpoint of a whole app (in
// process, no network), so the shared decoder and the validation behind it
// are tested together. Whatever the body, the answer is either refused
// with the one JSON error shape and a 4xx status, or accepted with values
// the validation layer allows: never a 500, never a panic. The f.Add seeds
// run as ordinary tests; `go test -fuzz FuzzAPIEvent ./internal/web` fuzzes.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
)

// fuzzApp is an app for one fuzz target, with a meeting (ana organizes,
// ben and cy attend) and an open decision ben has contributed to.
type fuzzApp struct {
	*testApp
	occ, decision, contribution, actionItem int64
	ana, ben                                string
}

func newFuzzApp(f *testing.F) *fuzzApp {
	// Rate limits are off: a fuzzer posts faster than anyone types, and a
	// 429 would stop its bodies reaching validation.
	ta := newTestApp(f, "", t0, apptest.Config(func(c *app.Config) { c.Limits = app.Limits{} }))
	fa := &fuzzApp{testApp: ta, ana: ta.Token("ana@example.com"), ben: ta.Token("ben@example.com")}
	fa.create("/api/v1/events", fa.ana, `{"title":"Roadmap","start":"2026-11-04T10:00:00Z","end":"2026-11-04T11:00:00Z",
		"uid":"fuzz-event","attendees":[{"email":"ben@example.com"},{"email":"cy@example.com","role":"speaker"}]}`, "")
	fa.occ = fa.lastID("occurrences")
	fa.decision = fa.create("/api/v1/decisions", fa.ana, `{"title":"Ship it","proposal":"We ship.","invitees":["ben@example.com"]}`, "id")
	fa.contribution = fa.create(fmt.Sprintf("/api/v1/decisions/%d/contributions", fa.decision), fa.ben, `{"kind":"comment","text":"Fine."}`, "id")
	fa.actionItem = fa.create(fmt.Sprintf("/api/v1/occurrences/%d/action-items", fa.occ), fa.ana,
		`{"owner":"ben@example.com","text":"Write it up","due":"2026-11-06T10:00:00Z"}`, "id")
	return fa
}

// create POSTs body and answers the number under key in the answer.
func (fa *fuzzApp) create(path, token, body, key string) int64 {
	var out map[string]any
	if code := fa.Call("POST", path, token, "application/json", body, &out); code/100 != 2 {
		fa.T.Fatalf("set up %s: %d %v", path, code, out)
	}
	n, _ := out[key].(float64)
	return int64(n)
}

func (fa *fuzzApp) lastID(table string) int64 {
	var id int64
	if err := fa.DB.Get(&id, `SELECT MAX(id) FROM `+table); err != nil {
		fa.T.Fatal(err)
	}
	return id
}

// fuzzBody sends body to the endpoint, checks the answer and returns it.
func (fa *fuzzApp) fuzzBody(t *testing.T, method, path, token string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	fa.Srv.Config.Handler.ServeHTTP(rec, req)
	checkAnswer(t, rec.Code, rec.Body.Bytes())
	return rec
}

// checkEvent reads back the event an accepted body wrote: the answer to a
// write holds only counts, and the values stored are what matter.
func (fa *fuzzApp) checkEvent(t *testing.T, rec *httptest.ResponseRecorder) {
	var out struct{ UID string }
	if rec.Code/100 != 2 || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.UID == "" {
		return
	}
	if got := fa.fuzzBody(t, "GET", "/api/v1/events/"+url.PathEscape(out.UID), fa.ana, nil); got.Code != 200 {
		t.Fatalf("accepted event %q reads back as %d: %s", out.UID, got.Code, got.Body)
	}
}

// checkAnswer fails on a 5xx, on a 4xx without the one error shape, and on
// an accepted body that let a control character through.
func checkAnswer(t *testing.T, code int, body []byte) {
	t.Helper()
	switch {
	case code >= 500:
		t.Fatalf("status %d: %s", code, body)
	case code >= 400:
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Code == "internal" || e.Error.Message == "" {
			t.Fatalf("status %d without a JSON error naming the problem: %s", code, body)
		}
	case code >= 200 && code < 300:
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %v", code, err)
		}
		if bad := badString(v); bad != "" {
			t.Fatalf("accepted %q, which the input layer refuses", bad)
		}
	default:
		t.Fatalf("status %d", code)
	}
}

// badString finds a string in v the input layer would refuse: invalid
// UTF-8, or a control character other than a line break or tab.
func badString(v any) string {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool {
			return unicode.IsControl(r) && r != '\n' && r != '\t'
		}) {
			return v
		}
	case []any:
		for _, e := range v {
			if s := badString(e); s != "" {
				return s
			}
		}
	case map[string]any:
		for _, e := range v {
			if s := badString(e); s != "" {
				return s
			}
		}
	}
	return ""
}

// addSeeds adds bodies that reach the decoder's edges: valid, wrong
// types, unknown fields, trailing data, empty and truncated.
func addSeeds(f *testing.F, valid ...string) {
	for _, s := range valid {
		f.Add([]byte(s))
		f.Add([]byte(s + s))              // data after the value
		f.Add([]byte(s[:len(s)/2]))       // truncated
		f.Add([]byte(strings.ToUpper(s))) // unknown fields
	}
	for _, s := range []string{"", "null", "[]", `"x"`, "{}", `{"x":1}`, "\x00", "{\"title\":\"a\rb\"}", strings.Repeat("[", 10000)} {
		f.Add([]byte(s))
	}
}

func FuzzAPIEvent(f *testing.F) {
	addSeeds(f,
		`{"title":"Sync","start":"2026-11-05T10:00:00Z","end":"2026-11-05T11:00:00Z","attendees":[{"email":"ben@example.com"}]}`,
		`{"title":"Weekly","description":"line\nnext","start":"2026-11-05T10:00:00+01:00","end":"2026-11-05T10:30:00+01:00",`+
			`"time_zone":"Europe/Berlin","attendees":[{"email":"cy@example.com","name":"Cy","role":"speaker"}],"recurrence":["RRULE:FREQ=WEEKLY;COUNT=3"],"private":true}`,
		`{"title":"x\u0007","start":"9999-01-01T10:00:00Z","end":"0001-01-01T10:00:00Z","attendees":[{"email":"not an email","role":"boss"}]}`,
		`{"title":"Daily","start":"2026-11-05T10:00:00Z","end":"2026-11-05T11:00:00Z","attendees":[],"recurrence":["RRULE:FREQ=SECONDLY"]}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.checkEvent(t, fa.fuzzBody(t, "POST", "/api/v1/events", fa.ana, body))
		fa.checkEvent(t, fa.fuzzBody(t, "PUT", "/api/v1/events/fuzz-event", fa.ana, body))
	})
}

func FuzzAPIDecision(f *testing.F) {
	addSeeds(f,
		`{"title":"Adopt Go","proposal":"We adopt Go.","invitees":["ben@example.com"],"window":"72h"}`,
		`{"title":"From the meeting","proposal":"Yes","occurrence_id":1,"owner":"ben@example.com"}`,
		`{"title":"t","proposal":"p","window":"2562047h"}`,
		`{"title":"t","proposal":"p","window":"-1s","occurrence_id":-1}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "POST", "/api/v1/decisions", fa.ana, body)
	})
}

// FuzzAPIContribution covers decisionBody, which every decision action
// decodes; contributing and editing reach its text the most.
func FuzzAPIContribution(f *testing.F) {
	addSeeds(f,
		`{"kind":"objection","text":"Too soon."}`,
		`{"kind":"comment","text":"ok","reply":"r","outcome":"accepted","rationale":"why"}`,
		`{"kind":"support","text":""}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		d := fmt.Sprintf("/api/v1/decisions/%d/contributions", fa.decision)
		fa.fuzzBody(t, "POST", d, fa.ben, body)
		fa.fuzzBody(t, "PATCH", fmt.Sprintf("%s/%d", d, fa.contribution), fa.ben, body)
	})
}

func FuzzAPINotes(f *testing.F) {
	addSeeds(f,
		`{"pre_read":"Read this","agenda":"1. Intro\n2. Plan","notes":"n","decisions":"d","action_items":"a"}`,
		`{"notes":null}`, `{"agenda":"tab\there"}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "PATCH", fmt.Sprintf("/api/v1/occurrences/%d/notes", fa.occ), fa.ana, body)
	})
}

func FuzzAPIPublish(f *testing.F) {
	addSeeds(f, `{"pre_read":"Please read the plan."}`, `{"pre_read":null}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/publish", fa.occ), fa.ana, body)
	})
}

func FuzzAPIAttendance(f *testing.F) {
	addSeeds(f, `{"email":"ben@example.com","attendance":"present"}`, `{"email":"cy@example.com","rsvp":"declined"}`,
		`{"email":"zed@example.com","attendance":"maybe","rsvp":"x"}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "PUT", fmt.Sprintf("/api/v1/occurrences/%d/attendance", fa.occ), fa.ana, body)
	})
}

func FuzzAPIRecording(f *testing.F) {
	addSeeds(f, `{"url":"https://video.example.com/r/1"}`, `{"url":"javascript:alert(1)"}`, `{"url":""}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "PUT", fmt.Sprintf("/api/v1/occurrences/%d/recording", fa.occ), fa.ana, body)
	})
}

func FuzzAPIActionItem(f *testing.F) {
	due := t0.Add(72 * time.Hour).Format(time.RFC3339)
	addSeeds(f, `{"owner":"ben@example.com","text":"Send the plan","due":"`+due+`"}`,
		`{"owner":"zed@example.com","text":"x","due":"0001-01-01T00:00:00Z"}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/action-items", fa.occ), fa.ana, body)
	})
}

func FuzzAPIActionItemDone(f *testing.F) {
	addSeeds(f, `{"done":true}`, `{"done":false}`, `{"done":"yes"}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "PATCH", fmt.Sprintf("/api/v1/action-items/%d", fa.actionItem), fa.ben, body)
	})
}

func FuzzAPIMe(f *testing.F) {
	addSeeds(f, `{"name":"Ana A.","time_zone":"Europe/Berlin","work_start":"09:00","work_end":"17:00","work_days":["mon","fri"],"digest":true}`,
		`{"time_zone":"Mars/Olympus","work_start":"25:00","work_days":["someday"]}`)
	fa := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.fuzzBody(t, "PATCH", "/api/v1/me", fa.ana, body)
	})
}
