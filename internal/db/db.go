// Package db opens meetingd's SQLite database and applies its embedded,
// numbered migrations.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the embedded default store
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the SQLite file at path with WAL, foreign
// keys and a busy timeout, and brings its schema up to date, logging each
// migration it applies to log.
func Open(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	db, err := OpenNoMigrate(path)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// maxConns bounds the connections open at once: one writer and readers.
const maxConns = 16

// OpenNoMigrate opens the database without touching its schema.
func OpenNoMigrate(path string) (*DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	// Writers take the lock at BEGIN, so two writers queue on the busy
	// timeout instead of deadlocking on a read-to-write upgrade.
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Each connection keeps its own page cache (2 MB): unbounded, a burst
	// of requests held hundreds of them, and a 100,000-event import under
	// load peaked at 675 MB. Beyond this many, readers wait their turn;
	// two CPUs cannot serve more at once anyway.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	return &DB{DB: db}, nil
}

// Migrate applies every embedded migration not yet applied.
func Migrate(ctx context.Context, db *DB, log *slog.Logger) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, db.DB.DB, mustSub(migrations, "migrations"))
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
