package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkDecisionsUnderLoad measures the decisions page and its API over
// 100,000 stored decisions with 16 concurrent clients on loopback, next to
// a bare net/http handler measured the same way in the same run. Run it
// once: go test ./cmd/meetingd/ -run XXX -bench DecisionsUnderLoad -benchtime 1x
func BenchmarkDecisionsUnderLoad(b *testing.B) {
	const stored, people, perDecision, clients, requests = 100_000, 50, 5, 16, 4000
	ta := newTestApp(b, "", t0)
	seedDecisions(b, ta, stored, people, perDecision)
	token := ta.Token("p0@example.com")
	browserClient := ta.signIn(b, "p0@example.com")
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer bare.Close()

	cookie := browserClient.Jar.Cookies(mustURL(ta.URL))[0]
	targets := []struct {
		name string
		req  func() *http.Request
	}{
		{"bare net/http", func() *http.Request { r, _ := http.NewRequest("GET", bare.URL, nil); return r }},
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
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.ResetTimer()
	for _, tg := range targets {
		lat := load(b, client, tg.req, clients, requests)
		slices.Sort(lat)
		p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
		b.Logf("%-36s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %6.2f ms", tg.name, p(.5), p(.9), p(.99), p(1))
		unit := strings.NewReplacer(" ", "_", "/", "_", "?", "_", "=", "_", "(", "", ")", "").Replace(tg.name)
		b.ReportMetric(p(.5), unit+"_p50_ms")
		b.ReportMetric(p(.99), unit+"_p99_ms")
	}
}

// load sends n requests from c concurrent clients and returns each latency.
func load(b *testing.B, client *http.Client, req func() *http.Request, c, n int) []time.Duration {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for j := 0; j < n/c; j++ {
				start := time.Now()
				resp, err := client.Do(req())
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
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
