package decisions

import (
	"net/http"
	"strconv"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
)

// Routes registers the decisions API on api (behind sign-in) and the page
// that signed links in decision emails open on pub.
func (s *Service) Routes(api, pub *http.ServeMux) {
	api.HandleFunc("POST /api/v1/decisions", s.handleCreate)
	api.HandleFunc("GET /api/v1/decisions", s.handleList)
	api.HandleFunc("GET /api/v1/decisions/needs-input", s.handleNeedsInput)
	api.HandleFunc("GET /api/v1/decisions/closed", s.handleClosed)
	api.HandleFunc("GET /api/v1/decisions/{id}", s.handleGet)
	api.HandleFunc("POST /api/v1/decisions/{id}/contributions", s.handleContribute)
	api.HandleFunc("PATCH /api/v1/decisions/{id}/contributions/{cid}", s.handleEdit)
	api.HandleFunc("POST /api/v1/decisions/{id}/contributions/{cid}/withdraw", s.handleWithdrawObjection)
	api.HandleFunc("POST /api/v1/decisions/{id}/contributions/{cid}/resolve", s.handleResolve)
	api.HandleFunc("POST /api/v1/decisions/{id}/outcome", s.handleOutcome)
	api.HandleFunc("POST /api/v1/decisions/{id}/withdraw", s.handleWithdraw)
	pub.HandleFunc("GET /decide", s.handleDecidePage)
	pub.HandleFunc("POST /decide", s.handleDecideForm)
}

func actor(r *http.Request) Actor {
	v, _ := httpx.ViewerFrom(r.Context())
	return Actor{PersonID: v.ID, Operator: v.Operator}
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	var in Input
	if err := httpx.Decode(w, r, 128<<10, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	d, err := s.Create(r.Context(), actor(r), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, d)
}

func pageParams(r *http.Request) (*Cursor, int, error) {
	q := r.URL.Query()
	limit := 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return nil, 0, errs.Errorf(errs.Invalid, "limit %q must be a number from 1 to 500", l)
		}
		limit = n
	}
	c, err := ParseCursor(q.Get("cursor"))
	return c, limit, err
}

// page writes one page of decisions with the cursor of the next, if any;
// key says which time the list is ordered by.
func page(w http.ResponseWriter, list []Decision, limit int, closed bool) {
	resp := map[string]any{"decisions": list}
	if len(list) > limit {
		last := list[limit-1]
		at := last.ClosesAt
		if closed && last.ClosedAt != nil {
			at = *last.ClosedAt
		}
		resp["decisions"] = list[:limit]
		resp["next_cursor"] = Cursor{At: at, ID: last.ID}.String()
	}
	httpx.JSON(w, http.StatusOK, resp)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	f := Filter{State: q.Get("state")}
	for name, dst := range map[string]*int64{"occurrence": &f.OccurrenceID, "owner": &f.OwnerID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				httpx.Error(w, r, errs.Errorf(errs.Invalid, "%s %q is not a valid id", name, v))
				return
			}
			*dst = n
		}
	}
	list, err := s.List(r.Context(), actor(r), f, after, limit+1)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page(w, list, limit, false)
}

func (s *Service) handleNeedsInput(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, err := s.NeedsInput(r.Context(), actor(r).PersonID, after, limit+1)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page(w, list, limit, false)
}

func (s *Service) handleClosed(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, err := s.RecentlyClosed(r.Context(), actor(r), after, limit+1)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page(w, list, limit, true)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v, err := s.Get(r.Context(), actor(r), id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, v)
}

// ids parses the decision id and, when cid is true, the contribution id.
func ids(r *http.Request, cid bool) (int64, int64, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil || !cid {
		return id, 0, err
	}
	c, err := httpx.PathID(r, "cid")
	return id, c, err
}

type textBody struct {
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	Reply     string `json:"reply"`
	Outcome   string `json:"outcome"`
	Rationale string `json:"rationale"`
}

// act decodes the body and answers with what fn returns.
func act[T any](s *Service, w http.ResponseWriter, r *http.Request, cid bool, fn func(id, cid int64, b textBody) (T, error)) {
	id, c, err := ids(r, cid)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var b textBody
	if r.ContentLength != 0 {
		if err := httpx.Decode(w, r, 2*MaxText, &b); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	out, err := fn(id, c, b)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, out)
}

func (s *Service) handleContribute(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id, _ int64, b textBody) (Contribution, error) {
		return s.Contribute(r.Context(), actor(r), id, b.Kind, b.Text)
	})
}

func (s *Service) handleEdit(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id, cid int64, b textBody) (Contribution, error) {
		return s.EditContribution(r.Context(), actor(r), id, cid, b.Text)
	})
}

func (s *Service) handleWithdrawObjection(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id, cid int64, _ textBody) (Contribution, error) {
		return s.WithdrawObjection(r.Context(), actor(r), id, cid)
	})
}

func (s *Service) handleResolve(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id, cid int64, b textBody) (Contribution, error) {
		return s.ResolveObjection(r.Context(), actor(r), id, cid, b.Reply)
	})
}

func (s *Service) handleOutcome(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id, _ int64, b textBody) (Decision, error) {
		return s.RecordOutcome(r.Context(), actor(r), id, b.Outcome, b.Rationale)
	})
}

func (s *Service) handleWithdraw(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id, _ int64, b textBody) (Decision, error) {
		return s.Withdraw(r.Context(), actor(r), id, b.Rationale)
	})
}
