package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// Lists page by cursor: each page holds up to limit rows (50 unless the
// request asks for 1 to 500), and next_cursor, when there are more, is
// where the next page starts.

const (
	defaultLimit = 50
	maxLimit     = 500
)

// pageParams reads ?limit= and ?cursor=.
func pageParams(r *http.Request) (*db.Cursor, int, error) {
	q := r.URL.Query()
	limit := defaultLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return nil, 0, errs.Errorf(errs.Invalid, "limit %q must be a number from 1 to %d", l, maxLimit)
		}
		limit = n
	}
	c, err := parseCursor(q.Get("cursor"))
	return c, limit, err
}

// encodeCursor writes a position for a response: nanoseconds, then the id.
func encodeCursor(c db.Cursor) string { return fmt.Sprintf("%d.%d", c.At.UnixNano(), c.ID) }

func parseCursor(s string) (*db.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	at, id, ok := strings.Cut(s, ".")
	ns, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, errs.Errorf(errs.Invalid, "cursor %q is not one this API returned", s)
	}
	return &db.Cursor{At: time.Unix(0, ns).UTC(), ID: n}, nil
}

// page answers one page of a list fetched with limit+1 rows: the first
// limit under key, and the cursor of the last one shown if more follow.
func page[T any](w http.ResponseWriter, key string, rows []T, limit int, at func(T) db.Cursor) {
	writeJSON(w, http.StatusOK, pageBody(key, rows, limit, at))
}

// pageBody is what page answers: the first limit rows under key, and the
// cursor to the next when there are more.
func pageBody[T any](key string, rows []T, limit int, at func(T) db.Cursor) map[string]any {
	resp := map[string]any{key: list(rows)}
	if len(rows) > limit {
		resp[key] = rows[:limit]
		resp["next_cursor"] = encodeCursor(at(rows[limit-1]))
	}
	return resp
}

// list is rows, or an empty list rather than nil: JSON clients get [] for
// "none", never null.
func list[T any](rows []T) []T {
	if rows == nil {
		return []T{}
	}
	return rows
}
