// Package metrics holds what /metrics exposes, in Prometheus format: HTTP
// latency, jobs run and failed, emails sent, decisions open.
package metrics

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"meetingd/internal/db"
)

// Metrics is one service's collectors, in a registry of its own so tests
// can run several services in one process.
type Metrics struct {
	reg          *prometheus.Registry
	httpDuration *prometheus.HistogramVec
	jobs         *prometheus.CounterVec
	emails       *prometheus.CounterVec
}

// New registers the collectors; openDecisions is read at each scrape.
func New(q db.Queryer) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "meetingd_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method", "route", "code"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meetingd_jobs_total", Help: "Scheduled jobs run, by kind and result (ok or failed).",
	}, []string{"kind", "result"})
	m.emails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meetingd_emails_sent_total", Help: "Emails delivered, by kind and transport.",
	}, []string{"kind", "transport"})
	open := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "meetingd_decisions_open", Help: "Decisions open for contributions.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int
		if err := q.GetContext(ctx, &n, `SELECT COUNT(*) FROM decisions WHERE state = 'open'`); err != nil {
			return -1
		}
		return float64(n)
	})
	m.reg.MustRegister(m.httpDuration, m.jobs, m.emails, open,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// Job counts one job run.
func (m *Metrics) Job(kind string, err error) {
	result := "ok"
	if err != nil {
		result = "failed"
	}
	base, _, _ := strings.Cut(kind, "@")
	m.jobs.WithLabelValues(base, result).Inc()
}

// Email counts one email delivered.
func (m *Metrics) Email(kind, transport string) { m.emails.WithLabelValues(kind, transport).Inc() }

// ObserveHTTP records one request's latency.
func (m *Metrics) ObserveHTTP(method, path string, code int, d time.Duration) {
	m.httpDuration.WithLabelValues(method, Route(path, code), strconv.Itoa(code)).Observe(d.Seconds())
}

var idSegment = regexp.MustCompile(`^[0-9]+$|^[0-9a-f]{24,}(\.ics)?$`)

// Route is the path with ids and secrets replaced, so the route label has a
// bounded number of values; paths that matched nothing share one.
func Route(path string, code int) string {
	if code == http.StatusNotFound {
		return "unmatched"
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 6 {
		parts = parts[:6]
	}
	for i, p := range parts {
		if idSegment.MatchString(p) {
			parts[i] = "{id}"
		}
	}
	return "/" + strings.Join(parts, "/")
}
