package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"meetingd/decisions"
	"meetingd/internal/app"
	"meetingd/internal/db"
	"meetingd/internal/mailtest"
	"meetingd/internal/people"
	"meetingd/internal/secret"
)

// shifted is the wall clock moved by an offset the run sets: decisions
// created "a day ago" fall due in the next seconds of real time, so close
// lateness is measured in real time without waiting out a window.
type shifted struct{ off atomic.Int64 }

func (c *shifted) Now() time.Time      { return time.Now().UTC().Add(time.Duration(c.off.Load())) }
func (c *shifted) set(d time.Duration) { c.off.Store(int64(d)) }

// service is a real meetingd on a fresh database (a SQLite file, or a new
// PostgreSQL database), mailing a real SMTP server on loopback.
type service struct {
	*app.App
	clock *shifted
	smtp  *mailtest.Server
	url   string // where its HTTP surface listens, once serve has run
	stop  context.CancelFunc
	done  chan struct{}
}

func newService(ctx context.Context, dsn string, smtpDelay time.Duration) (*service, error) {
	smtp, err := mailtest.Listen()
	if err != nil {
		return nil, err
	}
	smtp.Delay = smtpDelay
	cfg := app.Defaults()
	cfg.DB, cfg.SMTP, cfg.Operators = dsn, smtp.URL(), []string{"operator@example.com"}
	// The load is a measuring machine, not a person: what it measures is
	// the engine, so rate limits are off (as the servers it starts run).
	cfg.Limits = app.Limits{}
	c := &shifted{}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(ctx, cfg, c, log)
	if err != nil {
		smtp.Close()
		return nil, err
	}
	return &service{App: a, clock: c, smtp: smtp}, nil
}

// serve starts the scheduler and the HTTP surface, as `meetingd serve`
// does.
func (s *service) serve(ctx context.Context) error {
	ctx, s.stop = context.WithCancel(ctx)
	release, err := s.Serve(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		release()
		return err
	}
	s.url = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: s.Handler(ctx), ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go srv.Serve(ln)
	go func() {
		defer close(s.done)
		defer release()
		s.Worker.Run(ctx)
	}()
	return nil
}

func (s *service) close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	s.App.Close()
	s.smtp.Close()
}

// allDay are working hours that never hold an email back: the load is
// about the engine, not about waiting for anyone's morning.
var allDay = people.Patch{WorkStart: ptr("00:00"), WorkEnd: ptr("23:59"),
	WorkDays: &[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}}

func ptr[T any](v T) *T { return &v }

// users makes n people user0…, each with an API token.
func (s *service) users(ctx context.Context, prefix string, n int) ([]people.Person, []string, error) {
	ps := make([]people.Person, n)
	tokens := make([]string, n)
	for i := range n {
		p, err := people.Ensure(ctx, s.DB, fmt.Sprintf("%s%d@example.com", prefix, i), "", "UTC", s.Clock.Now())
		if err != nil {
			return nil, nil, err
		}
		if p, err = people.Update(ctx, s.DB, p.ID, allDay); err != nil {
			return nil, nil, err
		}
		if tokens[i], err = people.NewToken(ctx, s.DB, p.ID, "load", s.Clock.Now()); err != nil {
			return nil, nil, err
		}
		ps[i] = p
	}
	return ps, tokens, nil
}

// queueMail opens decisions by owner, each inviting all of invitees (but
// the owner, who is not invited to their own decision), until n
// invitation emails are queued.
func (s *service) queueMail(ctx context.Context, owner people.Person, invitees []people.Person, n int) error {
	var emails []string
	for _, p := range invitees {
		if p.ID != owner.ID {
			emails = append(emails, p.Email)
		}
	}
	for made := 0; made < n; made += len(emails) {
		in := decisions.Input{Title: fmt.Sprintf("Queued %d", made), Proposal: "Load: invitations to deliver.",
			Invitees: emails[:min(len(emails), n-made)]}
		if _, err := s.Decisions.Create(ctx, owner.Actor(), in, nil); err != nil {
			return fmt.Errorf("queue mail: %w", err)
		}
	}
	return nil
}

// freshDB is an empty database for one run: a SQLite file in dir, or, when
// server is a postgres:// URL, a new database on that server, dropped by
// drop.
func freshDB(ctx context.Context, server, dir string) (dsn string, drop func(), err error) {
	if !db.IsPostgres(server) {
		return filepath.Join(dir, "meetingd.db"), func() {}, nil
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		return "", nil, err
	}
	name := "meetingd_load_" + secret.Hex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		defer admin.Close()
		admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
	}, nil
}

// buildMeetingd builds the meetingd binary of this checkout into dir,
// unless binary names one already.
func buildMeetingd(ctx context.Context, dir, binary string) (string, error) {
	if binary != "" {
		return binary, nil
	}
	binary = filepath.Join(dir, "meetingd")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", binary, "meetingd/cmd/meetingd").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build meetingd: %v\n%s", err, out)
	}
	return binary, nil
}

// child is `meetingd serve` in a process of its own, on the service's
// database and SMTP server.
type child struct {
	cmd *exec.Cmd
	url string
}

// startChild starts binary serving s's database, and waits until it
// answers.
func (s *service) startChild(ctx context.Context, binary string, log io.Writer) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "serve", "--db", s.Cfg.DB, "--smtp", s.smtp.URL(), "--addr", addr, "--poll", "1s",
		"--operators", strings.Join(s.Cfg.Operators, ","), "--rate-limits", "off")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, url: "http://" + addr}
	err = waitFor(ctx, 30*time.Second, func() (bool, error) {
		resp, err := http.Get(c.url + "/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("meetingd did not start: %w", err)
	}
	return c, nil
}

// peakRSS is the child's peak resident memory so far.
func (c *child) peakRSS() (int64, error) {
	return peakRSS(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
}

func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
}

// freeAddr is a loopback address nothing listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// peakRSS is a process's peak resident memory, from its /proc status.
func peakRSS(status string) (int64, error) {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in %s", status)
}

// waitFor polls cond every 20 ms until it holds or limit passes.
func waitFor(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("gave up waiting after " + limit.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
