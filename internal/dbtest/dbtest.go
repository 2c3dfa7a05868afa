// Package dbtest gives each test a database of its own: a fresh SQLite
// file, or, with MEETINGD_TEST_POSTGRES set to a postgres:// URL, a fresh
// schema in that database, dropped when the test ends. The whole suite
// runs on either.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"meetingd/internal/db"
	"meetingd/internal/secret"
)

// Env names the PostgreSQL server the suite runs on, when set.
const Env = "MEETINGD_TEST_POSTGRES"

// Postgres reports whether this run's databases are PostgreSQL.
func Postgres() bool { return os.Getenv(Env) != "" }

// DSN is a database for t, empty (no schema yet).
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		return filepath.Join(t.TempDir(), "meetingd.db")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	schema := "t_" + secret.Hex(8)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("%s: create schema: %v", Env, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates a database for t, closed when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), DSN(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// SkipOnPostgres skips a test of something only SQLite has.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip(fmt.Sprintf("SQLite only: %s", why))
	}
}

// OnlyPostgres skips a test of something only replicas on PostgreSQL do.
func OnlyPostgres(t testing.TB) {
	t.Helper()
	if !Postgres() {
		t.Skip("PostgreSQL only: set " + Env)
	}
}
