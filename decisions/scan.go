package decisions

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"meetingd/internal/db"
)

// Lists of decisions are the busiest reads (the API's lists, the
// dashboard), so they read their rows the cheap way: timestamps as the
// stored text, parsed by position (db.TimeText, db.Time); the owner's
// address and display name from the same query (a join), not a second
// one; and each row scanned into typed fields, not through sqlx's
// reflection. Under load, these were about a third of the lists' CPU.

type dialect interface{ DriverName() string }

// listColumns are decisionColumns as a list reads them, then the owner's
// address and display name (their name, else the address). id and closes
// are the id and close time columns (NeedsInput reads the invitee row's,
// the same values, and orders by the close time as it is).
func listColumns(q dialect, id, closes string) string {
	t := func(col string) string { return db.TimeText(q, "d."+col) + " AS " + col }
	return strings.Join([]string{id + ` AS id`, `d.owner_id`, `d.occurrence_id`, `d.title`, `d.proposal`, `d.state`,
		t("opens_at"), closes + ` AS closes_at`, `d.extensions`, t("closed_at"), t("decided_at"), `d.rationale`,
		t("created_at"), t("updated_at"), `COALESCE(o.email, '') AS owner_email`,
		`COALESCE(NULLIF(o.name, ''), o.email, '') AS owner_name`}, ", ")
}

// ownerJoin is the join listColumns reads the owner from, after decisions
// d. A LEFT JOIN, so the planner keeps it the inner loop: the list still
// walks its index in order.
const ownerJoin = ` LEFT JOIN people o ON o.id = d.owner_id`

// columnsOf is listColumns for the lists that read the decision's own id
// and close time.
func columnsOf(q dialect) string { return listColumns(q, "d.id", db.TimeText(q, "d.closes_at")) }

// scanDecisions runs a query that selects listColumns (and NeedsInput's
// reason after them) and reads its rows; limit, when the query has one,
// sizes the list once rather than as it grows.
func scanDecisions(ctx context.Context, q db.Queryer, query string, args []any, limit int) ([]Decision, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	const n = 16 // listColumns
	if len(cols) != n && len(cols) != n+1 {
		return nil, fmt.Errorf("decision rows have %d columns, want %d or %d", len(cols), n, n+1)
	}
	var out []Decision
	if limit > 0 {
		out = make([]Decision, 0, min(limit, 500))
	}
	// Every row scans into the same variables, copied out after.
	var d Decision
	var occurrence sql.NullInt64
	var opens, closes, closed, decided, created, updated db.Time
	dest := []any{&d.ID, &d.OwnerID, &occurrence, &d.Title, &d.Proposal, &d.State, &opens, &closes,
		&d.Extensions, &closed, &decided, &d.Rationale, &created, &updated, &d.OwnerEmail, &d.OwnerName, &d.Reason}
	dest = dest[:len(cols)]
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		d.OccurrenceID = nil
		if occurrence.Valid {
			id := occurrence.Int64
			d.OccurrenceID = &id
		}
		d.OpensAt, d.ClosesAt, d.CreatedAt, d.UpdatedAt = opens.Time, closes.Time, created.Time, updated.Time
		d.ClosedAt, d.DecidedAt = closed.Ptr(), decided.Ptr()
		out = append(out, d)
	}
	if len(out) == 0 {
		out = nil // none is nil, as sqlx left it
	}
	return out, rows.Err()
}
