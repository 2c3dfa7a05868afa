package main

import (
	"flag"
	"fmt"
	"meetingd/internal/people"
	"net"
	"net/url"
	"os"
	"strings"
)

// oidcConfig is the settings of sign-in with Google (OpenID Connect).
type oidcConfig struct {
	Issuer       string
	ClientID     string // empty: Google sign-in is off
	ClientSecret string // never logged nor shown in -h
	HostedDomain string
}

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

// check reports settings that cannot work, so serve can refuse to start
// rather than fail at the first sign-in.
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

// people is the relying party's registration, as the people package takes it.
func (s oidcConfig) people() people.OIDCConfig {
	return people.OIDCConfig{Issuer: s.Issuer, ClientID: s.ClientID, ClientSecret: s.ClientSecret, HostedDomain: s.HostedDomain}
}
