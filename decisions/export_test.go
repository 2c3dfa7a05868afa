package decisions

// NeedsInputQuery lets the plan test read the query.
var NeedsInputQuery = needsInputQuery

// The insight queries, for the plan test: each builds its SQL and
// arguments without running it.
var (
	ClosedCountsQuery       = closedCountsQuery
	MedianCloseQuery        = medianCloseQuery
	ContributionCountsQuery = contributionCountsQuery
)
