package db

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// counted is a Reads[int] read of t's one value that counts its calls.
type counted struct {
	d     *DB
	reads int
}

func (c *counted) get(t *testing.T, r *Reads[int]) int {
	t.Helper()
	v, err := r.Get(context.Background(), c.d, "value", func() (int, error) {
		c.reads++
		var v int
		err := c.d.Get(&v, `SELECT v FROM t`)
		return v, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A kept read is served until anything is committed: by another
// connection of the pool, or by another process on the same file (here a
// second, separate handle).
func TestReadsKeptUntilTheDatabaseChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	d, err := OpenNoMigrate(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.MustExec(`CREATE TABLE t (v INTEGER)`)
	d.MustExec(`INSERT INTO t VALUES (1)`)
	c, r := &counted{d: d}, &Reads[int]{}
	if v := c.get(t, r); v != 1 || c.reads != 1 {
		t.Fatalf("first get: %d after %d reads, want 1 after 1", v, c.reads)
	}
	if v := c.get(t, r); v != 1 || c.reads != 1 {
		t.Fatalf("unchanged: %d after %d reads, want the kept 1 after 1 read", v, c.reads)
	}
	if _, err := d.ExecContext(context.Background(), `UPDATE t SET v = 2`); err != nil {
		t.Fatal(err)
	}
	if v := c.get(t, r); v != 2 || c.reads != 2 {
		t.Fatalf("after a write: %d after %d reads, want 2 after 2", v, c.reads)
	}
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`UPDATE t SET v = 3`); err != nil {
		t.Fatal(err)
	}
	if v := c.get(t, r); v != 3 || c.reads != 3 {
		t.Fatalf("after another process's write: %d after %d reads, want 3 after 3", v, c.reads)
	}
	if v := c.get(t, r); v != 3 || c.reads != 3 {
		t.Fatalf("unchanged again: %d after %d reads, want the kept 3 after 3 reads", v, c.reads)
	}
}

// Where no second connection can see the data version, nothing is kept.
func TestReadsReadThroughInMemory(t *testing.T) {
	d, err := OpenNoMigrate(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetMaxOpenConns(1) // one in-memory database
	d.MustExec(`CREATE TABLE t (v INTEGER)`)
	d.MustExec(`INSERT INTO t VALUES (1)`)
	c, r := &counted{d: d}, &Reads[int]{}
	c.get(t, r)
	c.get(t, r)
	if c.reads != 2 {
		t.Fatalf("%d reads for two gets, want 2", c.reads)
	}
}

// A failed read is not kept: the next get reads again.
func TestReadsKeepNoFailure(t *testing.T) {
	d := openTest(t)
	r := &Reads[int]{}
	calls := 0
	read := func() (int, error) { calls++; return 0, os.ErrNotExist }
	for range 2 {
		if _, err := r.Get(context.Background(), d, "k", read); err != os.ErrNotExist {
			t.Fatalf("got %v, want the read's error", err)
		}
	}
	if calls != 2 {
		t.Fatalf("%d reads, want 2", calls)
	}
}

func TestKeyTellsArgumentsApart(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	keys := []string{
		Key("q", "a b"), Key("q", "a", "b"), Key("q", int64(1)), Key("q", "1"), Key("q", 1, 2), Key("q", 12),
		Key("q", at), Key("q", at.In(time.FixedZone("X", 3600))), Key("q", nil), Key("q"), Key("q", true),
		Key("q", []byte("x")), Key("q", []byte("y")),
	}
	seen := map[string]int{}
	for i, k := range keys {
		if j, ok := seen[k]; ok {
			t.Errorf("keys %d and %d are the same: %q", j, i, k)
		}
		seen[k] = i
	}
	if Key("q", "a", int64(2), at) != Key("q", "a", int64(2), at) {
		t.Error("the same query and arguments give different keys")
	}
}

// ReadThrough keeps nothing while on, and keeping resumes once it is off.
func TestReadsReadThroughWhenAsked(t *testing.T) {
	d := openTest(t)
	d.MustExec(`CREATE TABLE t (v INTEGER)`)
	d.MustExec(`INSERT INTO t VALUES (1)`)
	c, r := &counted{d: d}, &Reads[int]{}
	d.ReadThrough(true)
	c.get(t, r)
	c.get(t, r)
	if c.reads != 2 {
		t.Fatalf("reading through: %d reads for two gets, want 2", c.reads)
	}
	d.ReadThrough(false)
	c.get(t, r)
	c.get(t, r)
	if c.reads != 3 {
		t.Fatalf("keeping again: %d reads for two more gets, want 1 more", c.reads)
	}
}
