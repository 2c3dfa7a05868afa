package input

import (
	"strings"
	"testing"
	"unicode/utf8"

	"meetingd/internal/errs"
)

func TestLineRefusesControlCharactersAndLength(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // error part; "" for accepted
	}{
		{"  Roadmap  ", ""},
		{"x\rY", "title has a control character (U+000D) at byte 1"},
		{"x\nY", "U+000A"},
		{"x\x00", "U+0000"},
		{"bell\a", "U+0007"},
		{strings.Repeat("a", MaxLine+1), "title is 301 bytes; at most 300"},
		{"\xff", "not valid UTF-8"},
	} {
		got, err := Line("title", tc.in, MaxLine)
		switch {
		case tc.want == "" && (err != nil || got != strings.TrimSpace(tc.in)):
			t.Errorf("%q: %q, %v", tc.in, got, err)
		case tc.want != "" && (err == nil || errs.Code(err) != errs.Invalid || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want an invalid error with %q", tc.in, err, tc.want)
		}
	}
}

func TestTextKeepsLineBreaksOnly(t *testing.T) {
	if got, err := Text("proposal", "one\r\ntwo\tthree", MaxText); err != nil || got != "one\ntwo\tthree" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := Text("proposal", "one\rtwo", MaxText); err == nil {
		t.Fatal("a bare CR was taken")
	}
	if _, err := Text("proposal", "esc\x1b[31m", MaxText); err == nil {
		t.Fatal("an escape sequence was taken")
	}
}

func TestCleanKeepsImportedTextUsable(t *testing.T) {
	if got := CleanLine("Sync\r\nX-Injected: 1", MaxLine); got != "Sync  X-Injected: 1" {
		t.Fatalf("%q", got)
	}
	long := strings.Repeat("é", 200) // 400 bytes
	if got := CleanLine(long, 301); len(got) > 301 || !utf8.ValidString(got) {
		t.Fatalf("cut to %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if got := CleanText("a\r\nb\x00c", MaxText); got != "a\nb c" {
		t.Fatalf("%q", got)
	}
}
