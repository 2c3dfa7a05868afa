package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"meetingd/internal/errs"
)

// maxBody is the largest request body accepted, unless a handler says otherwise.
const maxBody = 1 << 20

// statuses maps error codes to HTTP statuses: the one table.
var statuses = map[string]int{
	errs.Invalid:      http.StatusBadRequest,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
	errs.TooLarge:     http.StatusRequestEntityTooLarge,
	errs.Unavailable:  http.StatusServiceUnavailable,
	errs.RateLimited:  http.StatusTooManyRequests,
	errs.Internal:     http.StatusInternalServerError,
}

// status is the HTTP status for err.
func status(err error) int {
	if s, ok := statuses[errs.Code(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// apiError writes err as {"error":{"code":...,"message":...}}. Internal
// errors are logged, and their detail kept from the client.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	code := errs.Code(err)
	if code == errs.Internal {
		s.Log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", logPath(r), "err", err)
	}
	setRetryAfter(w, err)
	writeJSON(w, status(err), map[string]any{"error": map[string]string{"code": code, "message": errs.Message(err)}})
}

// setRetryAfter tells a client that was refused for now when to try again.
func setRetryAfter(w http.ResponseWriter, err error) {
	switch errs.Code(err) {
	case errs.Unavailable:
		w.Header().Set("Retry-After", "1")
	case errs.RateLimited:
		secs := int(errs.RetryAfter(err).Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // compact: a tenth of a list's time went to indenting
}

// decode reads a JSON body of at most limit bytes into v, refusing unknown
// fields and trailing data, with errors that say what is wrong.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errs.Errorf(errs.Invalid, "Content-Type must be application/json, not %q", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return errs.Errorf(errs.Invalid, "request body has data after the JSON value")
	}
	return nil
}

// readBody reads a non-JSON body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	// Sized from Content-Length when it is given: growing by doubling, a
	// 25 MB upload left about twice that behind for the collector.
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + 1)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	b := buf.Bytes()
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errs.Errorf(errs.TooLarge, "request body is over %d bytes", tooBig.Limit)
	}
	if err != nil {
		return nil, errs.Errorf(errs.Invalid, "reading request body: %v", err)
	}
	return b, nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errs.Errorf(errs.TooLarge, "request body is over %d bytes", tooBig.Limit)
	case errors.As(err, &syntax):
		return errs.Errorf(errs.Invalid, "request body is not valid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return errs.Errorf(errs.Invalid, "field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return errs.Errorf(errs.Invalid, "request body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Errorf(errs.Invalid, "request body is truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errs.Errorf(errs.Invalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errs.Errorf(errs.Invalid, "request body: %v", err)
}

// pathID parses the path value name as a positive integer id.
func pathID(r *http.Request, name string) (int64, error) {
	var id int64
	s := r.PathValue(name)
	if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 || fmt.Sprint(id) != s {
		return 0, errs.Errorf(errs.Invalid, "%s %q is not a valid id", name, s)
	}
	return id, nil
}
