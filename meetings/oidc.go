package meetings

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"meetingd/internal/errs"
	"meetingd/internal/httpx"
	"meetingd/internal/links"
)

// Sign-in with Google (OpenID Connect, authorization code flow with PKCE).
// Google proves who the browser is; meetingd still decides who may come in:
// only an address it already knows (invited to a meeting, organizing one,
// or an operator), exactly as with emailed sign-in links.
//
// The flow's secrets (state, nonce, PKCE verifier) and the page to return
// to travel in one short-lived cookie signed with the links key, so the
// callback needs no server-side storage and its expiry follows s.Clock.

// OIDCFlowTTL is how long a browser has to come back from Google.
const OIDCFlowTTL = 10 * time.Minute

// oidcCookie holds one sign-in attempt; its path keeps it off every other page.
const (
	oidcCookie     = "meetingd_oidc"
	oidcCookiePath = "/signin/google"
	actionOIDC     = "oidc"
)

// OIDC is a configured OpenID Connect relying party.
type OIDC struct {
	// HostedDomain, if set, admits only accounts whose ID token carries
	// this hd claim (a Google Workspace domain).
	HostedDomain string

	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	client   *http.Client
	// now is the time ID tokens are checked at; OIDCRoutes sets it to the
	// service's clock so a fake or accelerated clock applies to them too.
	now func() time.Time
}

// NewOIDC discovers issuer's endpoints and keys through hc (nil: a client
// with a timeout) and returns a relying party for clientID.
func NewOIDC(ctx context.Context, issuer, clientID, clientSecret, redirectURL string, hc *http.Client) (*OIDC, error) {
	if clientID == "" || clientSecret == "" || redirectURL == "" {
		return nil, errors.New("openid connect needs a client ID, a client secret and a redirect URL")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, hc), issuer)
	if err != nil {
		return nil, fmt.Errorf("openid connect discovery at %s: %w", issuer, err)
	}
	o := &OIDC{
		provider: provider,
		client:   hc,
		now:      time.Now,
		oauth: oauth2.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			RedirectURL:  redirectURL,
			Endpoint:     provider.Endpoint(),
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
	}
	// The verifier checks signature, issuer, audience and expiry; the
	// nonce and the claims meetingd cares about are checked in identity.
	o.verifier = provider.Verifier(&oidc.Config{ClientID: clientID, Now: func() time.Time { return o.now() }})
	return o, nil
}

// OIDCRoutes registers Google sign-in on pub, and makes o check token
// times against the service's clock.
func (s *Service) OIDCRoutes(pub *http.ServeMux, o *OIDC) {
	o.now = s.Clock.Now
	s.GoogleSignIn = true
	pub.HandleFunc("GET /signin/google", func(w http.ResponseWriter, r *http.Request) { s.handleOIDCStart(w, r, o) })
	pub.HandleFunc("GET /signin/google/callback", func(w http.ResponseWriter, r *http.Request) { s.handleOIDCCallback(w, r, o) })
}

// oidcFlow is one sign-in attempt, from the start to Google's answer.
type oidcFlow struct {
	State, Nonce, Verifier, Next string
}

func (s *Service) handleOIDCStart(w http.ResponseWriter, r *http.Request, o *OIDC) {
	f := oidcFlow{State: links.RandomID(), Nonce: links.RandomID(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next"))}
	now := s.Clock.Now()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: s.sealFlow(f, now), Path: oidcCookiePath,
		Expires: now.Add(OIDCFlowTTL), MaxAge: int(OIDCFlowTTL / time.Second),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)}
	if o.HostedDomain != "" {
		// A hint for Google's account chooser only; the callback enforces it.
		opts = append(opts, oauth2.SetAuthURLParam("hd", o.HostedDomain))
	}
	http.Redirect(w, r, o.oauth.AuthCodeURL(f.State, opts...), http.StatusSeeOther)
}

// handleOIDCCallback takes Google's answer: it checks it belongs to the
// attempt this browser started, redeems the code, verifies the ID token
// and starts a session for the person it names.
func (s *Service) handleOIDCCallback(w http.ResponseWriter, r *http.Request, o *OIDC) {
	// The URL carries a code: keep it out of Referer headers.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	f, err := s.takeFlow(w, r)
	if err != nil {
		s.oidcRefused(w, r, "/", err)
		return
	}
	p, err := s.oidcPerson(r, o, f)
	if err != nil {
		s.oidcRefused(w, r, f.Next, err)
		return
	}
	if err := httpx.StartSession(r.Context(), w, s.DB, p.ID, s.Clock.Now(), s.secure(r)); err != nil {
		s.oidcRefused(w, r, f.Next, err)
		return
	}
	s.Log.InfoContext(r.Context(), "signed in with openid connect", "person", p.ID)
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

// oidcPerson turns the callback's query into the known person it signs in.
func (s *Service) oidcPerson(r *http.Request, o *OIDC, f oidcFlow) (Person, error) {
	q := r.URL.Query()
	if !sameSecret(q.Get("state"), f.State) {
		return Person{}, errs.Errorf(errs.Invalid, "this answer from Google is not for the sign-in this browser started; start again")
	}
	if e := q.Get("error"); e != "" {
		// The user cancelled, or Google refused. Its error code is plain
		// ASCII by RFC 6749; anything else is not worth echoing.
		return Person{}, errs.Errorf(errs.Unauthorized, "Google did not sign you in (%s). You can start again.", shortCode(e))
	}
	if q.Get("code") == "" {
		return Person{}, errs.Errorf(errs.Invalid, "Google's answer has no authorization code; start again")
	}
	tok, err := o.redeem(r.Context(), q.Get("code"), f.Verifier)
	if err != nil {
		return Person{}, err
	}
	email, err := o.identity(tok, f.Nonce)
	if err != nil {
		return Person{}, err
	}
	p, err := PersonByEmail(r.Context(), s.DB, email)
	if errs.Code(err) == errs.NotFound {
		return Person{}, errs.Errorf(errs.Forbidden, "%s is not invited to any meeting here, so it cannot sign in. "+
			"Use the Google account of the address your invitations go to, or ask an organizer to invite this one.", email)
	}
	return p, err
}

// redeem exchanges the code (with the PKCE verifier) and verifies the ID
// token that comes back: signature, issuer, audience and expiry.
func (o *OIDC) redeem(ctx context.Context, code, verifier string) (*oidc.IDToken, error) {
	tok, err := o.oauth.Exchange(oidc.ClientContext(ctx, o.client), code, oauth2.VerifierOption(verifier))
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode < 500 {
		return nil, errs.Errorf(errs.Unauthorized, "Google refused the sign-in code (%s); start again", shortCode(refused.ErrorCode))
	}
	if err != nil {
		// Not the user's fault. The error carries no secret (the code and
		// verifier travel in the request body), so it may be logged.
		return nil, providerError{fmt.Errorf("openid connect token exchange: %w", err)}
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

// providerError is the identity provider failing us (unreachable, or an
// answer that is not OAuth), as opposed to refusing the user.
type providerError struct{ err error }

func (e providerError) Error() string { return e.err.Error() }
func (e providerError) Unwrap() error { return e.err }

// oidcClaims are the ID token claims meetingd reads.
type oidcClaims struct {
	Email         string     `json:"email"`
	EmailVerified stringBool `json:"email_verified"`
	HostedDomain  string     `json:"hd"`
}

// identity checks what the verifier does not (the nonce of this attempt,
// a verified address, the hosted domain) and returns the address.
func (o *OIDC) identity(id *oidc.IDToken, nonce string) (string, error) {
	if !sameSecret(id.Nonce, nonce) {
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

// sealFlow writes f as a cookie value: its fields, then a links token
// over their digest, which says the server made them and until when.
func (s *Service) sealFlow(f oidcFlow, now time.Time) string {
	data := strings.Join([]string{f.State, f.Nonce, f.Verifier, base64.RawURLEncoding.EncodeToString([]byte(f.Next))}, ".")
	return data + "." + s.Links.Sign(links.Claims{Action: flowAction(data), Expires: now.Add(OIDCFlowTTL)})
}

// takeFlow reads and clears the attempt's cookie: an attempt gets one answer.
func (s *Service) takeFlow(w http.ResponseWriter, r *http.Request) (oidcFlow, error) {
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	c, err := r.Cookie(oidcCookie)
	if err != nil || c.Value == "" {
		return oidcFlow{}, errs.Errorf(errs.Invalid, "this browser has no Google sign-in under way "+
			"(it took over %d minutes, or cookies are off); start again", int(OIDCFlowTTL/time.Minute))
	}
	return s.openFlow(c.Value)
}

func (s *Service) openFlow(value string) (oidcFlow, error) {
	bad := errs.Errorf(errs.Invalid, "this Google sign-in has expired or was altered; start again")
	parts := strings.SplitN(value, ".", 5)
	if len(parts) != 5 {
		return oidcFlow{}, bad
	}
	data := strings.Join(parts[:4], ".")
	if _, err := s.Links.Verify(parts[4], flowAction(data), s.Clock.Now()); err != nil {
		return oidcFlow{}, bad
	}
	next, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return oidcFlow{}, bad
	}
	return oidcFlow{State: parts[0], Nonce: parts[1], Verifier: parts[2], Next: safeNext(string(next))}, nil
}

// flowAction binds a links token to the flow's fields.
func flowAction(data string) string {
	sum := sha256.Sum256([]byte(data))
	return actionOIDC + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func sameSecret(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
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

type oidcRefusedPage struct {
	Title, Message, Next string
}

// oidcRefused shows why sign-in failed, with a way back to the sign-in
// page, and logs it without the request's query (it holds the code).
func (s *Service) oidcRefused(w http.ResponseWriter, r *http.Request, next string, err error) {
	var provider providerError
	switch {
	case errors.As(err, &provider):
		s.Log.ErrorContext(r.Context(), "openid connect provider failed", "err", err)
		s.render(w, r, http.StatusBadGateway, "signin.oidc.failed", oidcRefusedPage{Title: "Cannot sign you in",
			Message: "meetingd could not reach Google to finish signing you in. Try again in a minute, or use an emailed link.", Next: next})
		return
	case errs.Code(err) == errs.Internal:
		s.pageError(w, r, err) // logs it
		return
	}
	s.Log.InfoContext(r.Context(), "openid connect sign-in refused", "status", httpx.Status(err), "err", err)
	title := "Cannot sign you in"
	if errs.Code(err) == errs.Forbidden {
		title = "Not allowed to sign in here"
	}
	s.render(w, r, httpx.Status(err), "signin.oidc.failed", oidcRefusedPage{Title: title, Message: errs.Message(err), Next: next})
}
