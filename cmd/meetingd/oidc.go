package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"meetingd/meetings"
)

// oidcConfig is the settings of sign-in with Google (OpenID Connect).
type oidcConfig struct {
	Issuer       string
	ClientID     string // empty: Google sign-in is off
	ClientSecret string // never logged nor shown in -h
	HostedDomain string
}

// oidcTimeout bounds every request to the identity provider.
const oidcTimeout = 15 * time.Second

// registerOIDC adds the --oidc-* flags to fs, each defaulting to its
// MEETINGD_* variable. It is a config method so register reads as one list.
func (c *config) registerOIDC(fs *flag.FlagSet) {
	o := &c.OIDC
	str(fs, &o.Issuer, "oidc-issuer", "https://accounts.google.com", "OpenID Connect issuer for sign-in with Google")
	str(fs, &o.ClientID, "oidc-client-id", "", "OAuth client ID of this service at the issuer; unset turns sign-in with Google off")
	secret(fs, &o.ClientSecret, "oidc-client-secret",
		"OAuth client secret; prefer the environment variable, as command lines are visible to other users")
	str(fs, &o.HostedDomain, "oidc-hosted-domain", "", "admit only Google accounts of this Workspace domain (the hd claim)")
}

// secret is str for a value that must never be printed: -h shows no
// default for it, even one read from the environment.
func secret(fs *flag.FlagSet, p *string, name, usage string) {
	*p = os.Getenv(envName(name))
	fs.Var(secretValue{p}, name, usage+" ($"+envName(name)+")")
}

type secretValue struct{ p *string }

func (s secretValue) String() string     { return "" }
func (s secretValue) Set(v string) error { *s.p = v; return nil }

// checkOIDC reports settings that cannot work, so serve can refuse to
// start rather than fail at the first sign-in.
func (c *config) checkOIDC() error { return c.OIDC.check() }

func (s oidcConfig) check() error {
	if s.ClientID == "" {
		return nil
	}
	if s.ClientSecret == "" {
		return fmt.Errorf("--oidc-client-id is set but --oidc-client-secret ($%s) is not", envName("oidc-client-secret"))
	}
	u, err := url.Parse(s.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return fmt.Errorf("--oidc-issuer %q is not an https URL", s.Issuer)
	}
	if strings.ContainsAny(s.HostedDomain, "@/ ") {
		return fmt.Errorf("--oidc-hosted-domain %q is not a domain like example.com", s.HostedDomain)
	}
	return nil
}

// isLoopback admits a plain-http issuer on this machine: a test or a
// development identity provider.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// wireOIDC registers sign-in with Google on pub when a client ID is set.
// It asks the issuer for its endpoints, so it needs the network.
func (a *app) wireOIDC(ctx context.Context, pub *http.ServeMux) error {
	return a.wireOIDCWith(ctx, pub, a.cfg.OIDC, &http.Client{Timeout: oidcTimeout})
}

func (a *app) wireOIDCWith(ctx context.Context, pub *http.ServeMux, s oidcConfig, hc *http.Client) error {
	if s.ClientID == "" {
		return nil
	}
	if err := s.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, oidcTimeout)
	defer cancel()
	redirect := strings.TrimRight(a.cfg.BaseURL, "/") + "/signin/google/callback"
	o, err := meetings.NewOIDC(ctx, s.Issuer, s.ClientID, s.ClientSecret, redirect, hc)
	if err != nil {
		return fmt.Errorf("sign-in with Google: %w", err)
	}
	o.HostedDomain = strings.ToLower(strings.TrimSpace(s.HostedDomain))
	a.meetings.OIDCRoutes(pub, o)
	a.log.InfoContext(ctx, "sign-in with Google on", "issuer", s.Issuer, "client_id", s.ClientID,
		"hosted_domain", o.HostedDomain, "redirect_url", redirect)
	return nil
}
