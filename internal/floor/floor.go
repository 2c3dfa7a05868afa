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

// SQLiteClaim is the scheduler's floor, as ../shared/floors/sqlitefloor
// measures it: with pending rows not yet due and due rows due now in a
// jobs-shaped table (indexed on state and due time), how many due rows
// per second raw SQL selects in batches of batch, marks done, and writes
// an outbox row for, each. The table is filled before timing starts.
func SQLiteClaim(tb testing.TB, pending, due, batch int) float64 {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(tb.TempDir(), "floor.db")+
		"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	mustExec(tb, db, `CREATE TABLE jobs(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref INTEGER NOT NULL, state TEXT NOT NULL, due_at INTEGER NOT NULL, payload TEXT)`)
	mustExec(tb, db, `CREATE INDEX jobs_due ON jobs(state, due_at)`)
	mustExec(tb, db, `CREATE TABLE outbox(id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, body TEXT)`)
	now := time.Now().Unix()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO jobs(kind, ref, state, due_at, payload) VALUES ('close', ?, 'pending', ?, '{}')`)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range pending {
		must(tb, exec(st, i, now+3600+int64(i)))
	}
	for i := range due {
		must(tb, exec(st, i, now-int64(i%60)))
	}
	must(tb, tx.Commit())

	start := time.Now()
	done := 0
	for done < due {
		tx, err := db.Begin()
		must(tb, err)
		rows, err := tx.Query(`SELECT id, ref FROM jobs WHERE state = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?`, now, batch)
		must(tb, err)
		var ids, refs []int64
		for rows.Next() {
			var id, ref int64
			must(tb, rows.Scan(&id, &ref))
			ids, refs = append(ids, id), append(refs, ref)
		}
		rows.Close()
		if len(ids) == 0 {
			break
		}
		for i, id := range ids {
			_, err := tx.Exec(`UPDATE jobs SET state = 'done' WHERE id = ?`, id)
			must(tb, err)
			_, err = tx.Exec(`INSERT INTO outbox(key, body) VALUES (?, 'x')`, fmt.Sprintf("close:%d:%d", refs[i], id))
			must(tb, err)
		}
		must(tb, tx.Commit())
		done += len(ids)
	}
	return float64(done) / time.Since(start).Seconds()
}

func exec(st *sql.Stmt, args ...any) error { _, err := st.Exec(args...); return err }

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
