package meetings

// ActionText lets the tests check how an action item line is read.
var ActionText = actionText
