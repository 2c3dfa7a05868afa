package calendar

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
)

// A subscription URL is a secret: Outlook, Fastmail, iCloud and Google
// put the key to the calendar in its path or query, and anyone who has it
// reads every event. It is stored as given and used only to fetch; every
// log line, error, API answer and page shows it redacted.

// RedactURL is raw as it may be shown: its scheme and host, then a short
// fingerprint of the whole URL, so an operator can tell two subscriptions
// to the same host apart ("https://outlook.office365.com/…#3f9a0c1e")
// without learning anything that opens either.
func RedactURL(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	fp := hex.EncodeToString(sum[:4])
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL)…#" + fp
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host + "/…#" + fp
}

// redactErr rewrites an HTTP client error that quotes the address it
// fetched, target (a *url.Error does: `Get "https://…secret…": …`), to
// quote the redacted form of raw, the URL as the operator gave it, so the
// error names the same fingerprint as the subscription (webcal:// is
// fetched as https://). What went wrong is kept; errors from further
// down (dial, TLS) name only the host.
func redactErr(err error, raw, target string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(raw), Err: scrub(ue.Err, raw, target)}
	}
	return scrub(err, raw, target)
}

// scrub drops raw and target from err's text, should some layer have
// quoted either.
func scrub(err error, raw, target string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, secret := range []string{raw, target} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, RedactURL(raw))
		}
	}
	if msg == err.Error() {
		return err
	}
	return scrubbed{msg: msg, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s scrubbed) Error() string { return s.msg }

// Unwrap keeps the cause for errors.Is (a timeout, a cancelled context);
// only its text is replaced.
func (s scrubbed) Unwrap() error { return s.err }
