package meetings

// ActionText lets the tests check how an action item line is read.
var ActionText = actionText

// UpcomingQuery lets the plan test read the meetings page's query.
var UpcomingQuery = upcomingQuery
