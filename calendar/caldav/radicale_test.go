package caldav_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// radicale is a real CalDAV server (Debian's radicale package) run for one
// test on a free loopback port, with its own storage folder, and a user
// ana whose app password is anaPass. Tests act as ana's calendar app
// through it (PUT, DELETE), and point meetingd at front, a proxy that
// counts meetingd's requests and can make the server fail.
type radicale struct {
	URL   string // the server itself
	front *front
}

const (
	anaUser = "ana"
	anaPass = "app-pw-9Qx3"
)

func startRadicale(t testing.TB) *radicale {
	t.Helper()
	bin, err := exec.LookPath("radicale")
	if err != nil {
		t.Fatal("no radicale: install Debian's radicale (.ci/run does): the CalDAV tests run against a real server")
	}
	dir := t.TempDir()
	port := freePort(t)
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte(anaUser+":"+anaPass+"\nben:ben-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config")
	err = os.WriteFile(config, []byte(fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = %s
[logging]
level = warning
`, port, users, filepath.Join(dir, "collections"))), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "--config", config)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("radicale said:\n%s", out.String())
		}
	})
	r := &radicale{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	// Radicale is another process: wait for it to answer, with a deadline.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(r.URL + "/.web/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("radicale did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.front = newFront(t, r.URL)
	return r
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// do makes a request as a user's calendar app would.
func (r *radicale) do(t testing.TB, user, pass, method, path, ifMatch, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, r.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	if method == http.MethodPut {
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// mkcalendar makes ana's calendar at path, named name.
func (r *radicale) mkcalendar(t testing.TB, path, name string) {
	t.Helper()
	resp := r.do(t, anaUser, anaPass, "MKCALENDAR", path, "", `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>`+name+
		`</D:displayname></D:prop></D:set></C:mkcalendar>`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("MKCALENDAR %s: %s", path, resp.Status)
	}
}

// put stores an object as ana's calendar app does, if its etag is still
// ifMatch ("" for a new one), and returns its new etag.
func (r *radicale) put(t testing.TB, path, ifMatch, ics string) string {
	t.Helper()
	resp := r.do(t, anaUser, anaPass, http.MethodPut, path, ifMatch, ics)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %s %s", path, resp.Status, b)
	}
	return resp.Header.Get("ETag")
}

// get reads an object and its etag as stored on the server.
func (r *radicale) get(t testing.TB, path string) (string, string) {
	t.Helper()
	resp := r.do(t, anaUser, anaPass, http.MethodGet, path, "", "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	// Unfold, so a test can look for a property whole.
	return strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n ", ""), "\n ", ""), resp.Header.Get("ETag")
}

func (r *radicale) delete(t testing.TB, path string) {
	t.Helper()
	resp := r.do(t, anaUser, anaPass, http.MethodDelete, path, "", "")
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE %s: %s", path, resp.Status)
	}
}

// front stands between meetingd and the server: it notes each request
// ("REPORT sync-collection 207") and, when told, answers for the server:
// a failure, or no sync-collection report.
type front struct {
	*httptest.Server
	mu       sync.Mutex
	log      []string
	fail     int    // answer every request with this status
	header   string // "Name: value" sent with a failure
	noSyncRp bool   // refuse sync-collection as a server without RFC 6578 does
}

func newFront(t testing.TB, server string) *front {
	u, _ := url.Parse(server)
	proxy := httputil.NewSingleHostReverseProxy(u)
	f := &front{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		what := r.Method
		switch {
		case bytes.Contains(body, []byte("sync-collection")):
			what += " sync-collection"
		case bytes.Contains(body, []byte("calendar-multiget")):
			what += " calendar-multiget"
		case r.Method == "PROPFIND":
			what += " depth " + r.Header.Get("Depth")
		}
		f.mu.Lock()
		fail, header, noSync := f.fail, f.header, f.noSyncRp
		f.mu.Unlock()
		rec := &statusWriter{ResponseWriter: w}
		switch {
		case fail != 0:
			if name, value, ok := strings.Cut(header, ": "); ok {
				w.Header().Set(name, value)
			}
			http.Error(rec, "down for maintenance", fail)
		case noSync && strings.HasSuffix(what, "sync-collection"):
			rec.Header().Set("Content-Type", "application/xml; charset=utf-8")
			rec.WriteHeader(http.StatusForbidden)
			io.WriteString(rec, `<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:supported-report/></D:error>`)
		default:
			proxy.ServeHTTP(rec, r)
		}
		f.mu.Lock()
		f.log = append(f.log, fmt.Sprintf("%s %d", what, rec.status))
		f.mu.Unlock()
	}))
	t.Cleanup(f.Close)
	return f
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// take returns the requests noted since the last take.
func (f *front) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.log
	f.log = nil
	return out
}

func (f *front) failWith(status int, header string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail, f.header = status, header
}

func (f *front) refuseSyncReport(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noSyncRp = on
}
