package web

import "testing"

func TestRouteBoundsLabels(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/decisions/123/contributions/9":      "/api/v1/decisions/{id}/contributions/{id}",
		"/feed/0123456789abcdef0123456789abcdef.ics": "/feed/{id}",
		"/decisions": "/decisions",
		"/":          "/",
	} {
		if got := route(path, 200); got != want {
			t.Errorf("route(%q) = %q, want %q", path, got, want)
		}
	}
	if got := route("/wp-admin/x", 404); got != "unmatched" {
		t.Errorf("404: %q", got)
	}
}
