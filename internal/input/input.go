// Package input checks the text people send meetingd, the same way for
// every field: no control characters (a CR or LF in a title once broke
// every invitee's calendar feed), and a length limit per kind of field.
// Text from imported calendars is cleaned instead of refused: one odd
// event must not stop a whole calendar.
package input

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"meetingd/internal/errs"
)

// Limits, in bytes; README's "Limits" table lists them.
const (
	MaxLine  = 300      // a title or other one-line field
	MaxName  = 200      // a person's name
	MaxText  = 64 << 10 // a proposal, pre-read, notes heading, contribution
	MaxURL   = 2048
	MaxEmail = 254
)

// Line checks a one-line field: trimmed, at most max bytes, no control
// characters at all.
func Line(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if err := check(field, v, max, false); err != nil {
		return "", err
	}
	return v, nil
}

// Text checks a multi-line field: line breaks and tabs are fine, other
// control characters are not.
func Text(field, v string, max int) (string, error) {
	v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
	if err := check(field, v, max, true); err != nil {
		return "", err
	}
	return v, nil
}

func check(field, v string, max int, multiline bool) error {
	if len(v) > max {
		return errs.Errorf(errs.Invalid, "%s is %d bytes; at most %d", field, len(v), max)
	}
	if !utf8.ValidString(v) {
		return errs.Errorf(errs.Invalid, "%s is not valid UTF-8", field)
	}
	for i, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return errs.Errorf(errs.Invalid, "%s has a control character (%U) at byte %d; remove it", field, r, i)
		}
	}
	return nil
}

// CleanLine makes text from elsewhere (an imported calendar) fit a
// one-line field: control characters become spaces, and it is cut to max
// bytes on a character boundary.
func CleanLine(v string, max int) string {
	return cut(strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(v, "\uFFFD"))), max)
}

// CleanText is CleanLine for multi-line fields: line breaks stay.
func CleanText(v string, max int) string {
	v = strings.ReplaceAll(v, "\r\n", "\n")
	return cut(strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(v, "\uFFFD"))), max)
}

func cut(v string, max int) string {
	if len(v) <= max {
		return v
	}
	for max > 0 && !utf8.RuneStart(v[max]) {
		max--
	}
	return v[:max]
}
