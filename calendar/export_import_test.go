package calendar

// ReadTwice makes imports read every file again to store it, as they read
// large ones, until the returned function restores the limits.
func ReadTwice() (restore func()) {
	bytes, events := keepBytes, keepEvents
	keepBytes, keepEvents = 0, 0
	return func() { keepBytes, keepEvents = bytes, events }
}
