//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package calendar

// offHeap is size bytes of heap memory here: the system has no anonymous
// mappings Go can ask for.
func offHeap(size int) ([]byte, func()) { return make([]byte, size), func() {} }
