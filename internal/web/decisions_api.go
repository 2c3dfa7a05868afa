package web

import (
	"net/http"
	"strconv"

	"meetingd/decisions"
	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// newDecision is the body of POST /api/v1/decisions.
type newDecision struct {
	decisions.Input
	OccurrenceID *int64 `json:"occurrence_id,omitempty"` // the meeting it comes from
}

func (s *Server) createDecision(w http.ResponseWriter, r *http.Request) {
	var in newDecision
	if err := decode(w, r, 128<<10, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	var occ int64
	if in.OccurrenceID != nil {
		occ = *in.OccurrenceID
	}
	d, err := s.Meetings.OpenDecision(r.Context(), actor(r), occ, in.Input)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

func byClose(d decisions.Decision) db.Cursor { return db.Cursor{At: d.ClosesAt, ID: d.ID} }

func byClosed(d decisions.Decision) db.Cursor {
	if d.ClosedAt != nil {
		return db.Cursor{At: *d.ClosedAt, ID: d.ID}
	}
	return byClose(d)
}

func (s *Server) listDecisions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := decisions.Filter{State: q.Get("state")}
	for name, dst := range map[string]*int64{"occurrence": &f.OccurrenceID, "owner": &f.OwnerID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				s.apiError(w, r, errs.Errorf(errs.Invalid, "%s %q is not a valid id", name, v))
				return
			}
			*dst = n
		}
	}
	s.decisionList(w, r, byClose, func(after *db.Cursor, limit int) ([]decisions.Decision, error) {
		return s.Decisions.List(r.Context(), actor(r), f, after, limit)
	})
}

func (s *Server) needsInput(w http.ResponseWriter, r *http.Request) {
	s.decisionList(w, r, byClose, func(after *db.Cursor, limit int) ([]decisions.Decision, error) {
		return s.Decisions.NeedsInput(r.Context(), viewer(r).ID, after, limit)
	})
}

func (s *Server) recentlyClosed(w http.ResponseWriter, r *http.Request) {
	s.decisionList(w, r, byClosed, func(after *db.Cursor, limit int) ([]decisions.Decision, error) {
		return s.Decisions.RecentlyClosed(r.Context(), actor(r), after, limit)
	})
}

func (s *Server) getDecision(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	v, err := s.Decisions.Get(r.Context(), actor(r), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// decisionComments pages a decision's comments, oldest first.
func (s *Server) decisionComments(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	after, limit, err := pageParams(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var from int64
	if after != nil {
		from = after.ID
	}
	cs, err := s.Decisions.Comments(r.Context(), actor(r), id, from, limit+1)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page(w, "comments", cs, limit, func(c decisions.Contribution) db.Cursor { return db.Cursor{At: c.CreatedAt, ID: c.ID} })
}

// decisionBody is what the decision actions take.
type decisionBody struct {
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	Reply     string `json:"reply"`
	Outcome   string `json:"outcome"`
	Rationale string `json:"rationale"`
}

// act reads the decision id (and, when cid is set, the contribution id)
// and the body, and answers with what fn returns.
func act[T any](s *Server, w http.ResponseWriter, r *http.Request, cid bool, fn func(id, cid int64, b decisionBody) (T, error)) {
	id, err := pathID(r, "id")
	var c int64
	if err == nil && cid {
		c, err = pathID(r, "cid")
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var b decisionBody
	if r.ContentLength != 0 {
		if err := decode(w, r, 2*decisions.MaxText, &b); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	out, err := fn(id, c, b)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) contribute(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id, _ int64, b decisionBody) (decisions.Contribution, error) {
		return s.Decisions.Contribute(r.Context(), actor(r), id, b.Kind, b.Text)
	})
}

func (s *Server) editContribution(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id, cid int64, b decisionBody) (decisions.Contribution, error) {
		return s.Decisions.EditContribution(r.Context(), actor(r), id, cid, b.Text)
	})
}

func (s *Server) withdrawObjection(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id, cid int64, _ decisionBody) (decisions.Contribution, error) {
		return s.Decisions.WithdrawObjection(r.Context(), actor(r), id, cid)
	})
}

func (s *Server) resolveObjection(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id, cid int64, b decisionBody) (decisions.Contribution, error) {
		return s.Decisions.ResolveObjection(r.Context(), actor(r), id, cid, b.Reply)
	})
}

func (s *Server) recordOutcome(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id, _ int64, b decisionBody) (decisions.Decision, error) {
		return s.Decisions.RecordOutcome(r.Context(), actor(r), id, b.Outcome, b.Rationale)
	})
}

func (s *Server) withdrawDecision(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id, _ int64, b decisionBody) (decisions.Decision, error) {
		return s.Decisions.Withdraw(r.Context(), actor(r), id, b.Rationale)
	})
}
