package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"meetingd/decisions"
	"meetingd/internal/db"
)

// clients runs many API clients at once, each reading, contributing and
// opening decisions as fast as it is answered, while the scheduler sends
// the email queued at the start. The server is `meetingd serve`: one
// process on SQLite, or several replicas on PostgreSQL, the clients spread
// over them. Beside it, the floor: the same clients reading the same
// bytes from a bare net/http handler.
func clients(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("clients", flag.ExitOnError)
	n := fs.Int("clients", 200, "concurrent clients")
	duration := fs.Duration("duration", 60*time.Second, "how long they run")
	emails := fs.Int("emails", 1500, "emails queued to go out while they run")
	delay := fs.Duration("smtp-delay", 2*time.Millisecond, "time the SMTP server takes to accept each message")
	floorFor := fs.Duration("floor-duration", 10*time.Second, "how long the floor runs")
	server := fs.String("db", "", "a postgres:// server to make a fresh database on (default: a SQLite file)")
	replicas := fs.Int("replicas", 1, "meetingd serve processes (more than one only on PostgreSQL)")
	binary := fs.String("meetingd", "", "the meetingd binary (default: built from this checkout)")
	fs.Parse(args)
	if *replicas > 1 && !db.IsPostgres(*server) {
		return fmt.Errorf("-replicas %d needs -db postgres://…: a SQLite file takes one server", *replicas)
	}

	dir, err := os.MkdirTemp("", "meetingd-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *binary, err = buildMeetingd(ctx, dir, *binary); err != nil {
		return err
	}
	dsn, drop, err := freshDB(ctx, *server, dir)
	if err != nil {
		return err
	}
	defer drop()
	s, err := newService(ctx, dsn, *delay)
	if err != nil {
		return err
	}
	defer s.smtp.Close()
	users, tokens, err := s.users(ctx, "u", *n)
	if err != nil {
		return err
	}
	// Fifty decisions, each with a few clients invited: what they read and
	// contribute to.
	const open = 50
	ids := make([]int64, open)
	for j := range ids {
		var invitees []string
		for i := j; i < *n; i += open {
			invitees = append(invitees, users[i].Email)
		}
		d, err := s.Decisions.Create(ctx, users[j%*n].Actor(), decisions.Input{Title: fmt.Sprintf("Open %d", j),
			Proposal: "What the clients read and contribute to.", Invitees: invitees}, nil)
		if err != nil {
			return err
		}
		ids[j] = d.ID
	}
	mailUsers, _, err := s.users(ctx, "m", 100)
	if err != nil {
		return err
	}
	if err := s.queueMail(ctx, users[0], mailUsers, *emails-open*(*n/open)); err != nil {
		return err
	}
	s.App.Close()
	log, err := os.Create(filepath.Join(dir, "meetingd.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	var bases []string
	for range *replicas {
		c, err := s.startChild(ctx, *binary, log)
		if err != nil {
			return err
		}
		defer c.stop()
		bases = append(bases, c.url)
	}

	r := &run{client: newClient(*n), base: bases[0]}
	sentBefore := s.smtp.Count()
	start := time.Now()
	r.drive(ctx, *n, *duration, func(i int, rng *rand.Rand) {
		tok, id, base := tokens[i], ids[i%open], bases[i%len(bases)]
		switch x := rng.IntN(100); {
		case x < 40:
			r.do(&r.reads, "GET", base+"/api/v1/decisions/needs-input", tok, nil)
		case x < 70:
			r.do(&r.reads, "GET", base+fmt.Sprintf("/api/v1/decisions/%d", id), tok, nil)
		case x < 95:
			r.do(&r.writes, "POST", base+fmt.Sprintf("/api/v1/decisions/%d/contributions", id), tok,
				map[string]string{"kind": "comment", "text": fmt.Sprintf("Comment %d from client %d.", rng.IntN(1e6), i)})
		default:
			r.do(&r.writes, "POST", base+"/api/v1/decisions", tok, map[string]any{"title": "Opened under load",
				"proposal": "A decision a client opened.", "invitees": []string{users[(i+1)%*n].Email, users[(i+2)%*n].Email}})
		}
	})
	elapsed := time.Since(start)
	sent := s.smtp.Count() - sentBefore

	// The floor: the same clients reading what needs-input returned, from
	// a handler that does nothing else.
	body := r.sample(tokens[0], "/api/v1/decisions/needs-input")
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer bare.Close()
	f := &run{client: newClient(*n), base: bare.URL}
	fstart := time.Now()
	f.drive(ctx, *n, *floorFor, func(int, *rand.Rand) { f.do(&f.reads, "GET", bare.URL+"/", "", nil) })
	felapsed := time.Since(fstart)

	reqs := r.reads.count() + r.writes.count()
	fmt.Printf("%d clients for %s while %d emails went out (%d queued at the start):\n", *n, elapsed.Round(time.Second), sent, *emails)
	fmt.Printf("  reads   %s  (%.0f/s)\n", r.reads.summary(), float64(r.reads.count())/elapsed.Seconds())
	fmt.Printf("  writes  %s  (%.0f/s)  goal p99 <= 1s: %s\n", r.writes.summary(), float64(r.writes.count())/elapsed.Seconds(), verdict(r.writes.p99() <= time.Second))
	fmt.Printf("  errors  %d of %d requests%s  goal 0: %s\n", r.errors.Load(), reqs, r.errorList(), verdict(r.errors.Load() == 0))
	fmt.Printf("  floor   %s  (%.0f/s)  bare net/http serving the same %d bytes, same clients\n",
		f.reads.summary(), float64(f.reads.count())/felapsed.Seconds(), len(body))
	fmt.Printf("  ratio   read throughput %.2fx the floor's\n",
		(float64(r.reads.count())/elapsed.Seconds())/(float64(f.reads.count())/felapsed.Seconds()))
	if r.errors.Load() != 0 || r.writes.p99() > time.Second {
		return fmt.Errorf("goals missed")
	}
	return nil
}

func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

// run is one load run's clients and what they saw.
type run struct {
	client        *http.Client
	base          string
	reads, writes counted
	errors        atomic.Int64
	mu            sync.Mutex
	seen          map[string]int // error → count
}

type counted struct{ latencies }

func (c *counted) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.d)
}

// drive runs n clients calling step in a loop until d passes.
func (r *run) drive(ctx context.Context, n int, d time.Duration, step func(i int, rng *rand.Rand)) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for ctx.Err() == nil {
				step(i, rng)
			}
		}()
	}
	wg.Wait()
}

// do makes one request and records its latency, or why it failed.
func (r *run) do(into *counted, method, url, token string, body any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		r.fail(method + " " + err.Error())
		return
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	into.add(time.Since(start))
	if resp.StatusCode >= 300 {
		r.fail(fmt.Sprintf("%s %d %s", method, resp.StatusCode, strings.TrimSpace(string(msg))))
	}
}

func (r *run) fail(what string) {
	r.errors.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]int{}
	}
	if len(what) > 160 {
		what = what[:160]
	}
	r.seen[what]++
}

// errorList is the distinct errors seen, most frequent first.
func (r *run) errorList() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var kinds []string
	for k := range r.seen {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return r.seen[kinds[i]] > r.seen[kinds[j]] })
	var b strings.Builder
	for i, k := range kinds {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "\n          %d × %s", r.seen[k], k)
	}
	return b.String()
}

// sample is what path returns to token.
func (r *run) sample(token, path string) []byte {
	req, _ := http.NewRequest("GET", r.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.client.Do(req)
	if err != nil {
		return []byte("{}")
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
