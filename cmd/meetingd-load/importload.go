package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"meetingd/calendar"
	"meetingd/decisions"
	"meetingd/internal/people"
)

// importLoad posts a large ICS file to a `meetingd serve` process of its
// own and, while it is imported in the background, has writers contribute
// to decisions. The floor is the same writers for the same time before
// the import starts. The server's peak memory is read from /proc.
func importLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ExitOnError)
	events := fs.Int("events", 100_000, "events in the file")
	writers := fs.Int("writers", 20, "clients writing while it is imported")
	floorFor := fs.Duration("floor-duration", 10*time.Second, "how long the writers run before the import, as the floor")
	binary := fs.String("meetingd", "", "the meetingd binary (default: built from this checkout)")
	fs.Parse(args)

	dir, err := os.MkdirTemp("", "meetingd-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "big.ics")
	size, err := writeICS(file, *events, time.Now().Add(48*time.Hour))
	if err != nil {
		return err
	}
	if *binary, err = buildMeetingd(ctx, dir, *binary); err != nil {
		return err
	}
	s, err := newService(ctx, filepath.Join(dir, "meetingd.db"), 0)
	if err != nil {
		return err
	}
	defer s.smtp.Close()
	op, err := people.Ensure(ctx, s.DB, "operator@example.com", "", "UTC", s.Clock.Now())
	if err != nil {
		return err
	}
	opToken, err := people.NewToken(ctx, s.DB, op.ID, "load", s.Clock.Now())
	if err != nil {
		return err
	}
	users, tokens, err := s.users(ctx, "w", *writers)
	if err != nil {
		return err
	}
	ids := make([]int64, *writers)
	for i, u := range users {
		d, err := s.Decisions.Create(ctx, u.Actor(), decisions.Input{Title: fmt.Sprintf("Written %d", i), Proposal: "Under import."}, nil)
		if err != nil {
			return err
		}
		ids[i] = d.ID
	}
	s.App.Close()
	log, err := os.Create(filepath.Join(dir, "meetingd.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	srv, err := s.startChild(ctx, *binary, log)
	if err != nil {
		return err
	}
	defer srv.stop()
	write := func(r *run) func(int, *rand.Rand) {
		return func(i int, rng *rand.Rand) {
			r.do(&r.writes, "POST", srv.url+fmt.Sprintf("/api/v1/decisions/%d/contributions", ids[i]), tokens[i],
				map[string]string{"kind": "comment", "text": "Written during the import " + strconv.Itoa(rng.IntN(1e6))})
		}
	}
	floor := &run{client: newClient(*writers), base: srv.url}
	floor.drive(ctx, *writers, *floorFor, write(floor))

	during := &run{client: newClient(*writers), base: srv.url}
	start := time.Now()
	loc, err := postICS(srv.url, opToken, file)
	if err != nil {
		return err
	}
	importCtx, stopWriters := context.WithCancel(ctx)
	writersDone := make(chan struct{})
	go func() {
		defer close(writersDone)
		during.drive(importCtx, *writers, 24*time.Hour, write(during))
	}()
	var st calendar.ImportStatus
	err = waitFor(ctx, time.Hour, func() (bool, error) {
		st, err = importStatus(srv.url+loc, opToken)
		return st.State != calendar.ImportQueued && st.State != calendar.ImportRunning, err
	})
	took := time.Since(start)
	stopWriters()
	<-writersDone
	if err != nil {
		return err
	}
	if st.State != calendar.ImportDone {
		return fmt.Errorf("import %s: %s", st.State, st.Error)
	}
	peak, err := srv.peakRSS()
	if err != nil {
		return err
	}
	fmt.Printf("import of %d events (%.1f MB) through the API: %s, %.0f events/s; created %d, skipped %d\n",
		*events, float64(size)/1e6, took.Round(100*time.Millisecond), float64(st.Done)/took.Seconds(), st.Created, st.Skipped)
	fmt.Printf("  writes during   %s  goal p99 <= 1s: %s\n", during.writes.summary(), verdict(during.writes.p99() <= time.Second))
	fmt.Printf("  writes before   %s  (floor: the same writers, no import)\n", floor.writes.summary())
	fmt.Printf("  errors          %d%s\n", during.errors.Load()+floor.errors.Load(), during.errorList())
	fmt.Printf("  peak RSS        %.0f MB (the meetingd process)  goal <= 150 MB: %s\n", float64(peak)/1e6, verdict(peak <= 150e6))
	if during.writes.p99() > time.Second || peak > 150e6 || during.errors.Load() > 0 {
		return fmt.Errorf("goals missed")
	}
	return nil
}

// writeICS writes n meetings of three people each, spread over 150 days.
func writeICS(path string, n int, start time.Time) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	w.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//meetingd//load//EN\r\n")
	for i := range n {
		at := start.Add(time.Duration(i%3600) * time.Hour).UTC()
		fmt.Fprintf(w, "BEGIN:VEVENT\r\nUID:load-%d@example.com\r\nDTSTAMP:20261001T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Meeting %d\r\n",
			i, at.Format("20060102T150405Z"), at.Add(time.Hour).Format("20060102T150405Z"), i)
		fmt.Fprintf(w, "ORGANIZER:mailto:org%d@example.com\r\nATTENDEE:mailto:p%d@example.com\r\nATTENDEE:mailto:p%d@example.com\r\nEND:VEVENT\r\n",
			i%50, i%400, (i+7)%400)
	}
	w.WriteString("END:VCALENDAR\r\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}

// postICS starts the import of file, streamed from disk, and returns the
// address of its status.
func postICS(base, token, file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/import?name=load", f)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/calendar")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		var e map[string]any
		json.NewDecoder(resp.Body).Decode(&e)
		return "", fmt.Errorf("import answered %d: %v", resp.StatusCode, e)
	}
	return resp.Header.Get("Location"), nil
}

func importStatus(url, token string) (calendar.ImportStatus, error) {
	var st calendar.ImportStatus
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("import status answered %d", resp.StatusCode)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}
