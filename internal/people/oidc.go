package people

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"meetingd/internal/clock"
	"meetingd/internal/errs"
	"meetingd/internal/links"
	"meetingd/internal/secret"
)

// Sign-in with Google (OpenID Connect, authorization code flow with PKCE).
// Google proves who the browser is; meetingd still decides who may come in:
// only an address it already knows (invited to a meeting, organizing one,
// or an operator), exactly as with emailed sign-in links.
//
// The attempt's secrets (state, nonce, PKCE verifier) and the page to
// return to travel in one short-lived value signed with the links key,
// which the web layer keeps in a cookie, so the callback needs no storage
// and its expiry follows the service's clock.

// OIDCFlowTTL is how long a browser has to come back from Google.
const OIDCFlowTTL = 10 * time.Minute

const actionOIDC = "oidc"

// OIDC is a configured OpenID Connect relying party. Its calls to the
// issuer use the HTTP client the context carries (oidc.ClientContext).
type OIDC struct {
	// HostedDomain, if set, admits only accounts whose ID token carries
	// this hd claim (a Google Workspace domain).
	HostedDomain string

	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// OIDCConfig is a relying party's registration at its issuer.
type OIDCConfig struct {
	Issuer, ClientID, ClientSecret, RedirectURL, HostedDomain string
}

// NewOIDC discovers the issuer's endpoints and keys and returns a relying
// party whose ID tokens are checked against c's time.
func NewOIDC(ctx context.Context, cfg OIDCConfig, c clock.Clock) (*OIDC, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.RedirectURL == "" {
		return nil, errors.New("openid connect needs a client ID, a client secret and a redirect URL")
	}
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("openid connect discovery at %s: %w", cfg.Issuer, err)
	}
	o := &OIDC{
		HostedDomain: strings.ToLower(strings.TrimSpace(cfg.HostedDomain)),
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
	}
	// The verifier checks signature, issuer, audience and expiry; the
	// nonce and the claims meetingd cares about are checked in identity.
	o.verifier = provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: c.Now})
	return o, nil
}

// Flow is one sign-in attempt, from its start to Google's answer.
type Flow struct {
	State, Nonce, Verifier, Next string
}

// NewFlow starts an attempt that returns to next.
func NewFlow(next string) Flow {
	return Flow{State: secret.Hex(16), Nonce: secret.Hex(16), Verifier: oauth2.GenerateVerifier(), Next: SafeNext(next)}
}

// AuthCodeURL is where the browser goes to sign in with Google.
func (o *OIDC) AuthCodeURL(f Flow) string {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)}
	if o.HostedDomain != "" {
		// A hint for Google's account chooser only; Email enforces it.
		opts = append(opts, oauth2.SetAuthURLParam("hd", o.HostedDomain))
	}
	return o.oauth.AuthCodeURL(f.State, opts...)
}

// Answer is what Google sent the browser back with.
type Answer struct {
	State, Code, Error string
}

// Email checks Google's answer belongs to attempt f, redeems its code and
// verifies the ID token, and returns the verified address it names.
func (o *OIDC) Email(ctx context.Context, f Flow, a Answer) (string, error) {
	if !secret.Equal(a.State, f.State) {
		return "", errs.Errorf(errs.Invalid, "this answer from Google is not for the sign-in this browser started; start again")
	}
	if a.Error != "" {
		// The user cancelled, or Google refused. Its error code is plain
		// ASCII by RFC 6749; anything else is not worth echoing.
		return "", errs.Errorf(errs.Unauthorized, "Google did not sign you in (%s). You can start again.", shortCode(a.Error))
	}
	if a.Code == "" {
		return "", errs.Errorf(errs.Invalid, "Google's answer has no authorization code; start again")
	}
	tok, err := o.redeem(ctx, a.Code, f.Verifier)
	if err != nil {
		return "", err
	}
	return o.identity(tok, f.Nonce)
}

// redeem exchanges the code (with the PKCE verifier) and verifies the ID
// token that comes back: signature, issuer, audience and expiry.
func (o *OIDC) redeem(ctx context.Context, code, verifier string) (*oidc.IDToken, error) {
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode < 500 {
		return nil, errs.Errorf(errs.Unauthorized, "Google refused the sign-in code (%s); start again", shortCode(refused.ErrorCode))
	}
	if err != nil {
		// Not the user's fault. The error carries no secret (the code and
		// verifier travel in the request body), so it may be logged.
		return nil, ProviderError{fmt.Errorf("openid connect token exchange: %w", err)}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errs.Errorf(errs.Unauthorized, "Google's answer has no ID token; start again")
	}
	id, err := o.verifier.Verify(ctx, raw)
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return nil, fmt.Errorf("%w (%v)", errs.Errorf(errs.Unauthorized, "Google's ID token has expired; start again"), err)
	case err != nil:
		// The cause (wrong audience, bad signature...) is for the log: it
		// names no token, and helps an operator with a wrong client ID.
		return nil, fmt.Errorf("%w (%v)", errs.Errorf(errs.Unauthorized, "Google's ID token is not valid for meetingd; start again"), err)
	}
	return id, nil
}

// ProviderError is the identity provider failing us (unreachable, or an
// answer that is not OAuth), as opposed to refusing the user.
type ProviderError struct{ err error }

func (e ProviderError) Error() string { return e.err.Error() }
func (e ProviderError) Unwrap() error { return e.err }

// oidcClaims are the ID token claims meetingd reads.
type oidcClaims struct {
	Email         string     `json:"email"`
	EmailVerified stringBool `json:"email_verified"`
	HostedDomain  string     `json:"hd"`
}

// identity checks what the verifier does not (the nonce of this attempt,
// a verified address, the hosted domain) and returns the address.
func (o *OIDC) identity(id *oidc.IDToken, nonce string) (string, error) {
	if !secret.Equal(id.Nonce, nonce) {
		return "", errs.Errorf(errs.Unauthorized, "Google's ID token is for another sign-in attempt; start again")
	}
	var c oidcClaims
	if err := id.Claims(&c); err != nil {
		return "", errs.Errorf(errs.Unauthorized, "Google's ID token has unreadable claims; start again")
	}
	email := NormalizeEmail(c.Email)
	if !strings.Contains(email, "@") {
		return "", errs.Errorf(errs.Forbidden, "your Google account did not share an email address, which meetingd needs to know you")
	}
	if !c.EmailVerified {
		return "", errs.Errorf(errs.Forbidden, "Google has not verified %s, so it cannot sign you in here", email)
	}
	if o.HostedDomain != "" && !strings.EqualFold(c.HostedDomain, o.HostedDomain) {
		return "", errs.Errorf(errs.Forbidden, "only %s accounts may sign in here with Google", o.HostedDomain)
	}
	return email, nil
}

// stringBool reads a JSON boolean, or the string "true"/"false" some
// providers send for email_verified.
type stringBool bool

func (b *stringBool) UnmarshalJSON(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case bool:
		*b = stringBool(t)
	case string:
		*b = stringBool(strings.EqualFold(t, "true"))
	default:
		*b = false
	}
	return nil
}

// shortCode keeps an OAuth error code fit to show: short, plain ASCII.
func shortCode(code string) string {
	if len(code) > 40 || strings.IndexFunc(code, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		return "error"
	}
	return code
}

// SealFlow writes f as one value: its fields, then a links token over
// their digest, which says the server made them and until when.
func (s *SignIn) SealFlow(f Flow) string {
	data := strings.Join([]string{f.State, f.Nonce, f.Verifier, base64.RawURLEncoding.EncodeToString([]byte(f.Next))}, ".")
	return data + "." + s.Links.Sign(links.Claims{Action: flowAction(data), Expires: s.Clock.Now().Add(OIDCFlowTTL)})
}

// OpenFlow reads back what SealFlow wrote, if it is intact and not expired.
func (s *SignIn) OpenFlow(value string) (Flow, error) {
	bad := errs.Errorf(errs.Invalid, "this Google sign-in has expired or was altered; start again")
	parts := strings.SplitN(value, ".", 5)
	if len(parts) != 5 {
		return Flow{}, bad
	}
	data := strings.Join(parts[:4], ".")
	if _, err := s.Links.Verify(parts[4], flowAction(data), s.Clock.Now()); err != nil {
		return Flow{}, bad
	}
	next, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return Flow{}, bad
	}
	return Flow{State: parts[0], Nonce: parts[1], Verifier: parts[2], Next: SafeNext(string(next))}, nil
}

// flowAction binds a links token to the flow's fields.
func flowAction(data string) string {
	sum := sha256.Sum256([]byte(data))
	return actionOIDC + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// GoogleSession starts a session for the known person Google vouched for,
// returning the cookie value.
func (s *SignIn) GoogleSession(ctx context.Context, email string) (Person, string, error) {
	p, err := ByEmail(ctx, s.DB, email)
	if errs.Code(err) == errs.NotFound {
		return Person{}, "", errs.Errorf(errs.Forbidden, "%s is not invited to any meeting here, so it cannot sign in. "+
			"Use the Google account of the address your invitations go to, or ask an organizer to invite this one.", email)
	}
	if err != nil {
		return Person{}, "", err
	}
	if !p.Active() {
		return Person{}, "", errDeactivated(p.Email)
	}
	value, err := StartSession(ctx, s.DB, p.ID, s.Clock.Now())
	return p, value, err
}
