package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// CopyProgress learns of each table as it is copied.
type CopyProgress func(table string, rows int64)

// Copy moves every row of a SQLite installation into an empty PostgreSQL
// database with the same schema version, in one transaction: the target
// has all of it or none. Tables go parents first, values are converted to
// the target's column types (0/1 to booleans, stored text to times),
// identity sequences continue after the highest id, and the row counts of
// every table are compared at the end.
func Copy(ctx context.Context, from, to *DB, progress CopyProgress) (map[string]int64, error) {
	if from.Postgres() || !to.Postgres() {
		return nil, fmt.Errorf("copy goes from a SQLite file to PostgreSQL")
	}
	tables, err := copyOrder(ctx, to)
	if err != nil {
		return nil, err
	}
	if err := refuseNonEmpty(ctx, to, tables); err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	err = InTx(ctx, to, func(tx *sqlx.Tx) error {
		for _, t := range tables {
			n, err := copyTable(ctx, from, tx, t)
			if err != nil {
				return err
			}
			counts[t] = n
			if progress != nil {
				progress(t, n)
			}
		}
		return continueIdentities(ctx, tx, tables)
	})
	if err != nil {
		return nil, err
	}
	return counts, compareCounts(ctx, from, to, counts)
}

// copyOrder is the target's tables, each after those it references.
func copyOrder(ctx context.Context, to *DB) ([]string, error) {
	var tables []string
	err := to.DB.SelectContext(ctx, &tables, `SELECT tablename FROM pg_tables
		WHERE schemaname = current_schema() AND tablename <> 'goose_db_version' ORDER BY tablename`)
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	var refs []struct {
		Child  string `db:"child"`
		Parent string `db:"parent"`
	}
	err = to.DB.SelectContext(ctx, &refs, `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("references: %w", err)
	}
	parents := map[string][]string{}
	for _, r := range refs {
		if r.Child != r.Parent {
			parents[r.Child] = append(parents[r.Child], r.Parent)
		}
	}
	var order []string
	placed := map[string]bool{}
	for len(order) < len(tables) {
		progress := false
		for _, t := range tables {
			if placed[t] || slices.ContainsFunc(parents[t], func(p string) bool { return !placed[p] }) {
				continue
			}
			order, placed[t], progress = append(order, t), true, true
		}
		if !progress {
			return nil, fmt.Errorf("tables reference each other in a cycle")
		}
	}
	return order, nil
}

func refuseNonEmpty(ctx context.Context, to *DB, tables []string) error {
	for _, t := range tables {
		var any []int
		if err := to.DB.SelectContext(ctx, &any, `SELECT 1 FROM `+quote(t)+` LIMIT 1`); err != nil {
			return fmt.Errorf("check %s: %w", t, err)
		}
		if len(any) > 0 {
			return fmt.Errorf("the target is not empty (table %s has rows): copy only into a new database", t)
		}
	}
	return nil
}

type column struct {
	Name string `db:"column_name"`
	Type string `db:"data_type"`
}

// copyBatch is how many rows one INSERT carries.
const copyBatch = 500

func copyTable(ctx context.Context, from *DB, tx *sqlx.Tx, table string) (int64, error) {
	var cols []column
	err := tx.SelectContext(ctx, &cols, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return 0, fmt.Errorf("columns of %s: %w", table, err)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quote(c.Name)
	}
	rows, err := from.DB.QueryxContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+quote(table))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	var n int64
	var batch [][]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var args []any
		var values []string
		for _, r := range batch {
			ph := make([]string, len(r))
			for i := range r {
				args = append(args, r[i])
				ph[i] = fmt.Sprintf("$%d", len(args))
			}
			values = append(values, "("+strings.Join(ph, ", ")+")")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO `+quote(table)+` (`+strings.Join(names, ", ")+`) VALUES `+strings.Join(values, ", "), args...)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return n, fmt.Errorf("read %s: %w", table, err)
		}
		for i, c := range cols {
			if vals[i], err = convert(vals[i], c.Type); err != nil {
				return n, fmt.Errorf("%s.%s: %w", table, c.Name, err)
			}
		}
		batch = append(batch, vals)
		n++
		if len(batch) == copyBatch {
			if err := flush(); err != nil {
				return n, fmt.Errorf("write %s: %w", table, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read %s: %w", table, err)
	}
	if err := flush(); err != nil {
		return n, fmt.Errorf("write %s: %w", table, err)
	}
	return n, nil
}

// convert turns a value as SQLite gives it into one of PostgreSQL's type.
func convert(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "boolean":
		switch b := v.(type) {
		case int64:
			return b != 0, nil
		case bool:
			return b, nil
		}
	case "timestamp with time zone":
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Truncate(time.Microsecond), nil
		case string:
			return parseStoredTime(t)
		case []byte:
			return parseStoredTime(string(t))
		}
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "text":
		switch s := v.(type) {
		case []byte:
			return string(s), nil
		case string:
			return s, nil
		}
	case "bigint", "integer", "smallint":
		if i, ok := v.(int64); ok {
			return i, nil
		}
	}
	return nil, fmt.Errorf("cannot store %T %v as %s", v, v, pgType)
}

// parseStoredTime reads a time as go-sqlite3 stores one.
func parseStoredTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSuffix(s, "Z")); err == nil {
			return t.UTC().Truncate(time.Microsecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

// continueIdentities makes new ids follow the highest copied one.
func continueIdentities(ctx context.Context, tx *sqlx.Tx, tables []string) error {
	var withIDs []string
	err := tx.SelectContext(ctx, &withIDs, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("identity columns: %w", err)
	}
	for _, t := range withIDs {
		_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'),
			COALESCE((SELECT MAX(id) FROM `+quote(t)+`), 0) + 1, false)`, quote(t))
		if err != nil {
			return fmt.Errorf("continue ids of %s: %w", t, err)
		}
	}
	return nil
}

func compareCounts(ctx context.Context, from, to *DB, copied map[string]int64) error {
	var differ []string
	for t, n := range copied {
		var src, dst int64
		if err := from.DB.GetContext(ctx, &src, `SELECT COUNT(*) FROM `+quote(t)); err != nil {
			return fmt.Errorf("count %s: %w", t, err)
		}
		if err := to.DB.GetContext(ctx, &dst, `SELECT COUNT(*) FROM `+quote(t)); err != nil {
			return fmt.Errorf("count %s: %w", t, err)
		}
		if src != dst || dst != n {
			differ = append(differ, fmt.Sprintf("%s: %d in the file, %d copied", t, src, dst))
		}
	}
	if len(differ) > 0 {
		slices.Sort(differ)
		return fmt.Errorf("row counts differ: %s", strings.Join(differ, "; "))
	}
	return nil
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
