// Package ics reads RFC 5545 calendars (Google, Outlook, Apple and Fastmail
// exports): it unfolds and checks the file line by line, resolves time zones
// (IANA, Windows names, custom VTIMEZONEs) and expands recurring series into
// meetings.Events within a window.
package ics
