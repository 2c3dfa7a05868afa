package web

import (
	"strings"

	"meetingd/internal/errs"
)

// fieldErrors are a dashboard form's problems by field name, shown beside
// the field when the form comes back with what was typed; "" is the form
// as a whole.
type fieldErrors map[string]string

// fieldPrefix files a service's message under a form field: the services
// name the field their message is about at its start ("window 1h is
// shorter..."), and the form shows it there.
type fieldPrefix struct{ prefix, field string }

// file records err beside its field when it is bad input the person can
// fix, and reports whether it did; any other error is the caller's to
// show as an error page.
func (fe fieldErrors) file(err error, prefixes []fieldPrefix) bool {
	if errs.Code(err) != errs.Invalid {
		return false
	}
	msg := errs.Message(err)
	for _, p := range prefixes {
		if strings.HasPrefix(msg, p.prefix) {
			fe.set(p.field, msg)
			return true
		}
	}
	fe.set("", msg)
	return true
}

// set keeps the first problem of a field: fixing it may clear the rest.
func (fe fieldErrors) set(field, msg string) {
	if _, ok := fe[field]; !ok {
		fe[field] = msg
	}
}

// formLines are the non-empty, trimmed lines of a textarea, each with its
// line number as the person sees it.
func formLines(text string) (lines []string, numbers []int) {
	for i, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines, numbers = append(lines, l), append(numbers, i+1)
		}
	}
	return lines, numbers
}
