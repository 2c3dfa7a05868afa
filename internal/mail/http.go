package mail

import (
	"net/http"
	"strconv"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
)

type outboxPage struct {
	httpx.Base
	Items []Item
	Next  int64
}

// PageHandler is the operators' outbox page: every email, newest first.
func (o *Outbox) PageHandler(db *sqlx.DB) http.HandlerFunc {
	pages := httpx.Pages{Templates: o.Templates, Log: o.Log}
	return func(w http.ResponseWriter, r *http.Request) {
		base := httpx.BaseFor(r, "Outbox", o.Clock.Now())
		if !base.Me.Operator {
			pages.Error(w, r, errs.Errorf(errs.Forbidden, "only operators may read the outbox"))
			return
		}
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		items, err := List(r.Context(), db, r.URL.Query().Get("to"), before, 101)
		if err != nil {
			pages.Error(w, r, err)
			return
		}
		p := outboxPage{Base: base, Items: items}
		if len(items) > 100 {
			p.Items, p.Next = items[:100], items[99].ID
		}
		pages.Render(w, r, http.StatusOK, "dash.outbox", p)
	}
}
