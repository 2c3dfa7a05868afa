// Package floor measures, in the same run as a benchmark, what this
// machine can do at best with the same parts: raw SQLite writes through the
// same driver and settings. A figure means little on a noisy two-core
// machine; its ratio to the floor measured beside it does.
package floor

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver meetingd uses
)

// SQLiteRows inserts rows rows, perTx to a transaction, each one
// statement, into a fresh WAL database with an indexed table of cols
// text columns, and returns rows per second: the least a write path that
// stores the same rows one statement each can cost.
func SQLiteRows(tb testing.TB, rows, perTx, cols int) float64 {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(tb.TempDir(), "floor.db")+
		"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	names := make([]string, cols)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	mustExec(tb, db, `CREATE TABLE t (id INTEGER PRIMARY KEY, `+strings.Join(names, " TEXT, ")+` TEXT)`)
	mustExec(tb, db, `CREATE INDEX t_c0 ON t (c0)`)
	insert := `INSERT INTO t (` + strings.Join(names, ", ") + `) VALUES (?` + strings.Repeat(", ?", cols-1) + `)`
	args := make([]any, cols)
	start := time.Now()
	for done := 0; done < rows; {
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		st, err := tx.Prepare(insert)
		if err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < perTx && done < rows; i, done = i+1, done+1 {
			for c := range args {
				args[c] = fmt.Sprintf("row %d column %d", done, c)
			}
			if _, err := st.Exec(args...); err != nil {
				tb.Fatal(err)
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	return float64(rows) / time.Since(start).Seconds()
}

func mustExec(tb testing.TB, db *sql.DB, q string) {
	tb.Helper()
	if _, err := db.Exec(q); err != nil {
		tb.Fatal(err)
	}
}
