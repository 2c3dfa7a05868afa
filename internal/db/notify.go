package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notify tells every process listening on channel (PostgreSQL's NOTIFY);
// on SQLite, where one process serves, it does nothing.
func (d *DB) Notify(ctx context.Context, channel string) error {
	if !d.Postgres() {
		return nil
	}
	_, err := d.DB.ExecContext(ctx, `SELECT pg_notify($1, '')`, channel)
	if err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen calls fn for each Notify on channel, from any process, until ctx
// ends, on a connection of its own; a lost connection is opened again. On
// SQLite it returns at once.
func (d *DB) Listen(ctx context.Context, channel string, fn func(), onErr func(error)) {
	if !d.Postgres() {
		return
	}
	for ctx.Err() == nil {
		err := d.listen(ctx, channel, fn)
		if ctx.Err() != nil {
			return
		}
		onErr(err)
		select { // a database that went away is tried again, not hammered
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (d *DB) listen(ctx context.Context, channel string, fn func()) error {
	conn, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", channel, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen on %s: %w", channel, err)
	}
	fn() // whatever was notified while not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("listen on %s: %w", channel, err)
		}
		fn()
	}
}
