// Command meetingd-load puts a real meetingd under the loads its users and
// operators bring, and reports what it measured beside a floor measured in
// the same run: decision close lateness with the scheduler idle and with
// thousands of emails queued, many clients reading and writing while email
// goes out, a large import under concurrent writes, and delivery across
// kill -9.
//
//	go run ./cmd/meetingd-load lateness
//	go run ./cmd/meetingd-load clients -clients 200 -duration 60s
//	go run ./cmd/meetingd-load import -events 100000
//	go run ./cmd/meetingd-load crash -kills 10
//	go run ./cmd/meetingd-load replicas -db postgres://postgres@127.0.0.1/postgres -replicas 3
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
)

var scenarios = map[string]func(ctx context.Context, args []string) error{
	"lateness": lateness,
	"clients":  clients,
	"import":   importLoad,
	"crash":    crash,
	"replicas": replicas,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) < 2 || scenarios[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: meetingd-load lateness|clients|import|crash|replicas [flags]  (-h for a scenario's flags)")
		os.Exit(2)
	}
	if path := os.Getenv("MEETINGD_LOAD_CPUPROFILE"); path != "" {
		// Where the time goes, server and clients together.
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := scenarios[os.Args[1]](ctx, os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "meetingd-load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
