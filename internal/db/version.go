package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// A SQLite database's data version (PRAGMA data_version) changes whenever
// a connection other than the one asking commits a change: any other
// connection of this process's pool, or another process on the same file.
// Asked on a connection of its own that never writes, it is a counter of
// every change, and reads made after it was taken are at least as new as
// it. Reads keyed by it can be kept until it moves (Reads), at the cost of
// one pragma per use: about 3 µs, against a list query's 100 µs and more.

// versionConn asks one dedicated connection for the data version, one
// caller at a time.
type versionConn struct {
	once sync.Once
	mu   sync.Mutex
	db   *sql.DB
	stmt *sql.Stmt
	err  error
}

// Version is the database's data version, and whether it has one: SQLite
// files do; PostgreSQL, and SQLite in memory (which a second connection
// would not share), do not, and their reads are not kept.
func (d *DB) Version(ctx context.Context) (int64, bool, error) {
	if d.sqliteDSN == "" || d.readThrough.Load() {
		return 0, false, nil
	}
	vc := &d.version
	vc.once.Do(func() { vc.err = vc.open(d.sqliteDSN) })
	vc.mu.Lock() // also against close, which sets err
	defer vc.mu.Unlock()
	if vc.err != nil {
		return 0, false, vc.err
	}
	var v int64
	if err := vc.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, false, fmt.Errorf("data version: %w", err)
	}
	return v, true, nil
}

// ReadThrough, when on, keeps d from having a data version: every Reads
// reads through, as on PostgreSQL. Benchmarks measure what reads cost
// with it.
func (d *DB) ReadThrough(on bool) { d.readThrough.Store(on) }

func (vc *versionConn) open(dsn string) error {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return fmt.Errorf("open data version connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	stmt, err := db.Prepare(`PRAGMA data_version`)
	if err != nil {
		db.Close()
		return fmt.Errorf("prepare data version: %w", err)
	}
	vc.db, vc.stmt = db, stmt
	return nil
}

func (vc *versionConn) close() {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.db != nil {
		vc.stmt.Close()
		vc.db.Close()
		vc.db, vc.stmt = nil, nil
		vc.err = sql.ErrConnDone
	}
}

// versioned is the DSN a second connection can share the database
// through, or "" for a database in memory.
func versioned(name, dsn string) string {
	if name == ":memory:" || name == "" || strings.Contains(dsn, "mode=memory") {
		return ""
	}
	return dsn
}

// Close closes the database and its data version connection.
func (d *DB) Close() error {
	d.version.once.Do(func() { d.version.err = sql.ErrConnDone })
	d.version.close()
	return d.DB.Close()
}
