package dbtest

import (
	"testing"

	"meetingd/internal/db"
)

// QueryPlan is SQLite's EXPLAIN QUERY PLAN of query (written with ?) run
// with args, a line per step, for tests that hold a query to its indexes.
func QueryPlan(t testing.TB, d *db.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := d.Query(`EXPLAIN QUERY PLAN `+d.Rebind(query), args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
