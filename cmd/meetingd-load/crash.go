package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// crash kills a real `meetingd serve` process with SIGKILL at random
// moments while it delivers queued email, restarts it each time, and then
// counts what the SMTP server received: none lost, at most the one in
// flight per kill repeated (with its Message-ID), and everything delivered
// soon after the last restart.
func crash(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("crash", flag.ExitOnError)
	kills := fs.Int("kills", 10, "how many times the server is killed")
	emails := fs.Int("emails", 500, "emails queued before the first start")
	delay := fs.Duration("smtp-delay", 20*time.Millisecond, "time the SMTP server takes to accept each message, so that kills land mid-delivery")
	binary := fs.String("meetingd", "", "the meetingd binary (default: built from this checkout)")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the kill moments")
	fs.Parse(args)

	dir, err := os.MkdirTemp("", "meetingd-load")
	if err != nil {
		return err
	}
	failed := false
	defer func() {
		if !failed { // kept to look into otherwise
			os.RemoveAll(dir)
		}
	}()
	if *binary, err = buildMeetingd(ctx, dir, *binary); err != nil {
		return err
	}
	s, err := newService(ctx, filepath.Join(dir, "meetingd.db"), *delay)
	if err != nil {
		return err
	}
	defer s.smtp.Close()
	recipients, _, err := s.users(ctx, "m", 100)
	if err != nil {
		return err
	}
	if err := s.queueMail(ctx, recipients[0], recipients, *emails); err != nil {
		return err
	}
	s.App.Close()

	rng := rand.New(rand.NewPCG(*seed, 2))
	logFile, err := os.Create(filepath.Join(dir, "meetingd.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	start := func() (*exec.Cmd, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(*binary, "serve", "--db", s.Cfg.DB, "--smtp", s.smtp.URL(), "--addr", addr, "--poll", "1s", "--rate-limits", "off")
		cmd.Stdout, cmd.Stderr = logFile, logFile
		return cmd, cmd.Start()
	}
	for k := range *kills {
		cmd, err := start()
		if err != nil {
			return err
		}
		up := time.Duration(300+rng.IntN(1200)) * time.Millisecond
		time.Sleep(up) // a random moment of the run to die at
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		fmt.Printf("  kill %2d after %v: %d emails received so far\n", k+1, up, s.smtp.Count())
	}
	cmd, err := start()
	if err != nil {
		return err
	}
	restarted := time.Now()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	distinct := func() int {
		ids := map[string]bool{}
		for _, m := range s.smtp.Messages() {
			ids[m.MessageID] = true
		}
		return len(ids)
	}
	waitErr := waitFor(ctx, 2*time.Minute, func() (bool, error) { return distinct() >= *emails, nil })
	var last time.Time
	for _, m := range s.smtp.Messages() {
		last = later(last, m.Received)
	}
	got, total := distinct(), s.smtp.Count()
	lost, dups := *emails-got, total-got
	settled := last.Sub(restarted)
	fmt.Printf("kill -9 %d times while %d emails were delivered (seed %d):\n", *kills, *emails, *seed)
	fmt.Printf("  lost        %d  goal 0: %s\n", max(lost, 0), verdict(lost <= 0))
	fmt.Printf("  duplicates  %d (same Message-ID)  goal <= %d: %s\n", dups, *kills, verdict(dups <= *kills))
	fmt.Printf("  all delivered %v after the last restart  goal <= 30s: %s\n", settled.Round(10*time.Millisecond), verdict(waitErr == nil && settled <= 30*time.Second))
	if waitErr != nil || lost > 0 || dups > *kills || settled > 30*time.Second {
		failed = true
		return fmt.Errorf("goals missed (database and log kept in %s)", dir)
	}
	return nil
}
