package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// StmtCache is a Queryer over a transaction that prepares each distinct
// query once and reuses it. go-sqlite3 otherwise compiles every statement
// anew, which dominates bulk work such as a large import.
type StmtCache struct {
	tx    *sqlx.Tx
	stmts map[string]*sqlx.Stmt
}

// Cache wraps tx; Close it before the transaction ends.
func Cache(tx *sqlx.Tx) *StmtCache { return &StmtCache{tx: tx, stmts: map[string]*sqlx.Stmt{}} }

var _ Queryer = (*StmtCache)(nil)

func (c *StmtCache) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	s, err := c.tx.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.stmts[query] = s
	return s, nil
}

// Close releases every prepared statement.
func (c *StmtCache) Close() {
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
}

// ExecContext runs a cached statement.
func (c *StmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryContext runs a cached query.
func (c *StmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryxContext runs a cached query.
func (c *StmtCache) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryxContext(ctx, args...)
}

// QueryRowxContext runs a cached single-row query.
func (c *StmtCache) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return c.tx.QueryRowxContext(ctx, query, args...) // reports the same error when scanned
	}
	return s.QueryRowxContext(ctx, args...)
}

// GetContext scans one row from a cached query.
func (c *StmtCache) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return err
	}
	return s.GetContext(ctx, dest, args...)
}

// SelectContext scans all rows from a cached query.
func (c *StmtCache) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return err
	}
	return s.SelectContext(ctx, dest, args...)
}

// DriverName, Rebind and BindNamed are the transaction's.
func (c *StmtCache) DriverName() string         { return c.tx.DriverName() }
func (c *StmtCache) Rebind(query string) string { return c.tx.Rebind(query) }
func (c *StmtCache) BindNamed(query string, arg any) (string, []any, error) {
	return c.tx.BindNamed(query, arg)
}
