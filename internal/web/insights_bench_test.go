package web_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"meetingd/internal/apptest"
	"meetingd/internal/dbtest"
)

// BenchmarkInsightsUnderLoad measures /insights (and its CSV) over the
// load benchmark's 100,000 decisions, with 12 weeks of meetings added to
// the copy (1,200 occurrences of 6 attendees in five time zones, every
// decision from one of them, about 80,000 contributions), 50 concurrent
// clients on loopback, beside the floor: a bare net/http handler serving
// the same bytes to the same clients. p0 is invited to a tenth of the
// decisions; the operator's page counts all of them.
//
//	go test ./internal/web -run XXX -bench InsightsUnderLoad -benchtime 1x
func BenchmarkInsightsUnderLoad(b *testing.B) {
	dbtest.SkipOnPostgres(b, "the dataset is a SQLite file")
	const clients, each = 50, 5 * time.Second
	path := benchDataset(b)
	ta := newTestApp(b, "", t0, apptest.DB(path))
	seedBenchMeetings(b, ta)
	session := func(email string) *http.Cookie { return ta.signIn(b, email).Jar.Cookies(mustURL(ta.URL))[0] }
	p0, ops := session("p0@example.com"), session("ops@example.com")
	get := func(path string, c *http.Cookie) func() *http.Request {
		return func() *http.Request { r, _ := http.NewRequest("GET", ta.URL+path, nil); r.AddCookie(c); return r }
	}
	targets := []struct {
		name string
		req  func() *http.Request
	}{
		{"GET /insights (p0)", get("/insights", p0)},
		{"GET /insights (operator)", get("/insights", ops)},
		{"GET /insights.csv (operator)", get("/insights.csv", ops)},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	b.ResetTimer()
	for _, tg := range targets[:2] {
		cold := coldLatency(b, ta, client, tg.req, 20)
		b.Logf("%-30s cold, one client: p50 %6.2f ms  max %6.2f ms (numbers worked out for each request)", tg.name, ms(cold.q(.5)), ms(cold.q(1)))
		b.ReportMetric(ms(cold.q(1)), strings.NewReplacer(" ", "_", "/", "_", ".", "_", "(", "", ")", "").Replace(tg.name)+"_cold_max_ms")
	}
	for _, tg := range targets {
		body := fetch(b, client, tg.req())
		bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
		floor := load(b, client, func() *http.Request { r, _ := http.NewRequest("GET", bare.URL, nil); return r }, clients, each)
		bare.Close()
		got := load(b, client, tg.req, clients, each)
		ratio := float64(got.q(.99)) / float64(floor.q(.99))
		b.Logf("%-30s %6.0f req/s  p50 %6.2f ms  p99 %6.2f ms   floor (bare, same %d bytes) p99 %5.2f ms   p99 %.1fx the floor's",
			tg.name, got.rate, ms(got.q(.5)), ms(got.q(.99)), len(body), ms(floor.q(.99)), ratio)
		unit := strings.NewReplacer(" ", "_", "/", "_", ".", "_", "(", "", ")", "").Replace(tg.name)
		b.ReportMetric(ms(got.q(.99)), unit+"_p99_ms")
		b.ReportMetric(ratio, unit+"_p99_x_floor")
	}
}

// seedBenchMeetings adds 12 weeks of meetings before t0 to the decisions
// dataset, ties every decision to one of them, and has a share of each
// closed decision's invitees contribute.
func seedBenchMeetings(b *testing.B, ta *testApp) {
	tx := ta.DB.MustBegin()
	tx.MustExec(`UPDATE people SET time_zone = CASE id % 5 WHEN 0 THEN 'UTC' WHEN 1 THEN 'Europe/Berlin'
		WHEN 2 THEN 'America/New_York' WHEN 3 THEN 'Asia/Tokyo' ELSE 'Australia/Sydney' END WHERE email LIKE 'p%@example.com'`)
	var people []int64
	tx.Select(&people, `SELECT id FROM people WHERE email LIKE 'p%@example.com' ORDER BY id`)
	var cal int64
	tx.Get(&cal, `INSERT INTO calendars (kind, name, created_at) VALUES ('local', 'bench', ?) RETURNING id`, t0)
	series := make([]int64, 20)
	for i := range series {
		tx.Get(&series[i], `INSERT INTO series (calendar_id, uid, title, organizer_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			cal, "bench-"+string(rune('a'+i)), "Series "+string(rune('A'+i)), people[i], t0, t0)
	}
	occ, _ := tx.Preparex(`INSERT INTO occurrences (series_id, recurrence_id, title, starts_at, ends_at, pre_read_state, pre_read_due_at, created_at, updated_at)
		VALUES (?, ?, 'Bench', ?, ?, ?, ?, ?, ?) RETURNING id`)
	att, _ := tx.Preparex(`INSERT INTO attendees (occurrence_id, person_id, role, attendance) VALUES (?, ?, 'required', ?)`)
	states, marks := []string{"ready", "ready", "late", "missing"}, []string{"", "present", "present", "async", "absent"}
	var first int64
	const n = 1200
	for i := 0; i < n; i++ {
		start := t0.Add(-time.Duration(i) * 7 * 24 * time.Hour / 100) // 100 a week, over 12 weeks
		var id int64
		if err := occ.Get(&id, series[i%20], start.UTC().Format(time.RFC3339), start, start.Add(45*time.Minute), states[i%4], start.Add(-24*time.Hour), t0, t0); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			first = id
		}
		for j := 0; j < 6; j++ {
			att.MustExec(id, people[(i+j*7)%len(people)], marks[(i+j)%5])
		}
	}
	tx.MustExec(`UPDATE decisions SET occurrence_id = ? + (id % ?)`, first, n)
	tx.MustExec(`INSERT INTO contributions (decision_id, author_id, kind, text, created_at, updated_at)
		SELECT decision_id, person_id, 'comment', 'Noted.', ?, ? FROM decision_invitees WHERE state = 'accepted' AND person_id % 2 = 0`, t0, t0)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	ta.DB.MustExec(`ANALYZE`)
}

// coldLatency times n requests one after another, each after the kept
// numbers expired (the fake clock moved past insightsTTL), so each
// request works its numbers out afresh.
func coldLatency(b *testing.B, ta *testApp, client *http.Client, req func() *http.Request, n int) measured {
	var all []time.Duration
	for range n {
		ta.Clock.Set(ta.Clock.Now().Add(31 * time.Second))
		start := time.Now()
		fetch(b, client, req())
		all = append(all, time.Since(start))
	}
	slices.Sort(all)
	return measured{lat: all}
}
