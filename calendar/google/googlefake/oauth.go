package googlefake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// The OAuth 2.0 endpoints: /o/oauth2/auth (consent, answered at once for
// the user named by login_hint) and /token (authorization_code,
// refresh_token, and the JWT bearer grant of service accounts, whose sub
// claim names the user impersonated).

// issue makes tokens for email, under s.mu.
func (s *Server) issue(email string, withRefresh bool) (string, string) {
	access := s.newID("ya29.access-")
	s.access[access] = email
	refresh := ""
	if withRefresh {
		refresh = s.newID("1//refresh-")
		s.refresh[refresh] = email
	}
	return access, refresh
}

func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["oauth2.auth"]++
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	u := s.users[q.Get("login_hint")]
	if err != nil || redirect.Scheme == "" || q.Get("response_type") != "code" || q.Get("client_id") == "" {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	v := redirect.Query()
	v.Set("state", q.Get("state"))
	if u == nil || u.revoked {
		v.Set("error", "access_denied")
	} else {
		code := s.newID("4/code-")
		s.codes[code] = u.email
		v.Set("code", code)
	}
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["oauth2.token"]++
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		tokenError(w, "invalid_request", "POST a form")
		return
	}
	var email string
	refresh := false
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		email = s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code"))
		refresh = true
	case "refresh_token":
		email = s.refresh[r.PostForm.Get("refresh_token")]
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		email = subject(r.PostForm.Get("assertion"))
		if u := s.users[email]; u == nil || u.revoked {
			tokenError(w, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
	default:
		tokenError(w, "unsupported_grant_type", "Invalid grant_type")
		return
	}
	if u := s.users[email]; u == nil || u.revoked {
		tokenError(w, "invalid_grant", "Token has been expired or revoked.")
		return
	}
	access, rt := s.issue(email, refresh)
	out := map[string]any{"access_token": access, "expires_in": 3599, "token_type": "Bearer",
		"scope": r.PostForm.Get("scope")}
	if rt != "" {
		out["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// subject reads the sub claim of a JWT without checking its signature.
func subject(assertion string) string {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	json.Unmarshal(raw, &claims)
	return claims.Sub
}

func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
