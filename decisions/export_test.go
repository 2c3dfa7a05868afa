package decisions

// NeedsInputQuery lets the plan test read the query.
var NeedsInputQuery = needsInputQuery
