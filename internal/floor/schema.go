package floor

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// SQLiteSameRows is SQLiteRows with the application's own tables: it
// copies the schema of the SQLite file src (tables, indexes, constraints,
// with foreign keys enforced) into a fresh WAL database, and inserts the
// rows src holds in tables, in that order (parents first), one statement
// each, perTx to a transaction; it returns rows per second. Rows of the
// other tables they refer to are copied first, untimed. Beside
// SQLiteRows, it tells what the schema itself costs from what the
// application adds to it.
func SQLiteSameRows(tb testing.TB, src string, tables []string, perTx int) float64 {
	tb.Helper()
	from, err := sql.Open("sqlite3", "file:"+src+"?mode=ro&_busy_timeout=5000")
	must(tb, err)
	defer from.Close()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(tb.TempDir(), "same.db")+
		"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate")
	must(tb, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, stmt := range schemaOf(tb, from) {
		mustExec(tb, db, stmt)
	}
	for _, t := range tableNames(tb, from) {
		if !slices.Contains(tables, t) {
			insertRows(tb, db, t, readRows(tb, from, t), 1<<30)
		}
	}
	timed := make([]tableRows, len(tables))
	total := 0
	for i, t := range tables {
		timed[i] = readRows(tb, from, t)
		total += len(timed[i].rows)
	}
	start := time.Now()
	for i, t := range tables {
		insertRows(tb, db, t, timed[i], perTx)
	}
	return float64(total) / time.Since(start).Seconds()
}

// schemaOf is the statements that make src's tables and indexes, tables
// first, in the order src made them.
func schemaOf(tb testing.TB, src *sql.DB) []string {
	return texts(tb, src, `SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
		AND type IN ('table', 'index') ORDER BY type = 'index', rowid`)
}

func tableNames(tb testing.TB, src *sql.DB) []string {
	return texts(tb, src, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid`)
}

// texts is the one text column query reads from src, row by row.
func texts(tb testing.TB, src *sql.DB, query string, args ...any) []string {
	rows, err := src.Query(query, args...)
	must(tb, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		must(tb, rows.Scan(&s))
		out = append(out, s)
	}
	must(tb, rows.Err())
	return out
}

// tableRows are a table's rows as stored, each column's value as SQLite
// holds it (read through a unary plus, so no declared type converts it).
type tableRows struct {
	cols []string
	rows [][]any
}

func readRows(tb testing.TB, src *sql.DB, table string) tableRows {
	cols := columnsOf(tb, src, table)
	plus := make([]string, len(cols))
	for i, c := range cols {
		plus[i] = `+` + quoteName(c)
	}
	rows, err := src.Query(`SELECT ` + strings.Join(plus, ", ") + ` FROM ` + quoteName(table) + ` ORDER BY rowid`)
	must(tb, err)
	defer rows.Close()
	out := tableRows{cols: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		must(tb, rows.Scan(ptrs...))
		out.rows = append(out.rows, vals)
	}
	must(tb, rows.Err())
	return out
}

func columnsOf(tb testing.TB, src *sql.DB, table string) []string {
	return texts(tb, src, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
}

// insertRows inserts t's rows, one statement each, perTx to a transaction.
func insertRows(tb testing.TB, db *sql.DB, table string, t tableRows, perTx int) {
	if len(t.rows) == 0 {
		return
	}
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = quoteName(c)
	}
	insert := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (?%s)`, quoteName(table), strings.Join(names, ", "), strings.Repeat(", ?", len(names)-1))
	for done := 0; done < len(t.rows); {
		tx, err := db.Begin()
		must(tb, err)
		st, err := tx.Prepare(insert)
		must(tb, err)
		for i := 0; i < perTx && done < len(t.rows); i, done = i+1, done+1 {
			must(tb, exec(st, t.rows[done]...))
		}
		st.Close()
		must(tb, tx.Commit())
	}
}

func quoteName(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
