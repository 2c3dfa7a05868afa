package db

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrLocked is another process holding a lock.
var ErrLocked = errors.New("locked by another process")

// LockFile takes an exclusive lock on the file at path, creating it, for
// as long as the process lives or until release: the operating system
// drops it when the process dies, however it dies.
func LockFile(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
