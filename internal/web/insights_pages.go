package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"meetingd/decisions"
	"meetingd/internal/errs"
	"meetingd/internal/people"
	"meetingd/meetings"
)

// insightWeeks is how far back /insights looks: a quarter, in whole weeks.
const insightWeeks = 12

// insightSeriesLimit bounds the series picker.
const insightSeriesLimit = 200

// insightsPage shows how the team (or one series) meets: charts drawn on
// the server, each with its table.
func (s *Server) insightsPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.insights(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dash.insights", p)
}

// insightsCSV downloads the numbers of the same page.
func (s *Server) insightsCSV(w http.ResponseWriter, r *http.Request) {
	p, err := s.insights(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	name := "meetingd-insights.csv"
	if p.SeriesID != 0 {
		name = fmt.Sprintf("meetingd-insights-series-%d.csv", p.SeriesID)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := p.writeCSV(w); err != nil {
		s.Log.ErrorContext(r.Context(), "insights csv", "err", err)
	}
}

// insights gathers the page's numbers for the request's viewer and scope.
// Whether the viewer may see the series is asked on every request; the
// numbers themselves may be a few seconds old (insights_cache.go).
func (s *Server) insights(r *http.Request) (insightsPage, error) {
	p := insightsPage{Base: s.baseFor(r, "Insights"), Weeks: insightWeeks}
	var err error
	if p.SeriesID, err = seriesParam(r); err != nil {
		return p, err
	}
	sc := weeksBefore(p.Now, p.Loc, insightWeeks)
	sc.SeriesID = p.SeriesID
	a := actor(r)
	if p.SeriesID != 0 {
		if p.SeriesTitle, err = s.Meetings.SeriesTitle(r.Context(), a, p.SeriesID); err != nil {
			return p, err
		}
		p.Title = "Insights: " + p.SeriesTitle
	}
	key := insightsKey{series: p.SeriesID, from: sc.Weeks[0].Unix()}
	if !a.Operator {
		key.person = a.PersonID
	}
	// Readers waiting on this computation must not fail because the
	// request that started it went away.
	ctx := context.WithoutCancel(r.Context())
	n, err := s.insightsKept.get(key, p.Now, func() (insightNumbers, error) { return s.computeInsights(ctx, a, sc, p) })
	if err != nil {
		return p, err
	}
	base := p.Base
	p = n.page
	p.Base, p.AsOf = base, n.at
	return p, nil
}

// computeInsights asks the domain packages for the numbers and renders
// them: what readers of the same key share (the page around them carries
// each reader's own session).
func (s *Server) computeInsights(ctx context.Context, a people.Actor, sc meetings.InsightScope, p insightsPage) (insightNumbers, error) {
	var err error
	if p.Series, err = s.Meetings.InsightSeries(ctx, a, sc, insightSeriesLimit); err != nil {
		return insightNumbers{}, err
	}
	m, err := s.Meetings.Insights(ctx, a, sc)
	if err != nil {
		return insightNumbers{}, err
	}
	d, err := s.Decisions.Insights(ctx, a, decisionScope(sc))
	if err != nil {
		return insightNumbers{}, err
	}
	p.fill(sc, m, d)
	var b bytes.Buffer
	if err := s.Templates.HTML(&b, "insights.numbers", p); err != nil {
		return insightNumbers{}, err
	}
	p.Body = template.HTML(b.String())
	return insightNumbers{page: p}, nil
}

// decisionScope counts the decisions that closed in the meeting scope's
// weeks, from the series' occurrences when one is picked.
func decisionScope(sc meetings.InsightScope) decisions.InsightScope {
	ds := decisions.InsightScope{From: sc.Weeks[0], To: sc.End, Attended: meetings.Attended}
	if sc.SeriesID != 0 {
		ds.Occurrences = meetings.InSeries(sc.SeriesID)
	}
	return ds
}

// seriesParam is the series the page is about, 0 for the whole team.
func seriesParam(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("series")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Errorf(errs.Invalid, "series %q is not a valid id; pick one from the list on /insights", v)
	}
	return id, nil
}

// weeksBefore is the scope of the n weeks up to now, each from Monday
// 00:00 in the reader's zone, the last one this week so far.
func weeksBefore(now time.Time, loc *time.Location, n int) meetings.InsightScope {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	back := (int(local.Weekday()) + 6) % 7 // days since Monday
	monday := time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, loc)
	sc := meetings.InsightScope{End: now}
	for i := n - 1; i >= 0; i-- {
		sc.Weeks = append(sc.Weeks, monday.AddDate(0, 0, -7*i))
	}
	return sc
}

// CSVURL downloads this page's numbers.
func (p insightsPage) CSVURL() string {
	if p.SeriesID == 0 {
		return "/insights.csv"
	}
	return "/insights.csv?" + url.Values{"series": {strconv.FormatInt(p.SeriesID, 10)}}.Encode()
}
