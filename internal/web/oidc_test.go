package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meetingd/internal/app"
	"meetingd/internal/apptest"
	"meetingd/internal/clock"
	"meetingd/internal/people"
)

// fakeIssuer is an OpenID Connect provider on loopback, strict where
// Google is: discovery, keys, an authorization endpoint that "signs in"
// whoever the test says, and a token endpoint that checks the client, the
// single-use code, the redirect URL and the PKCE verifier.
type fakeIssuer struct {
	t                *testing.T
	srv              *httptest.Server
	key              *rsa.PrivateKey
	clientID, secret string
	clock            *clock.Fake

	mu     sync.Mutex
	user   map[string]any // claims over the defaults for the next sign-in; nil values remove one
	tamper bool           // change the signed token's email to an operator's
	down   bool           // the token endpoint fails
	grants map[string]fakeGrant
	issued []string // codes and tokens handed out, which no log may contain
}

type fakeGrant struct {
	challenge, nonce, redirect string
	user                       map[string]any
}

var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newFakeIssuer(t *testing.T, c *clock.Fake) *fakeIssuer {
	f := &fakeIssuer{t: t, key: testRSAKey(), clientID: "meetingd-test.apps.example", secret: "test-client-secret-4f9a",
		clock: c, grants: map[string]fakeGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /jwks", f.jwks)
	mux.HandleFunc("GET /auth", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// as makes the next sign-in at the issuer be ben (invited) with claims
// changed by over.
func (f *fakeIssuer) as(over map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user, f.tamper, f.down = over, false, false
}

func (f *fakeIssuer) set(fn func(f *fakeIssuer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeIssuer) discovery(w http.ResponseWriter, r *http.Request) {
	u := f.srv.URL
	writeJSON(w, 200, map[string]any{"issuer": u, "authorization_endpoint": u + "/auth", "token_endpoint": u + "/token",
		"jwks_uri": u + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"}})
}

func (f *fakeIssuer) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

func (f *fakeIssuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != f.clientID || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
		!strings.Contains(" "+q.Get("scope")+" ", " openid ") || !strings.Contains(q.Get("scope"), "email") {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := randomHex()
	f.mu.Lock()
	f.grants[code] = fakeGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri"), user: f.user}
	f.issued = append(f.issued, code)
	f.mu.Unlock()
	cb, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	cb.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, cb.String(), http.StatusFound)
}

func (f *fakeIssuer) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.clientID || secret != f.secret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	g, ok := f.grants[r.PostForm.Get("code")]
	delete(f.grants, r.PostForm.Get("code")) // single use
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	idToken := f.idToken(g)
	access := "at-" + randomHex()
	f.issued = append(f.issued, idToken, access)
	writeJSON(w, 200, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

// idToken signs the grant's claims over the defaults, with the fake
// clock's time, as Google would.
func (f *fakeIssuer) idToken(g fakeGrant) string {
	now := f.clock.Now()
	claims := map[string]any{"iss": f.srv.URL, "aud": f.clientID, "sub": "10769150350006150715113082367",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": g.nonce,
		"email": "ben@example.com", "email_verified": true, "name": "Ben"}
	for k, v := range g.user {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: f.key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		f.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	tok, _ := jws.CompactSerialize()
	if f.tamper {
		// Keep the signature, claim to be an operator.
		parts := strings.Split(tok, ".")
		forged := maps.Clone(claims)
		forged["email"] = "ops@example.com"
		b, _ := json.Marshal(forged)
		parts[1] = base64.RawURLEncoding.EncodeToString(b)
		tok = strings.Join(parts, ".")
	}
	return tok
}

func oauthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func randomHex() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newOIDCApp is the real app, with ben and cy invited to a meeting and
// Google sign-in wired to a fake issuer, its log kept in logs.
func newOIDCApp(t *testing.T, hostedDomain string) (*testApp, *fakeIssuer, *apptest.Logs) {
	t.Helper()
	c := clock.NewFake(t0)
	iss := newFakeIssuer(t, c)
	logs := &apptest.Logs{}
	ta := newTestApp(t, "", t0, apptest.Clock(c), apptest.Log(logs), apptest.Config(func(cfg *app.Config) {
		cfg.OIDC = people.OIDCConfig{Issuer: iss.srv.URL, ClientID: iss.clientID, ClientSecret: iss.secret, HostedDomain: hostedDomain}
	}))
	seedMeeting(t, ta)
	return ta, iss, logs
}

// googleAnswer starts Google sign-in in c, consents at the issuer, and
// returns the callback URL the issuer sends the browser back to.
func (ta *testApp) googleAnswer(t *testing.T, c *http.Client, next string) *url.URL {
	t.Helper()
	resp, err := c.Get(ta.URL + "/signin/google?next=" + url.QueryEscape(next))
	if err != nil {
		t.Fatal(err)
	}
	readAll(resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	resp, err = c.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); resp.StatusCode != http.StatusFound {
		t.Fatalf("issuer authorize: %d %s", resp.StatusCode, body)
	}
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(cb.String(), ta.URL+"/signin/google/callback?") {
		t.Fatalf("issuer sent the browser to %q", resp.Header.Get("Location"))
	}
	return cb
}

func (ta *testApp) get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(resp)
}

// refused checks a callback answer is a page with status and text, and
// that c has no session after it.
func (ta *testApp) refused(t *testing.T, c *http.Client, resp *http.Response, body string, status int, says string) {
	t.Helper()
	if resp.StatusCode != status || !strings.Contains(body, says) || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("want %d saying %q, got %d %s", status, says, resp.StatusCode, body)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "meetingd_session" {
			t.Errorf("a refused sign-in set a session cookie")
		}
	}
	if code, _ := ta.page(t, c, "/decisions"); code != http.StatusSeeOther {
		t.Errorf("signed in after a refused sign-in: /decisions %d", code)
	}
}

func TestSignInWithGoogle(t *testing.T) {
	ta, iss, logs := newOIDCApp(t, "")
	signIn := func(t *testing.T, c *http.Client) (*http.Response, string) {
		return ta.get(t, c, ta.googleAnswer(t, c, "/decisions").String())
	}

	t.Run("known person gets a session", func(t *testing.T) {
		iss.as(nil)
		c := browser()
		resp, _ := signIn(t, c)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/decisions" {
			t.Fatalf("callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "meetingd_session" {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie: %+v", session)
		}
		if code, body := ta.page(t, c, "/decisions"); code != 200 || !strings.Contains(body, "ben@example.com") {
			t.Fatalf("dashboard after Google sign-in: %d", code)
		}
		// The attempt's cookie is spent: the same answer again is refused.
		resp, body := ta.get(t, browser(), resp.Request.URL.String())
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("replayed callback: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("next is carried through and kept on this site", func(t *testing.T) {
		for next, want := range map[string]string{"/meetings?x=1": "/meetings?x=1", "//evil.example/": "/", "https://evil.example/": "/"} {
			iss.as(nil)
			c := browser()
			resp, _ := ta.get(t, c, ta.googleAnswer(t, c, next).String())
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
				t.Errorf("next %q: %d to %q, want %q", next, resp.StatusCode, resp.Header.Get("Location"), want)
			}
		}
	})

	t.Run("wrong state", func(t *testing.T) {
		iss.as(nil)
		c := browser()
		cb := ta.googleAnswer(t, c, "/decisions")
		q := cb.Query()
		q.Set("state", strings.Repeat("0", 32))
		cb.RawQuery = q.Encode()
		resp, body := ta.get(t, c, cb.String())
		ta.refused(t, c, resp, body, http.StatusBadRequest, "not for the sign-in this browser started")
	})

	t.Run("answer opened in another browser", func(t *testing.T) {
		iss.as(nil)
		cb := ta.googleAnswer(t, browser(), "/decisions")
		c := browser()
		resp, body := ta.get(t, c, cb.String())
		ta.refused(t, c, resp, body, http.StatusBadRequest, "no Google sign-in under way")
	})

	t.Run("altered attempt cookie", func(t *testing.T) {
		iss.as(nil)
		c := browser()
		cb := ta.googleAnswer(t, c, "/decisions")
		u := mustURL(ta.URL + "/signin/google/callback")
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "meetingd_oidc" {
				// Swap in a state of the attacker's choosing.
				ck.Value = strings.Repeat("0", 32) + ck.Value[32:]
				ck.Path = "/signin/google"
				c.Jar.SetCookies(u, []*http.Cookie{ck})
			}
		}
		q := cb.Query()
		q.Set("state", strings.Repeat("0", 32))
		cb.RawQuery = q.Encode()
		resp, body := ta.get(t, c, cb.String())
		ta.refused(t, c, resp, body, http.StatusBadRequest, "expired or was altered")
	})

	t.Run("attempt older than its TTL, by the app's clock", func(t *testing.T) {
		iss.as(nil)
		c := browser()
		cb := ta.googleAnswer(t, c, "/decisions")
		ta.Clock.Advance(11 * time.Minute)
		defer ta.Clock.Set(t0)
		resp, body := ta.get(t, c, cb.String())
		ta.refused(t, c, resp, body, http.StatusBadRequest, "expired or was altered")
	})

	t.Run("user cancelled at Google", func(t *testing.T) {
		iss.as(nil)
		c := browser()
		cb := ta.googleAnswer(t, c, "/decisions")
		cb.RawQuery = url.Values{"error": {"access_denied"}, "state": {cb.Query().Get("state")}}.Encode()
		resp, body := ta.get(t, c, cb.String())
		ta.refused(t, c, resp, body, http.StatusUnauthorized, "access_denied")
	})

	tokenCases := []struct {
		name   string
		claims map[string]any
		setup  func(*fakeIssuer)
		status int
		says   string
	}{
		{"token for another audience", map[string]any{"aud": "someone-else.apps.example"}, nil, 401, "not valid for meetingd"},
		{"expired token, by the app's clock", map[string]any{"exp": t0.Add(-time.Minute).Unix()}, nil, 401, "expired"},
		{"token from another issuer", map[string]any{"iss": "https://accounts.google.com"}, nil, 401, "not valid for meetingd"},
		{"token for another attempt (nonce)", map[string]any{"nonce": "0123456789abcdef"}, nil, 401, "another sign-in attempt"},
		{"tampered signature", nil, func(f *fakeIssuer) { f.tamper = true }, 401, "not valid for meetingd"},
		{"email not verified", map[string]any{"email_verified": false}, nil, 403, "has not verified"},
		{"email_verified as the string false", map[string]any{"email_verified": "false"}, nil, 403, "has not verified"},
		{"no email", map[string]any{"email": nil}, nil, 403, "did not share an email"},
		{"unknown email", map[string]any{"email": "zed@elsewhere.example"}, nil, 403, "zed@elsewhere.example is not invited"},
		{"issuer down", nil, func(f *fakeIssuer) { f.down = true }, 502, "could not reach Google"},
	}
	for _, tc := range tokenCases {
		t.Run(tc.name, func(t *testing.T) {
			iss.as(tc.claims)
			if tc.setup != nil {
				iss.set(tc.setup)
			}
			c := browser()
			resp, body := signIn(t, c)
			ta.refused(t, c, resp, body, tc.status, tc.says)
			if !strings.Contains(body, `href="/signin?next=%2fdecisions"`) {
				t.Errorf("no way back to sign-in: %s", body)
			}
		})
	}

	t.Run("unknown people are not created", func(t *testing.T) {
		var n int
		ta.DB.Get(&n, `SELECT count(*) FROM people WHERE email = 'zed@elsewhere.example'`)
		if n != 0 {
			t.Errorf("an unknown address became a person")
		}
	})

	t.Run("no secret or token in the log", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, "signed in with openid connect") {
			t.Fatalf("sign-in not logged: %s", out)
		}
		iss.mu.Lock()
		defer iss.mu.Unlock()
		for _, s := range append([]string{iss.secret}, iss.issued...) {
			if strings.Contains(out, s) {
				t.Errorf("log holds a secret or token: %q", s)
			}
		}
	})
}

func TestSignInWithGoogleHostedDomain(t *testing.T) {
	ta, iss, _ := newOIDCApp(t, "Example.com")
	for _, tc := range []struct {
		name   string
		hd     any
		status int
	}{
		{"account of another domain", "other.example", 403},
		{"consumer account (no hd)", nil, 403},
		{"account of the domain", "example.com", 303},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iss.as(map[string]any{"hd": tc.hd})
			c := browser()
			cb := ta.googleAnswer(t, c, "/decisions")
			resp, body := ta.get(t, c, cb.String())
			if tc.status != 303 {
				ta.refused(t, c, resp, body, tc.status, "only example.com accounts")
				return
			}
			if code, _ := ta.page(t, c, "/decisions"); resp.StatusCode != 303 || code != 200 {
				t.Errorf("sign-in with the domain: %d, then /decisions %d", resp.StatusCode, code)
			}
		})
	}
	// The domain is also a hint to Google's account chooser.
	resp, _ := ta.get(t, browser(), ta.URL+"/signin/google")
	if u := mustURL(resp.Header.Get("Location")); u.Query().Get("hd") != "example.com" {
		t.Errorf("authorization URL without hd: %s", u)
	}
}

// An issuer that cannot be reached leaves sign-in by email working, and
// the log says why Google's is off.
func TestOIDCUnreachableIssuer(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	logs := &apptest.Logs{}
	ta := newTestApp(t, "", t0, apptest.Log(logs), apptest.Config(func(cfg *app.Config) {
		cfg.OIDC = people.OIDCConfig{Issuer: dead.URL, ClientID: "x", ClientSecret: "s"}
	}))
	if !strings.Contains(logs.String(), "sign-in with Google is off") || !strings.Contains(logs.String(), "discovery") {
		t.Errorf("log does not say why Google sign-in is off:\n%s", logs.String())
	}
	if code, body := ta.page(t, browser(), "/signin"); code != http.StatusOK || strings.Contains(body, "/signin/google") {
		t.Errorf("sign-in page: %d, offers Google: %v", code, strings.Contains(body, "/signin/google"))
	}
}

// The sign-in page offers Google only when it is configured.
func TestSignInPageOffersGoogleOnlyWhenConfigured(t *testing.T) {
	ta := newTestApp(t, "", t0)
	if _, body := ta.page(t, browser(), "/signin"); strings.Contains(body, "/signin/google") {
		t.Fatalf("Google offered without OIDC settings")
	}
	ta, _, _ = newOIDCApp(t, "")
	if _, body := ta.page(t, browser(), "/signin"); !strings.Contains(body, "/signin/google") {
		t.Fatalf("Google not offered when configured")
	}
}

// writeJSON is how the fake issuer answers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
