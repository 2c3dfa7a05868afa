package calendar

import (
	"errors"
	"io"
	"io/fs"
	"slices"
)

// An import holds its whole file while it runs: it reads it twice, to
// check it and to store it. The collector lets Go's heap grow to twice
// what is live before collecting, and the file is most of what is live,
// so in the heap a 43 MB file took some 100 MB of it, and the process 150
// MB. Held outside the heap where the system allows (offHeap), the file
// counts once, and only what an import decodes from it counts twice.

// fileBuffer is an import's file and how to let it go; nothing may use
// the bytes after release.
type fileBuffer struct {
	data    []byte
	release func()
}

// newFileBuffer is an empty buffer with room for size bytes.
func newFileBuffer(size int) fileBuffer {
	b, release := offHeap(size)
	return fileBuffer{data: b[:0], release: release}
}

// readImport reads r whole for an import: a regular file into a buffer
// of its size outside the heap, anything else as io.ReadAll does.
func readImport(r io.Reader) (fileBuffer, error) {
	size, ok := regularSize(r)
	if !ok {
		data, err := io.ReadAll(r)
		return fileBuffer{data: data, release: func() {}}, err
	}
	b := newFileBuffer(size)
	n, err := io.ReadFull(r, b.data[:size])
	b.data = b.data[:n]
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF): // it shrank since
		return b, nil
	case err != nil:
		b.release()
		return fileBuffer{}, err
	}
	rest, err := io.ReadAll(r)
	if err != nil || len(rest) > 0 { // it grew since: the heap will do
		data := append(slices.Clone(b.data), rest...)
		b.release()
		return fileBuffer{data: data, release: func() {}}, err
	}
	return b, nil
}

// regularSize is the size of r if it is a regular file.
func regularSize(r io.Reader) (int, bool) {
	f, ok := r.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return 0, false
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() <= 0 || int64(int(st.Size())) != st.Size() {
		return 0, false
	}
	return int(st.Size()), true
}
