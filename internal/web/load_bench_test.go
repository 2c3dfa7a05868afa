package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"meetingd/internal/apptest"
	"meetingd/internal/dbtest"
)

// BenchmarkDecisionsUnderLoad measures the decisions page and its API over
// 100,000 stored decisions (each inviting 5 of 50 people, a third closed:
// about a million rows) with 50 concurrent clients on loopback. Right
// before each target it measures the floor: a bare net/http handler
// serving the same bytes to the same clients. The dataset is seeded once
// and kept in the temp folder for later runs. Each target is measured
// twice: as served, and reading through (db.DB.ReadThrough), so that what
// reading and rendering cost shows beside what keeping them saves.
//
//	go test ./internal/web -run XXX -bench DecisionsUnderLoad -benchtime 1x
//
// One target: -bench DecisionsUnderLoad/GET__decisions_page.
func BenchmarkDecisionsUnderLoad(b *testing.B) {
	dbtest.SkipOnPostgres(b, "the dataset is a SQLite file")
	const clients, each = 50, 5 * time.Second
	ta := newTestApp(b, "", t0, apptest.DB(benchDataset(b)))
	token := ta.Token("p0@example.com")
	cookie := ta.signIn(b, "p0@example.com").Jar.Cookies(mustURL(ta.URL))[0]
	targets := []struct {
		name string
		req  func() *http.Request
	}{
		{"GET /api/v1/decisions?state=open", func() *http.Request {
			r, _ := http.NewRequest("GET", ta.URL+"/api/v1/decisions?state=open", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			return r
		}},
		{"GET /api/v1/decisions/needs-input", func() *http.Request {
			r, _ := http.NewRequest("GET", ta.URL+"/api/v1/decisions/needs-input", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			return r
		}},
		{"GET /decisions (page)", func() *http.Request {
			r, _ := http.NewRequest("GET", ta.URL+"/decisions", nil)
			r.AddCookie(cookie)
			return r
		}},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	for _, tg := range targets {
		unit := strings.NewReplacer(" ", "_", "/", "_", "?", "_", "=", "_", "(", "", ")", "").Replace(tg.name)
		for _, through := range []bool{false, true} {
			name := unit
			if through {
				name += "_read_through"
			}
			b.Run(name, func(b *testing.B) {
				ta.DB.ReadThrough(through)
				defer ta.DB.ReadThrough(false)
				body := fetch(b, client, tg.req())
				bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
				floor := load(b, client, func() *http.Request { r, _ := http.NewRequest("GET", bare.URL, nil); return r }, clients, each)
				bare.Close()
				got := load(b, client, tg.req, clients, each)
				label := tg.name
				if through {
					label += ", nothing kept"
				}
				b.Logf("%s: %.0f req/s  p50 %.2f ms  p99 %.2f ms; floor (bare, same %d bytes) %.0f req/s  p99 %.2f ms; %.1f%% of its req/s",
					label, got.rate, ms(got.q(.5)), ms(got.q(.99)), len(body), floor.rate, ms(floor.q(.99)), 100*got.rate/floor.rate)
				b.ReportMetric(ms(got.q(.99)), "p99_ms")
				b.ReportMetric(100*got.rate/floor.rate, "pct_of_floor")
			})
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func fetch(b *testing.B, c *http.Client, r *http.Request) []byte {
	resp, err := c.Do(r)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d", r.URL, resp.StatusCode)
	}
	return body
}

type measured struct {
	lat  []time.Duration // sorted
	rate float64         // requests per second
}

func (m measured) q(p float64) time.Duration { return m.lat[int(p*float64(len(m.lat)-1))] }

// load runs c concurrent clients for d and measures what they saw.
func load(b *testing.B, client *http.Client, req func() *http.Request, c int, d time.Duration) measured {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	var failed atomic.Int64
	stop := time.Now().Add(d)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				start := time.Now()
				resp, err := client.Do(req())
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Errorf("%d requests failed", n)
	}
	slices.Sort(all)
	return measured{lat: all, rate: float64(len(all)) / d.Seconds()}
}

// benchDataset is a copy of the 100,000-decision database, seeded the
// first time and kept in the temp folder (named for the schema it has).
func benchDataset(b *testing.B) string {
	migrations, _ := os.ReadDir("../db/migrations/sqlite")
	cached := filepath.Join(os.TempDir(), fmt.Sprintf("meetingd-bench-decisions-100k-m%d.db", len(migrations)))
	if _, err := os.Stat(cached); err != nil {
		seeding := cached + ".seeding"
		ta := newTestApp(b, "", t0, apptest.DB(seeding))
		seedDecisions(b, ta, 100_000, 50, 5)
		ta.DB.MustExec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		ta.Close()
		if err := os.Rename(seeding, cached); err != nil {
			b.Fatal(err)
		}
		os.Remove(seeding + "-wal")
		os.Remove(seeding + "-shm")
	}
	data, err := os.ReadFile(cached)
	if err != nil {
		b.Fatal(err)
	}
	copyPath := filepath.Join(b.TempDir(), "bench.db")
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return copyPath
}

// seedDecisions stores n decisions among the given number of people, each
// inviting k of them; a third are closed.
func seedDecisions(b *testing.B, ta *testApp, n, people, k int) {
	tx := ta.DB.MustBegin()
	ids := make([]int64, people)
	for i := range ids {
		tx.Get(&ids[i], `INSERT INTO people (email, created_at) VALUES (?, ?) RETURNING id`, fmt.Sprintf("p%d@example.com", i), t0)
	}
	dec, _ := tx.Preparex(`INSERT INTO decisions (owner_id, title, proposal, state, opens_at, closes_at, closed_at, created_at, updated_at)
		VALUES (?, ?, 'Proposal.', ?, ?, ?, ?, ?, ?) RETURNING id`)
	inv, _ := tx.Preparex(`INSERT INTO decision_invitees (decision_id, person_id, state, closes_at, closed_at) VALUES (?, ?, ?, ?, ?)`)
	for i := 0; i < n; i++ {
		closes := t0.Add(time.Duration(i%20000) * time.Minute)
		state, closed := "open", any(nil)
		if i%3 == 0 {
			state, closed, closes = "accepted", t0.Add(-time.Duration(i)*time.Second), t0.Add(-time.Duration(i)*time.Second)
		}
		var id int64
		if err := dec.Get(&id, ids[i%people], fmt.Sprintf("Decision %d", i), state, t0.Add(-7*24*time.Hour), closes, closed, t0, t0); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < k; j++ {
			inv.MustExec(id, ids[(i+j*7)%people], state, closes, closed)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	ta.DB.MustExec(`ANALYZE`)
}
