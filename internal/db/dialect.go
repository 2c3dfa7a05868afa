package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
)

// The one seam between SQLite and PostgreSQL. Domain SQL is written once:
// ? placeholders (rebound), TRUE and FALSE for flags, ON CONFLICT and
// RETURNING, which both speak. What differs is asked for here.

// Postgres reports whether d is PostgreSQL.
func (d *DB) Postgres() bool { return d.DriverName() == "pgx" }

// DSN is what d was opened with.
func (d *DB) DSN() string { return d.dsn }

// onPostgres reports whether q runs on PostgreSQL.
func onPostgres(q interface{ DriverName() string }) bool { return q.DriverName() == "pgx" }

// ForUpdate is the clause that locks the rows a SELECT reads until the
// transaction ends, so that a check and the write it allows cannot be
// interleaved with another replica's. SQLite needs none: a write
// transaction holds the whole database.
func ForUpdate(q interface{ DriverName() string }) string {
	if onPostgres(q) {
		return " FOR UPDATE"
	}
	return ""
}

// SkipLocked is ForUpdate for claims: rows another transaction holds are
// passed over, so replicas claiming at once take different rows.
func SkipLocked(q interface{ DriverName() string }) string {
	if onPostgres(q) {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// pgBusy reports PostgreSQL errors that mean "try again": a serialization
// failure, a deadlock, a lock or statement timeout.
func pgBusy(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "55P03", "57014":
		return true
	}
	return false
}

// The *DB's own reads rebind their ? placeholders, so that tests and
// simple callers write SQL once too. (Transactions rebind explicitly.)

func (d *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return d.DB.GetContext(ctx, dest, d.Rebind(query), args...)
}

func (d *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return d.DB.SelectContext(ctx, dest, d.Rebind(query), args...)
}

func (d *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.DB.QueryContext(ctx, d.Rebind(query), args...)
}

func (d *DB) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	return d.DB.QueryxContext(ctx, d.Rebind(query), args...)
}

func (d *DB) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	return d.DB.QueryRowxContext(ctx, d.Rebind(query), args...)
}

func (d *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(ctx, d.Rebind(query), args...)
}

func (d *DB) Get(dest any, query string, args ...any) error {
	return d.GetContext(context.Background(), dest, query, args...)
}

func (d *DB) Select(dest any, query string, args ...any) error {
	return d.SelectContext(context.Background(), dest, query, args...)
}

func (d *DB) Query(query string, args ...any) (*sql.Rows, error) {
	return d.QueryContext(context.Background(), query, args...)
}

func (d *DB) QueryRow(query string, args ...any) *sql.Row {
	return d.QueryRowContext(context.Background(), query, args...)
}

func (d *DB) Exec(query string, args ...any) (sql.Result, error) {
	return d.ExecContext(context.Background(), query, args...)
}

// MustExec is Exec that panics, for tests' setup.
func (d *DB) MustExec(query string, args ...any) sql.Result {
	res, err := d.Exec(query, args...)
	if err != nil {
		panic(err)
	}
	return res
}

// Seconds is the SQL for the seconds from one timestamp expression to
// another, as a float: aggregates over durations (meeting hours, time to
// close) need it, and the two dialects subtract times differently.
// SQLite's unixepoch reads the times as the driver stores them, to the
// millisecond ('subsec'); julianday's days would lose a few microseconds
// an hour to rounding.
func Seconds(q interface{ DriverName() string }, from, to string) string {
	if onPostgres(q) {
		return "CAST(EXTRACT(EPOCH FROM (" + to + ") - (" + from + ")) AS DOUBLE PRECISION)"
	}
	return "(unixepoch(" + to + ", 'subsec') - unixepoch(" + from + ", 'subsec'))"
}
