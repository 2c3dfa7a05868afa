//go:build linux || darwin || freebsd || netbsd || openbsd

package calendar

import "syscall"

// offHeap is size bytes of anonymous memory the collector neither counts
// nor scans, and how to give them back; heap memory if the system refuses.
func offHeap(size int) ([]byte, func()) {
	if size > 0 {
		b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err == nil {
			return b, func() { syscall.Munmap(b) }
		}
	}
	return make([]byte, size), func() {}
}
