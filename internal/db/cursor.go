package db

import "time"

// Cursor is a position in a list ordered by a time and then an id: a list
// pages by handing back its last row's position, and the next page starts
// after it. Keyset paging stays fast however deep it goes.
type Cursor struct {
	At time.Time
	ID int64
}
