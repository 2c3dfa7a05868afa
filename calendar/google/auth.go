package google

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"

	"meetingd/calendar"
	"meetingd/internal/db"
	"meetingd/internal/errs"
	"meetingd/internal/secret"
)

// googleScopes are what meetingd asks for: events (read, attach, mark
// optional, watch), Drive (copy the template, share, read its changes)
// and Docs (write sections).
var googleScopes = []string{
	"https://www.googleapis.com/auth/calendar.events",
	"https://www.googleapis.com/auth/drive",
	"https://www.googleapis.com/auth/documents",
}

// MeetScopes are what Config.Meet asks for besides: Meet's conference
// records (participants, recordings, transcripts), and the directory, to
// know participants, whom Meet names by account id, by their address.
var MeetScopes = []string{
	"https://www.googleapis.com/auth/meetings.space.readonly",
	"https://www.googleapis.com/auth/directory.readonly",
}

// scopes are the scopes this configuration asks for.
func (g *Source) scopes() []string {
	if g.cfg.Meet {
		return append(slices.Clone(googleScopes), MeetScopes...)
	}
	return googleScopes
}

// refreshEarly is how long before expiry an access token is refreshed, so
// a call never starts with a token about to lapse.
const refreshEarly = 5 * time.Minute

// errNotConnected: an OAuth calendar whose owner has not consented yet.
var errNotConnected = errors.New("google calendar not connected: its owner has not given consent")

// revokedError is Google refusing the credentials for good (invalid_grant:
// revoked, expired, password changed; unauthorized_client: delegation
// withdrawn). Retrying will not help: an operator must act.
type revokedError struct {
	reason string
	err    error
}

func (e *revokedError) Error() string { return e.reason }
func (e *revokedError) Unwrap() error { return e.err }

// revocation recognises a revokedError's cause in err.
func revocation(err error) (*revokedError, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return nil, false
	}
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" {
		// The JWT (service account) flow leaves the body unparsed.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		json.Unmarshal(re.Body, &body)
		code, desc = body.Error, body.Description
	}
	switch code {
	case "invalid_grant", "unauthorized_client", "invalid_client", "access_denied":
		reason := "Google refused the credentials: " + code
		if desc != "" {
			reason += " (" + desc + ")"
		}
		return &revokedError{reason: reason, err: err}, true
	}
	return nil, false
}

func (g *Source) loadCredentials() error {
	cfg := g.cfg
	switch {
	case len(cfg.ServiceAccount) > 0 && len(cfg.OAuthClient) > 0:
		return fmt.Errorf("google: give a service account or an OAuth client, not both")
	case len(cfg.ServiceAccount) > 0:
		j, err := googleoauth.JWTConfigFromJSON(cfg.ServiceAccount, g.scopes()...)
		if err != nil {
			return fmt.Errorf("google: service account: %w", err)
		}
		if cfg.Endpoint != "" {
			j.TokenURL = cfg.Endpoint + "token"
		}
		g.jwt = j
	case len(cfg.OAuthClient) > 0:
		o, err := googleoauth.ConfigFromJSON(cfg.OAuthClient, g.scopes()...)
		if err != nil {
			return fmt.Errorf("google: OAuth client: %w", err)
		}
		o.RedirectURL = cfg.BaseURL + CallbackPath
		if cfg.Endpoint != "" {
			o.Endpoint = oauth2.Endpoint{AuthURL: cfg.Endpoint + "o/oauth2/auth", TokenURL: cfg.Endpoint + "token",
				AuthStyle: oauth2.AuthStyleInParams}
		}
		g.oauth = o
		block, err := aes.NewCipher(cfg.TokenKey)
		if err != nil {
			return fmt.Errorf("google: token key must be 16, 24 or 32 bytes (32 hex-encoded is best): %w", err)
		}
		if g.aead, err = cipher.NewGCM(block); err != nil {
			return fmt.Errorf("google: token key: %w", err)
		}
	default:
		return fmt.Errorf("google: credentials are required: a service account key or an OAuth client")
	}
	return nil
}

// tokenContext carries the HTTP client token requests use. Token sources
// outlive any one job, so it is not a job's context.
func (g *Source) tokenContext() context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, g.cfg.HTTPClient)
}

// tokenSource hands out access tokens, refreshing them early, storing a
// refreshed OAuth token, and dropping a token Google stopped accepting.
type tokenSource struct {
	mu    sync.Mutex
	cur   *oauth2.Token
	src   oauth2.TokenSource
	build func(cur *oauth2.Token) oauth2.TokenSource
	save  func(*oauth2.Token) error // nil: nothing to persist (service accounts)
	log   func(error)
}

func (t *tokenSource) Token() (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, err := t.src.Token()
	if err != nil {
		return nil, err
	}
	if t.save != nil && (t.cur == nil || tok.AccessToken != t.cur.AccessToken) {
		// Losing the new token only costs another refresh: the call goes on.
		if err := t.save(tok); err != nil {
			t.log(err)
		}
	}
	t.cur = tok
	return tok, nil
}

// invalidate makes the next Token refresh: the access token was refused.
func (t *tokenSource) invalidate() {
	t.mu.Lock()
	defer t.mu.Unlock()
	var stale *oauth2.Token
	if t.cur != nil {
		c := *t.cur
		c.Expiry = time.Unix(1, 0)
		stale = &c
	}
	t.src = t.build(stale)
}

// tokenSource builds the credentials for a calendar: a delegated service
// account impersonating its subject, or its owner's stored OAuth token.
func (g *Source) tokenSource(ctx context.Context, cal calRow) (*tokenSource, error) {
	logErr := func(err error) {
		g.Log.Error("storing refreshed Google token", "calendar", cal.GoogleID, "err", err)
	}
	if g.jwt != nil {
		c, ok := g.calendarConfig(cal.GoogleID)
		if !ok {
			// Dropped from the configuration: its channels are still
			// stopped, acting as the calendar's own address.
			c = Calendar{ID: cal.GoogleID}
		}
		j := *g.jwt
		j.Subject = c.subject()
		// A fresh source holds no token: building one is how it is dropped.
		build := func(*oauth2.Token) oauth2.TokenSource { return j.TokenSource(g.tokenContext()) }
		return &tokenSource{src: build(nil), build: build, log: logErr}, nil
	}
	tok, err := g.loadToken(ctx, cal.ID)
	if err != nil {
		return nil, err
	}
	build := func(cur *oauth2.Token) oauth2.TokenSource {
		refresher := g.oauth.TokenSource(g.tokenContext(), &oauth2.Token{RefreshToken: cur.RefreshToken})
		return oauth2.ReuseTokenSourceWithExpiry(cur, refresher, refreshEarly)
	}
	save := func(t *oauth2.Token) error { return g.saveToken(context.Background(), g.DB, cal.ID, t) }
	return &tokenSource{cur: tok, src: build(tok), build: build, save: save, log: logErr}, nil
}

// --- Tokens at rest ---

func tokenAAD(calID int64) []byte {
	return []byte(fmt.Sprintf("meetingd google token, calendar %d", calID))
}

func (g *Source) seal(calID int64, tok *oauth2.Token) (string, error) {
	plain, err := json.Marshal(tok)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(g.aead.Seal(nonce, nonce, plain, tokenAAD(calID))), nil
}

func (g *Source) unseal(calID int64, sealed string) (*oauth2.Token, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	n := g.aead.NonceSize()
	if err != nil || len(raw) < n {
		return nil, fmt.Errorf("stored token of calendar %d is malformed", calID)
	}
	plain, err := g.aead.Open(nil, raw[:n], raw[n:], tokenAAD(calID))
	if err != nil {
		return nil, fmt.Errorf("stored token of calendar %d does not open with the configured key (was the key changed?)", calID)
	}
	var tok oauth2.Token
	if err := json.Unmarshal(plain, &tok); err != nil {
		return nil, fmt.Errorf("stored token of calendar %d: %w", calID, err)
	}
	return &tok, nil
}

func (g *Source) saveToken(ctx context.Context, q db.Queryer, calID int64, tok *oauth2.Token) error {
	sealed, err := g.seal(calID, tok)
	if err != nil {
		return fmt.Errorf("seal token: %w", err)
	}
	_, err = q.ExecContext(ctx, q.Rebind(`INSERT INTO google_tokens (calendar_id, sealed, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (calendar_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`),
		calID, sealed, g.Clock.Now())
	if err != nil {
		return fmt.Errorf("store token of calendar %d: %w", calID, err)
	}
	return nil
}

func (g *Source) loadToken(ctx context.Context, calID int64) (*oauth2.Token, error) {
	var sealed string
	err := g.DB.GetContext(ctx, &sealed, g.DB.Rebind(`SELECT sealed FROM google_tokens WHERE calendar_id = ?`), calID)
	if db.IsNoRows(err) {
		return nil, errNotConnected
	}
	if err != nil {
		return nil, fmt.Errorf("token of calendar %d: %w", calID, err)
	}
	return g.unseal(calID, sealed)
}

// --- The OAuth web flow ---

// consentTTL is how long a consent link works.
const consentTTL = time.Hour

// ConnectURL starts the consent of a configured calendar's owner: the URL
// to open, good for an hour and once.
func (g *Source) ConnectURL(ctx context.Context, googleID string) (string, error) {
	if g.oauth == nil {
		return "", errs.Errorf(errs.Conflict, "Google is set up with a service account: there is no consent to give")
	}
	if _, ok := g.calendarConfig(googleID); !ok {
		return "", errs.Errorf(errs.NotFound, "calendar %q is not among the watched Google calendars", googleID)
	}
	b := make([]byte, 32)
	rand.Read(b)
	state := base64.RawURLEncoding.EncodeToString(b)
	now := g.Clock.Now()
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM google_oauth_states WHERE expires_at < ?`), now); err != nil {
			return fmt.Errorf("expire consents: %w", err)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO google_oauth_states (state_hash, calendar, expires_at) VALUES (?, ?, ?)`),
			secret.Hash(state), googleID, now.Add(consentTTL))
		if err != nil {
			return fmt.Errorf("store consent: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return g.oauth.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.ApprovalForce,
		oauth2.SetAuthURLParam("login_hint", googleID)), nil
}

// Connect finishes a consent: the code is exchanged for tokens, stored
// sealed, and the calendar (re)starts syncing.
func (g *Source) Connect(ctx context.Context, state, code string) (string, error) {
	if g.oauth == nil {
		return "", errs.Errorf(errs.Conflict, "Google is set up with a service account")
	}
	now := g.Clock.Now()
	var googleID string
	err := db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &googleID, tx.Rebind(`DELETE FROM google_oauth_states WHERE state_hash = ? AND expires_at >= ?
			RETURNING calendar`), secret.Hash(state), now)
		if db.IsNoRows(err) {
			return errs.Errorf(errs.Invalid, "this consent link is unknown, used or expired: ask an operator for a new one")
		}
		return err
	})
	if err != nil {
		return "", err
	}
	tok, err := g.oauth.Exchange(g.tokenContext(), code)
	if err != nil {
		return "", errs.Errorf(errs.Invalid, "Google did not accept the consent for %s", googleID)
	}
	if tok.RefreshToken == "" {
		return "", errs.Errorf(errs.Invalid, "Google gave no refresh token for %s: remove meetingd's access in the Google account and connect again", googleID)
	}
	var calID int64
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		if calID, err = calendar.Ensure(ctx, tx, Kind, googleID, now); err != nil {
			return err
		}
		if err := g.saveToken(ctx, tx, calID, tok); err != nil {
			return err
		}
		return g.resume(ctx, tx, now, calID)
	})
	if err != nil {
		return "", err
	}
	g.forget(calID)
	g.wake()
	g.Log.InfoContext(ctx, "Google calendar connected", "calendar", googleID)
	return googleID, nil
}
