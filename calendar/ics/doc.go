// Package ics reads RFC 5545 calendars (Google, Outlook, Apple and Fastmail
// exports): it unfolds and checks the file line by line, resolves time zones
// (IANA, Windows names, custom VTIMEZONEs) and expands recurring series into
// meetings.Events within a window.
//
// Parse decodes a whole file at once and returns every series; Scan hands
// them over one at a time (ScanParallel on several goroutines, a part of
// the file each) and holds little more than the file, for files too large
// to keep decoded (a 43 MB export of 100,000 events peaks at some 110 MB
// of RSS with Scan, 780 MB with Parse).
package ics
