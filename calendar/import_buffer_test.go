package calendar

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readImport gives the bytes of a file, or of any reader, whole.
func TestReadImportReadsWhole(t *testing.T) {
	want := []byte(strings.Repeat("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", 5000))
	path := filepath.Join(t.TempDir(), "cal.ics")
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, r := range map[string]interface{ Read([]byte) (int, error) }{"file": f, "reader": bytes.NewReader(want)} {
		b, err := readImport(r)
		if err != nil || !bytes.Equal(b.data, want) {
			t.Errorf("%s: %d bytes, %v; want %d", name, len(b.data), err, len(want))
		}
		b.release()
	}
}

// A file that grows after its size is taken is read to its end.
func TestReadImportFileThatGrew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cal.ics")
	if err := os.WriteFile(path, []byte("BEGIN:VCALENDAR\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grown := growingFile{File: f, more: []byte("END:VCALENDAR\r\n")}
	b, err := readImport(&grown)
	defer b.release()
	if err != nil || string(b.data) != "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" {
		t.Fatalf("read %q, %v", b.data, err)
	}
}

// growingFile appends more to its file once its size has been taken.
type growingFile struct {
	*os.File
	more []byte
}

func (g *growingFile) Stat() (os.FileInfo, error) {
	st, err := g.File.Stat()
	if err == nil && g.more != nil {
		_, err = g.File.WriteAt(g.more, st.Size())
		g.more = nil
	}
	return st, err
}
