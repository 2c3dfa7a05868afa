package main

import (
	"flag"
	"testing"
	"time"

	"meetingd/internal/dbtest"
)

// Monday 12 October 2026, 06:00 UTC: ten days before the weekly sync starts.
var octT0 = time.Date(2026, 10, 12, 6, 0, 0, 0, time.UTC)

// tempDB is a database for the test: a SQLite file, or a PostgreSQL schema
// when the suite runs there.
func tempDB(t testing.TB) string { return dbtest.DSN(t) }

// testConfig is the flags' defaults with a test database and an operator.
func testConfig(t testing.TB, dbPath string) config {
	var cfg config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg.register(fs)
	fs.Parse(nil)
	cfg.DB = dbPath
	cfg.Operators = "ops@example.com"
	return cfg
}
