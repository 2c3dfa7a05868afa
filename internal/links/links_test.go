package links

import (
	"strings"
	"testing"
	"time"

	"meetingd/internal/errs"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func TestSignedLinks(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner([]byte(strings.Repeat("o", 32)))
	tok := s.Sign(Claims{Action: "publish", Subject: 12, Person: 3, Expires: t0.Add(time.Hour)})
	c, err := s.Verify(tok, "publish", t0)
	if err != nil || c.Subject != 12 || c.Person != 3 {
		t.Fatalf("verify: %+v %v", c, err)
	}
	flip := []byte(tok)
	flip[3] ^= 1
	for name, tc := range map[string]struct {
		token, action string
		now           time.Time
		says          string
	}{
		"expired":      {tok, "publish", t0.Add(time.Hour), "expired"},
		"wrong action": {tok, "notes", t0, "is for"},
		"tampered":     {string(flip), "publish", t0, ""},
		"other key":    {other.Sign(Claims{Action: "publish", Subject: 12, Person: 3, Expires: t0.Add(time.Hour)}), "publish", t0, "signature"},
		"garbage":      {"nope", "publish", t0, "malformed"},
		"empty":        {"", "publish", t0, "malformed"},
	} {
		_, err := s.Verify(tc.token, tc.action, tc.now)
		if errs.Code(err) != errs.Unauthorized || !strings.Contains(errs.Message(err), tc.says) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}
