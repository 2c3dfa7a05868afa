package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"meetingd/calendar/google"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// googleSettings are the Google Workspace flags. They live here rather
// than in config so the Google source stays one file's business;
// registerGoogle fills them.
type googleSettings struct {
	Calendars   string
	Credentials string
	Client      string
	TokenKey    string
	Endpoint    string
	TemplateDoc string
	ShareRole   string
	SendUpdates string
	Webhook     string
	Poll        time.Duration
	SafetyPoll  time.Duration
	Meet        bool
}

// registerGoogle adds the --google-* flags to fs, each defaulting to its
// MEETINGD_GOOGLE_* variable.
func (c *config) registerGoogle(fs *flag.FlagSet) {
	g := &c.Google
	str(fs, &g.Calendars, "google-calendars", "", "comma-separated Google calendar ids to watch (id=user: the service account acts as user); empty disables Google")
	str(fs, &g.Credentials, "google-credentials", "", "service-account JSON key file, with domain-wide delegation")
	str(fs, &g.Client, "google-client", "", "OAuth client JSON file (type web), for calendar owners' consent")
	str(fs, &g.TokenKey, "google-token-key", "", "AES key sealing OAuth tokens at rest, hex (64 digits for AES-256)")
	str(fs, &g.Endpoint, "google-endpoint", "", "base URL serving Google's APIs and OAuth, for tests and proxies (default: Google)")
	str(fs, &g.TemplateDoc, "google-template-doc", "", "Drive id of the notes template doc; empty makes blank docs")
	str(fs, &g.ShareRole, "google-share-role", "writer", "what attendees may do in a notes doc: writer or commenter")
	str(fs, &g.SendUpdates, "google-send-updates", "all", "whom Google tells when a meeting held async has its event cancelled: all, externalOnly or none")
	str(fs, &g.Webhook, "google-webhook", "", "URL Google posts push notifications to (default: --base-url"+google.NotifyPath+" if it is public https; none: poll)")
	dur(fs, &g.Poll, "google-poll", 5*time.Minute, "how often Google calendars are polled without push")
	dur(fs, &g.SafetyPoll, "google-safety-poll", 6*time.Hour, "how often Google calendars are polled with push, as a safety net")
	boolean(fs, &g.Meet, "google-meet", false, "read ended Google Meet conferences: attendance, recordings, transcripts (needs the Meet and directory scopes granted)")
}

// googleConfig turns the flags into the source's configuration.
// Without --google-calendars it is nil: Google is off.
func googleConfig(s googleSettings, baseURL string) (*google.Config, error) {
	if strings.TrimSpace(s.Calendars) == "" {
		return nil, nil
	}
	cfg := google.DefaultConfig()
	for _, f := range strings.Split(s.Calendars, ",") {
		if f = strings.TrimSpace(f); f != "" {
			id, subject, _ := strings.Cut(f, "=")
			cfg.Calendars = append(cfg.Calendars, google.Calendar{ID: id, Subject: subject})
		}
	}
	var err error
	if s.Credentials != "" {
		if cfg.ServiceAccount, err = os.ReadFile(s.Credentials); err != nil {
			return nil, fmt.Errorf("--google-credentials: %w", err)
		}
	}
	if s.Client != "" {
		if cfg.OAuthClient, err = os.ReadFile(s.Client); err != nil {
			return nil, fmt.Errorf("--google-client: %w", err)
		}
		if cfg.TokenKey, err = hex.DecodeString(s.TokenKey); err != nil || len(cfg.TokenKey) != 32 {
			return nil, fmt.Errorf("--google-token-key must be 64 hex digits (a 256-bit key), e.g. from `openssl rand -hex 32`")
		}
	}
	cfg.Endpoint, cfg.TemplateDoc, cfg.ShareRole, cfg.SendUpdates = s.Endpoint, s.TemplateDoc, s.ShareRole, s.SendUpdates
	cfg.BaseURL, cfg.WebhookURL = baseURL, s.Webhook
	if cfg.WebhookURL == "" && publicHTTPS(baseURL) {
		cfg.WebhookURL = strings.TrimRight(baseURL, "/") + google.NotifyPath
	}
	cfg.Poll, cfg.SafetyPoll, cfg.Meet = s.Poll, s.SafetyPoll, s.Meet
	return &cfg, nil
}

// publicHTTPS reports whether Google could call base: push needs https on
// a host that is not this machine or the local network.
func publicHTTPS(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast()
	}
	return true
}
