package meetings

// ActionText lets the tests check how an action item line is read.
var ActionText = actionText

// UpcomingQuery lets the plan test read the meetings page's query.
var UpcomingQuery = upcomingQuery

// The insight queries, for the plan test: each builds its SQL and
// arguments without running it.
var (
	ZoneHoursQuery        = zoneHoursQuery
	PreReadStatesQuery    = preReadStatesQuery
	AttendanceCountsQuery = attendanceCountsQuery
	InsightSeriesQuery    = insightSeriesQuery
	SeriesTitleQuery      = seriesTitleQuery
)
