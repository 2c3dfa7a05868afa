// Package metrics holds what /metrics exposes, in Prometheus format: HTTP
// latency, jobs run and failed, emails sent, decisions open.
package metrics

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// OpenDecisions counts the decisions taking contributions; the decisions
// package answers.
type OpenDecisions interface {
	CountOpen(ctx context.Context) (int, error)
}

// Metrics is one service's collectors, in a registry of its own so tests
// can run several services in one process.
type Metrics struct {
	Registry     *prometheus.Registry
	httpDuration *prometheus.HistogramVec
	jobs         *prometheus.CounterVec
	emails       *prometheus.CounterVec
}

// New registers the collectors; open is asked at each scrape.
func New(open OpenDecisions) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
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
	gauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "meetingd_decisions_open", Help: "Decisions open for contributions.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := open.CountOpen(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.Registry.MustRegister(m.httpDuration, m.jobs, m.emails, gauge,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

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

// ObserveHTTP records one request's latency under its route (a path with
// ids replaced, so the label has few values).
func (m *Metrics) ObserveHTTP(method, route string, code int, d time.Duration) {
	m.httpDuration.WithLabelValues(method, route, strconv.Itoa(code)).Observe(d.Seconds())
}
