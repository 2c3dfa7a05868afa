package db

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// queued waits until n writers are in line.
func (q *writeQueue) queued(n int) {
	for {
		q.mu.Lock()
		got := len(q.ahead) + len(q.waiters)
		q.mu.Unlock()
		if got >= n {
			return
		}
		runtime.Gosched()
	}
}

// The scheduler's writes go before requests already waiting, taking every
// other turn while requests wait; each line keeps its order.
func TestAheadWritersGoFirst(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	hold, held := make(chan struct{}), make(chan struct{})
	go InTx(ctx, d, func(*sqlx.Tx) error { close(held); <-hold; return nil })
	<-held
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	write := func(ctx context.Context, name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			InTx(ctx, d, func(*sqlx.Tx) error { mu.Lock(); order = append(order, name); mu.Unlock(); return nil })
		}()
	}
	write(ctx, "request 1")
	d.writes.queued(1)
	write(ctx, "request 2")
	d.writes.queued(2)
	write(Ahead(ctx), "close")
	d.writes.queued(3)
	write(Ahead(ctx), "import")
	d.writes.queued(4)
	close(hold)
	wg.Wait()
	if want := []string{"close", "request 1", "import", "request 2"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

// A request that cannot get its turn in time fails Busy, and its place in
// line is gone.
func TestWriterGivesUpBusyAtItsDeadline(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	hold, held := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() { done <- InTx(ctx, d, func(*sqlx.Tx) error { close(held); <-hold; return nil }) }()
	<-held
	waitCtx, cancel := context.WithCancel(WaitAtMost(ctx, time.Hour))
	errc := make(chan error)
	go func() { errc <- InTx(waitCtx, d, func(*sqlx.Tx) error { return nil }) }()
	d.writes.queued(1)
	cancel() // the request's client went away
	if err := <-errc; !errors.Is(err, ErrBusy) {
		t.Fatalf("err %v, want ErrBusy", err)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := InTx(ctx, d, func(*sqlx.Tx) error { return nil }); err != nil {
		t.Fatalf("the line did not move on: %v", err)
	}
}
