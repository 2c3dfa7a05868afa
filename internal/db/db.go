// Package db opens meetingd's database, the embedded SQLite file by default
// or PostgreSQL for several replicas, and applies its embedded, numbered
// migrations. dialect.go is the one seam between the two: domain SQL is
// written once, with ? placeholders rebound for PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, as "pgx"
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the embedded default store
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// Open opens the database dsn names, a postgres:// URL or else a SQLite
// file (created if needed, with WAL, foreign keys and a busy timeout), and
// brings its schema up to date, logging each migration it applies to log.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	db, err := OpenNoMigrate(dsn)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// stmtCacheSize is how many prepared statements each SQLite connection
// keeps: enough for every query a page or list runs, times a few.
const stmtCacheSize = 64

// maxConns bounds the connections open at once: one writer and readers.
const maxConns = 16

// OpenNoMigrate opens the database without touching its schema.
func OpenNoMigrate(dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		return openPostgres(dsn)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	// Writers take the lock at BEGIN, so two writers queue on the busy
	// timeout instead of deadlocking on a read-to-write upgrade.
	q.Set("_txlock", "immediate")
	// Each connection keeps its most recent statements compiled: parsing
	// and planning the same list queries anew was a sixth of a busy
	// list's CPU. SQLite re-prepares a cached statement by itself when a
	// migration changes the schema under it.
	q.Set("_stmt_cache_size", strconv.Itoa(stmtCacheSize))
	file := "file:" + dsn + "?" + q.Encode()
	db, err := sqlx.Open("sqlite3", file)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	d, err := ready(db, dsn, true)
	if err != nil {
		return nil, err
	}
	d.sqliteDSN = versioned(dsn, file)
	return d, nil
}

func openPostgres(dsn string) (*DB, error) {
	db, err := sqlx.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	return ready(db, dsn, false)
}

func ready(db *sqlx.DB, dsn string, queue bool) (*DB, error) {
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	// Each SQLite connection keeps its own page cache (2 MB): unbounded, a
	// burst of requests held hundreds of them, and a 100,000-event import
	// under load peaked at 675 MB. Beyond this many, readers wait their
	// turn; two CPUs cannot serve more at once anyway. PostgreSQL's
	// connections are a server's resource: the same bound spares it.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	return &DB{DB: db, dsn: dsn, queued: queue}, nil
}

// Redact is dsn without its password, for logs and errors.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}

// Migrate applies every embedded migration not yet applied. On
// PostgreSQL it holds a session lock meanwhile, so replicas starting at
// once migrate one after another.
func Migrate(ctx context.Context, db *DB, log *slog.Logger) error {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	var opts []goose.ProviderOption
	if db.Postgres() {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.DB.DB, mustSub(migrations, dir), opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range res {
		log.InfoContext(ctx, "migration applied", "version", r.Source.Version, "path", r.Source.Path)
	}
	return nil
}

// Queryer is what read and write helpers need: a *sqlx.DB or a *sqlx.Tx.
type Queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

var _ Queryer = (*DB)(nil)
var _ Queryer = (*sqlx.Tx)(nil)

// IsNoRows reports whether err means a query found nothing.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
