package people_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"meetingd/internal/apptest"
	"meetingd/internal/errs"
	"meetingd/internal/people"
)

var (
	ctx = context.Background()
	// Monday 2 November 2026, 10:00 UTC.
	t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
)

// A session's cookie value opens it until it expires or is ended; only a
// hash of it is stored, so a copy of the database opens nothing.
func TestSessions(t *testing.T) {
	a := apptest.New(t, t0)
	ana := a.Person("ana@example.com")
	value, err := people.StartSession(ctx, a.DB, ana.ID, t0)
	if err != nil {
		t.Fatal(err)
	}
	s, ok, err := people.LookupSession(ctx, a.DB, value, t0.Add(time.Hour))
	if err != nil || !ok || s.ID != ana.ID || s.Email != "ana@example.com" || len(s.CSRF) < 32 {
		t.Fatalf("lookup: %+v %v %v", s, ok, err)
	}
	other, _ := people.StartSession(ctx, a.DB, ana.ID, t0)
	if s2, _, _ := people.LookupSession(ctx, a.DB, other, t0); s2.CSRF == s.CSRF {
		t.Error("two sessions share a CSRF token")
	}
	var stored int
	a.DB.Get(&stored, `SELECT COUNT(*) FROM sessions WHERE hash = ? OR csrf = ?`, value, value)
	if stored != 0 {
		t.Error("the cookie value is stored as it is")
	}
	for name, v := range map[string]string{"empty": "", "unknown": "x" + value[1:], "truncated": value[:20]} {
		if _, ok, err := people.LookupSession(ctx, a.DB, v, t0); ok || err != nil {
			t.Errorf("%s value opened a session (%v)", name, err)
		}
	}
	if _, ok, _ := people.LookupSession(ctx, a.DB, value, t0.Add(people.SessionTTL)); ok {
		t.Error("a session outlived its TTL")
	}
	if err := people.EndSession(ctx, a.DB, value); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := people.LookupSession(ctx, a.DB, value, t0); ok {
		t.Error("an ended session still opens")
	}
	if _, ok, _ := people.LookupSession(ctx, a.DB, other, t0); !ok {
		t.Error("ending one session ended another")
	}
}

// An API token names its person; only its hash is stored, and any other
// string is refused as unauthorized.
func TestAPITokens(t *testing.T) {
	a := apptest.New(t, t0)
	ben := a.Person("ben@example.com")
	tok, err := people.NewToken(ctx, a.DB, ben.ID, "script", t0)
	if err != nil || !strings.HasPrefix(tok, "mtd_") || len(tok) < 40 {
		t.Fatalf("token %q: %v", tok, err)
	}
	if p, err := people.ByToken(ctx, a.DB, tok); err != nil || p.ID != ben.ID {
		t.Fatalf("ByToken: %+v %v", p, err)
	}
	var n int
	a.DB.Get(&n, `SELECT COUNT(*) FROM api_tokens WHERE hash = ?`, tok)
	if n != 0 {
		t.Error("the token is stored as it is")
	}
	for _, bad := range []string{"", "mtd_", tok + "x", strings.ToUpper(tok)} {
		if _, err := people.ByToken(ctx, a.DB, bad); errs.Code(err) != errs.Unauthorized {
			t.Errorf("token %q: %v", bad, err)
		}
	}
}

// "Due on a date" means the end of the owner's working day in their zone,
// on the days the clocks change too.
func TestEndOfWorkdayAcrossClockChanges(t *testing.T) {
	p := people.Person{TimeZone: "Europe/Berlin", WorkEnd: 17 * 60}
	for _, day := range []string{"2026-10-24", "2026-10-25", "2026-03-29"} {
		d, _ := time.Parse("2006-01-02", day)
		got := p.EndOfWorkday(d)
		if got.Format("2006-01-02 15:04") != day+" 17:00" {
			t.Errorf("%s ends at %s", day, got.Format("2006-01-02 15:04 MST"))
		}
	}
}

// After signing in, a person goes back only to a page of this site.
func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{"/decisions?state=open": "/decisions?state=open", "": "/",
		"https://evil.example/": "/", "//evil.example/": "/", "/\\evil.example": "/"} {
		if got := people.SafeNext(next); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
