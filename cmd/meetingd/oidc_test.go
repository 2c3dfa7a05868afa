package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func TestOIDCFlags(t *testing.T) {
	t.Setenv("MEETINGD_OIDC_CLIENT_SECRET", "hunter2-from-env")
	t.Setenv("MEETINGD_OIDC_HOSTED_DOMAIN", "example.com")
	var cfg config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg.registerOIDC(fs)
	if err := fs.Parse([]string{"--oidc-client-id", "abc.apps.example"}); err != nil {
		t.Fatal(err)
	}
	want := oidcConfig{Issuer: "https://accounts.google.com", ClientID: "abc.apps.example", ClientSecret: "hunter2-from-env", HostedDomain: "example.com"}
	if cfg.OIDC != want {
		t.Errorf("settings: %+v", cfg.OIDC)
	}
	if err := cfg.OIDC.check(); err != nil {
		t.Errorf("check: %v", err)
	}
	var help bytes.Buffer
	fs.SetOutput(&help)
	fs.PrintDefaults()
	if strings.Contains(help.String(), "hunter2") || !strings.Contains(help.String(), "MEETINGD_OIDC_CLIENT_SECRET") {
		t.Errorf("help shows the secret or hides its variable:\n%s", help.String())
	}
	for _, bad := range []oidcConfig{
		{Issuer: "https://accounts.google.com", ClientID: "x"},                                         // no secret
		{Issuer: "http://idp.example", ClientID: "x", ClientSecret: "s"},                               // plain http off loopback
		{Issuer: "https://accounts.google.com", ClientID: "x", ClientSecret: "s", HostedDomain: "a@b"}, // not a domain
	} {
		if err := bad.check(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if err := (oidcConfig{}).check(); err != nil {
		t.Errorf("off should be fine: %v", err)
	}
}
