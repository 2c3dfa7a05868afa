package web_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"meetingd/internal/people"
)

// settingsPrefs is what ana has stored.
func settingsPrefs(t *testing.T, ta *testApp, email string) people.Preferences {
	t.Helper()
	p, err := people.ByEmail(context.Background(), ta.DB, email)
	if err != nil {
		t.Fatal(err)
	}
	return p.Preferences()
}

// settingsPost opens path's form for its CSRF token and posts form with it
// (csrf "" in form leaves it out; a value there is sent as it is).
func settingsPost(t *testing.T, ta *testApp, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	if _, ok := form["csrf"]; !ok {
		_, page := ta.page(t, c, "/settings")
		form.Set("csrf", htmlUnescape(csrfRE.FindStringSubmatch(page)[1]))
	} else if form.Get("csrf") == "" {
		form.Del("csrf")
	}
	resp, err := c.PostForm(ta.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(resp)
}

// settingsGood is a whole, valid settings form.
func settingsGood() url.Values {
	return url.Values{"name": {"Ana Example"}, "time_zone": {"Asia/Tokyo"}, "work_start": {"08:30"},
		"work_end": {"16:00"}, "work_days": {"mon", "wed", "sat"}, "digest": {"daily"}}
}

// The settings form saves every field, shows them saved, and the nav then
// names the person instead of their address.
func TestSettingsSavesEachField(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Token("ana@example.com")
	c := ta.signIn(t, "ana@example.com")
	code, page := ta.page(t, c, "/settings")
	if code != 200 || !strings.Contains(page, `value="UTC"`) || !strings.Contains(page, `<span id="me" title="ana@example.com">ana@example.com</span>`) {
		t.Fatalf("settings page: %d\n%s", code, page)
	}
	for _, label := range []string{`for="name"`, `for="time_zone"`, `for="work_start"`, `for="work_end"`, `for="feed-url"`} {
		if !strings.Contains(page, label) {
			t.Errorf("no label %s", label)
		}
	}
	resp, body := settingsPost(t, ta, c, "/settings", settingsGood())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?done=saved" {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	want := people.Preferences{Name: "Ana Example", TimeZone: "Asia/Tokyo", WorkStart: "08:30", WorkEnd: "16:00",
		WorkDays: []string{"mon", "wed", "sat"}, Digest: true}
	got := settingsPrefs(t, ta, "ana@example.com")
	want.ID, want.Email = got.ID, got.Email
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v\nwant   %+v", got, want)
	}
	_, page = ta.page(t, c, "/settings?done=saved")
	for _, s := range []string{`id="done"`, `value="Ana Example"`, `value="Asia/Tokyo"`, `value="08:30"`, `value="16:00"`,
		`value="mon" checked`, `value="wed" checked`, `value="sat" checked`, `value="tue">`, `value="daily" checked`,
		`value="single">`, `<span id="me" title="ana@example.com">Ana Example</span>`, `Times in Asia/Tokyo`} {
		if !strings.Contains(page, s) {
			t.Errorf("saved settings page lacks %s", s)
		}
	}
	// The nav names her on every page, at once.
	if _, page = ta.page(t, c, "/decisions"); !strings.Contains(page, `<span id="me" title="ana@example.com">Ana Example</span>`) {
		t.Errorf("the nav does not show the display name:\n%s", page)
	}
	// Each field changes again; an empty name falls back to the address.
	form := url.Values{"name": {""}, "time_zone": {"America/New_York"}, "work_start": {"07:00"}, "work_end": {"19:45"},
		"work_days": {"sun"}, "digest": {"single"}}
	if resp, body = settingsPost(t, ta, c, "/settings", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second save: %d %s", resp.StatusCode, body)
	}
	want = people.Preferences{ID: got.ID, Email: got.Email, TimeZone: "America/New_York", WorkStart: "07:00", WorkEnd: "19:45",
		WorkDays: []string{"sun"}}
	if got = settingsPrefs(t, ta, "ana@example.com"); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v\nwant   %+v", got, want)
	}
	if _, page = ta.page(t, c, "/decisions"); !strings.Contains(page, `<span id="me" title="ana@example.com">ana@example.com</span>`) {
		t.Errorf("with no name, the nav does not fall back to the address")
	}
}

// Without the session's CSRF token the form is refused and nothing stored.
func TestSettingsNeedCSRF(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Token("ana@example.com")
	c := ta.signIn(t, "ana@example.com")
	before := settingsPrefs(t, ta, "ana@example.com")
	_, page := ta.page(t, c, "/settings")
	feed := settingsFeedAddress(t, page)
	for name, tok := range map[string]string{"missing": "", "wrong": "0123456789abcdef"} {
		for _, path := range []string{"/settings", "/settings/feed"} {
			form := settingsGood()
			form.Set("csrf", tok)
			if resp, _ := settingsPost(t, ta, c, path, form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s CSRF token on %s: %d", name, path, resp.StatusCode)
			}
		}
	}
	if after := settingsPrefs(t, ta, "ana@example.com"); !reflect.DeepEqual(after, before) {
		t.Errorf("stored without CSRF: %+v", after)
	}
	if _, page = ta.page(t, c, "/settings"); settingsFeedAddress(t, page) != feed {
		t.Errorf("the feed was rotated without CSRF")
	}
}

// Bad input re-renders the form, as typed, with the message beside the
// field it is about, answers 400, and stores nothing.
func TestSettingsRefuseBadInput(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Token("ana@example.com")
	c := ta.signIn(t, "ana@example.com")
	before := settingsPrefs(t, ta, "ana@example.com")
	for _, tc := range []struct {
		name, field, key, value, message string
	}{
		{"unknown zone", "time_zone", "time_zone", "Mars/Olympus", "Time zone &#34;Mars/Olympus&#34; is not an IANA time zone"},
		{"end before start", "work_end", "work_end", "07:00", "End must be after start"},
		{"end at start", "work_end", "work_end", "08:30", "End must be after start"},
		{"not a time", "work_start", "work_start", "25:00", "Start &#34;25:00&#34; is not a time of day like 09:00"},
		{"no working day", "work_days", "work_days", "", "Working days: choose at least one working day"},
		{"unknown day", "work_days", "work_days", "funday", "Working days: &#34;funday&#34; is not one of mon"},
		{"control character in the name", "name", "name", "Ana\x07", "Display name has a control character"},
		{"no email choice", "digest", "digest", "", "Emails: choose a daily digest or single emails"},
	} {
		form := settingsGood()
		form.Set("name", "Ana Typed")
		if tc.value == "" {
			form.Del(tc.key)
		} else {
			form.Set(tc.key, tc.value)
		}
		resp, page := settingsPost(t, ta, c, "/settings", form)
		msg := regexp.MustCompile(`id="` + tc.field + `-error">([^<]*)<`).FindStringSubmatch(page)
		if resp.StatusCode != http.StatusBadRequest || msg == nil || !strings.Contains(msg[1], tc.message) {
			t.Errorf("%s: %d, message %q, want %q beside %s", tc.name, resp.StatusCode, msg, tc.message, tc.field)
			continue
		}
		if n := strings.Count(page, `class="error"`); n != 1 {
			t.Errorf("%s: %d messages", tc.name, n)
		}
		if tc.key != "name" && !strings.Contains(page, `value="Ana Typed"`) {
			t.Errorf("%s: the form lost what was typed", tc.name)
		}
		if after := settingsPrefs(t, ta, "ana@example.com"); !reflect.DeepEqual(after, before) {
			t.Errorf("%s: stored %+v", tc.name, after)
		}
	}
}

var settingsFeedRE = regexp.MustCompile(`id="feed-url" class="wide" value="([^"]+)"`)

// settingsFeedAddress is the feed address a settings page shows.
func settingsFeedAddress(t *testing.T, page string) string {
	t.Helper()
	m := settingsFeedRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no feed address on the page:\n%s", page)
	}
	return htmlUnescape(m[1])
}

// The settings page shows the feed address the API gives, and its button
// replaces it: the old address stops working, the new one works.
func TestSettingsRotateFeed(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta) // something in ana's feed: an empty one fails to encode (calendar.Feed), apart from this page
	tok := ta.Token("ana@example.com")
	c := ta.signIn(t, "ana@example.com")
	_, page := ta.page(t, c, "/settings")
	old := settingsFeedAddress(t, page)
	var api struct{ URL string }
	if code := ta.Call("GET", "/api/v1/me/feed", tok, "", nil, &api); code != 200 || api.URL != old {
		t.Fatalf("API feed %d %q, page shows %q", code, api.URL, old)
	}
	resp, body := settingsPost(t, ta, c, "/settings/feed", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?done=feed#feed" {
		t.Fatalf("rotate: %d %s", resp.StatusCode, body)
	}
	_, page = ta.page(t, c, "/settings?done=feed")
	fresh := settingsFeedAddress(t, page)
	if fresh == old || !strings.Contains(page, "the old one no longer works") {
		t.Fatalf("address after rotating: %q (was %q)", fresh, old)
	}
	for addr, want := range map[string]int{old: 404, fresh: 200} {
		if code, _ := ta.page(t, browser(), strings.TrimPrefix(addr, ta.URL)); code != want {
			t.Errorf("GET %s: %d, want %d", addr, code, want)
		}
	}
}

// The zone list holds only zones that load, the common ones among them;
// the script that suggests the browser's zone is a file, as the CSP wants.
func TestSettingsZonesAndScript(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Token("ana@example.com")
	_, page := ta.page(t, ta.signIn(t, "ana@example.com"), "/settings")
	zones := regexp.MustCompile(`<option value="([^"]+)">`).FindAllStringSubmatch(page, -1)
	if len(zones) < 400 || !strings.Contains(page, `<option value="Europe/Berlin">`) || !strings.Contains(page, `<option value="UTC">`) {
		t.Fatalf("%d zones listed", len(zones))
	}
	for _, z := range zones {
		if _, err := time.LoadLocation(z[1]); err != nil {
			t.Errorf("listed zone %s: %v", z[1], err)
		}
	}
	if strings.Contains(page, "<script>") || !strings.Contains(page, `<script src="/static/settings.js" defer></script>`) {
		t.Errorf("the page's script is not the static file")
	}
	resp, err := http.Get(ta.URL + "/static/settings.js")
	if err != nil {
		t.Fatal(err)
	}
	js := readAll(resp)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(js, "resolvedOptions().timeZone") {
		t.Errorf("settings.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
