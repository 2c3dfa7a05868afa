package meetings

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"

	"meetingd/internal/db"
)

// queryer is how a sync's transaction tx runs its statements, and what
// to do before tx ends.
//
// On SQLite, tx itself: go-sqlite3 keeps the statements run through Exec
// and Query compiled on their connection from one transaction to the next,
// where a statement prepared explicitly (db.Cache) is compiled anew each
// time; and with its Execs run as queries (fusedExec).
//
// On PostgreSQL, db.Cache, as before: a statement pgx keeps prepared from
// one transaction to the next gets a generic plan after five runs, and
// with it the lookup of series by UID took 30 ms a transaction rather
// than 2; prepared for each transaction, statements are planned for their
// values.
func queryer(tx *sqlx.Tx) (q db.Queryer, done func()) {
	if tx.DriverName() == "sqlite3" {
		return fusedExec{tx}, func() {}
	}
	c := db.Cache(tx)
	return c, c.Close
}

// fusedExec is a sync's SQLite transaction with its statements that
// return no rows run as queries: go-sqlite3 hands all of a query's
// arguments to SQLite in one call into C, but an Exec's in one call each,
// and a multi-row insert of a sync has hundreds (the steps of two hundred
// meetings, nearly three thousand). What such a statement changed goes
// uncounted: nothing a sync runs asks.
type fusedExec struct{ db.Queryer }

func (q fusedExec) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, err
	}
	return uncounted{}, rows.Close()
}

// uncounted is the result of a statement run as a query.
type uncounted struct{}

var errUncounted = errors.New("meetings: a sync's statements are not counted")

func (uncounted) LastInsertId() (int64, error) { return 0, errUncounted }
func (uncounted) RowsAffected() (int64, error) { return 0, errUncounted }
