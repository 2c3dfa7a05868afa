// Package errs is meetingd's one error type: a code a caller can act on and a
// message a person can read. internal/web maps codes to HTTP statuses in one table.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Codes callers act on.
const (
	Invalid      = "invalid"      // the input is wrong; the message names what
	NotFound     = "not_found"    // no such thing, or not visible to the caller
	Conflict     = "conflict"     // the request contradicts current state
	Unauthorized = "unauthorized" // no or bad credentials
	Forbidden    = "forbidden"    // credentials fine, access refused
	TooLarge     = "too_large"    // the request body is over the limit
	Unavailable  = "unavailable"  // busy now: the same request may succeed in a moment
	RateLimited  = "rate_limited" // too many of these lately: try again after RetryAfter
	Internal     = "internal"     // our fault
)

// Error is an application error with a code and a human message.
type Error struct {
	Code    string
	Message string
	// RetryAfter, for RateLimited, is how long until the same request
	// would be taken.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RetryAfter is how long err says to wait before trying again: 0 when it
// does not say.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Code returns the code of the first *Error in err's chain, Internal for any
// other non-nil error, and "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns the message of the first *Error in err's chain; other
// errors get a generic message so internals never reach a user.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
