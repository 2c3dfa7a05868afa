package web

import (
	"net/http"
	"strconv"

	"meetingd/decisions"
	"meetingd/internal/db"
)

// maxKeptRows is the longest list page kept (about 60 KB of JSON). Longer
// pages are rare and read through, so the kept bodies stay a few
// megabytes however lists are asked for.
const maxKeptRows = 200

// decisionList answers a page of a decision list, read with read (given
// the cursor and limit+1) and encoded by hand. The body is kept until the
// database changes (db.Reads): a list polled by many clients is read and
// encoded once per change, not once per request. What it depends on
// besides the database is in its key: the reader, the request, and the
// second (needs-input leaves out decisions past their deadline).
func (s *Server) decisionList(w http.ResponseWriter, r *http.Request, at func(decisions.Decision) db.Cursor,
	read func(after *db.Cursor, limit int) ([]decisions.Decision, error)) {
	after, limit, err := pageParams(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	encode := func() ([]byte, error) {
		rows, err := read(after, limit+1)
		if err != nil {
			return nil, err
		}
		return encodeDecisions(rows, limit, at)
	}
	var body []byte
	if limit > maxKeptRows {
		body, err = encode()
	} else {
		body, err = s.listBodies.Get(r.Context(), s.DB, s.listKey(r), encode)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeOK(w, "application/json; charset=utf-8", body)
}

// listKey is who asks for which list, and when, to the second.
func (s *Server) listKey(r *http.Request) string {
	a := actor(r)
	return s.keptKey(strconv.FormatInt(a.PersonID, 10)+" "+strconv.FormatBool(a.Operator), r)
}

// keptKey is the key of a kept response: whose it is, the second, and
// the request.
func (s *Server) keptKey(who string, r *http.Request) string {
	b := make([]byte, 0, len(who)+64)
	b = append(b, who...)
	b = strconv.AppendInt(append(b, ' '), s.Clock.Now().Unix(), 10)
	b = append(append(b, ' '), r.URL.Path...)
	b = append(append(b, '?'), r.URL.RawQuery...)
	return string(b)
}

// writeOK answers 200 with body, of type ctype.
func writeOK(w http.ResponseWriter, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// keptPage answers a dashboard page with the HTML build makes, kept until
// the database changes like the lists' bodies. A page carries its
// session's CSRF token and is shown in its reader's zone, so its key is
// the session's; a page's times are "left" from now, so the second too.
// A failure is shown as pageError shows it, and not kept.
func (s *Server) keptPage(w http.ResponseWriter, r *http.Request, build func() ([]byte, error)) {
	sess := session(r)
	key := s.keptKey(sess.CSRF+" "+strconv.FormatInt(sess.Person.ID, 10), r)
	body, err := s.pageBodies.Get(r.Context(), s.DB, key, build)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	writeOK(w, "text/html; charset=utf-8", body)
}
