package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"time"

	"meetingd/calendar"
	"meetingd/calendar/caldav"
)

// calendarSettings are the flags of polled calendars (ICS subscriptions
// and CalDAV), shared by serve and every command.
type calendarSettings struct {
	CalDAVKey string
	Poll      time.Duration
	MaxSize   int // bytes
}

// register adds the flags to fs.
func (c *calendarSettings) register(fs *flag.FlagSet) {
	def := calendar.DefaultSubscriptionConfig()
	// The key opens every stored app password: -h never prints it.
	secret(fs, &c.CalDAVKey, "caldav-key", "64 hex digits sealing CalDAV app passwords at rest (required for CalDAV calendars; make one with openssl rand -hex 32)")
	dur(fs, &c.Poll, "calendar-poll", def.Poll, "how often ICS subscriptions and CalDAV calendars are polled, unless added with --every")
	integer(fs, &c.MaxSize, "ics-max-size", int(def.MaxBytes), "largest ICS subscription body accepted, in bytes")
}

// check refuses settings that cannot work, naming the flag.
func (c calendarSettings) check() error {
	switch {
	case c.Poll < calendar.MinPoll || c.Poll > calendar.MaxPoll:
		return fmt.Errorf("--calendar-poll %s is not between %s and %s", c.Poll, calendar.MinPoll, calendar.MaxPoll)
	case c.MaxSize < 1<<10:
		return fmt.Errorf("--ics-max-size %d is below 1024 bytes", c.MaxSize)
	}
	return nil
}

// subscriptions is the ICS subscriptions' configuration.
func (c calendarSettings) subscriptions() calendar.SubscriptionConfig {
	cfg := calendar.DefaultSubscriptionConfig()
	cfg.Poll, cfg.MaxBytes = c.Poll, int64(c.MaxSize)
	return cfg
}

// caldav is the CalDAV source's configuration.
func (c calendarSettings) caldav() (caldav.Config, error) {
	cfg := caldav.Config{Poll: c.Poll}
	if c.CalDAVKey == "" {
		return cfg, nil
	}
	key, err := hex.DecodeString(strings.TrimSpace(c.CalDAVKey))
	if err != nil || (len(key) != 16 && len(key) != 24 && len(key) != 32) {
		return cfg, fmt.Errorf("--caldav-key is not 32, 48 or 64 hex digits (make one with: openssl rand -hex 32)")
	}
	cfg.Key = key
	return cfg, nil
}
