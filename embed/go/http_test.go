package owncastplugins

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestPluginHTTPThroughHttptest(t *testing.T) {
	h := newHost(t, &recorder{}, func(c *Config) { c.AdminPassword = "pw" }, "examples/js/overlay")
	// Owncast's router: its own routes, the host's mounted beside them.
	mux := http.NewServeMux()
	mux.HandleFunc("/api/status", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("owncast")) })
	mux.Handle("/plugins/", h)
	mux.Handle("/api/plugins/", h)
	mux.Handle("/api/admin/plugins", h)
	mux.Handle("/api/admin/plugins/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := srv.Client()

	// A file from the plugin's public/ folder.
	resp, page := get(t, c, srv.URL+"/plugins/overlay/")
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(page), "<html") {
		t.Fatalf("overlay page: %d %q", resp.StatusCode, page)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}

	// The plugin's handler sees what chat it was notified of.
	if err := h.Notify(background(), chat("gus", "hi overlay", 0)); err != nil {
		t.Fatal(err)
	}
	resp, js := get(t, c, srv.URL+"/plugins/overlay/api/messages")
	if resp.StatusCode != 200 {
		t.Fatalf("api/messages: %d %s", resp.StatusCode, js)
	}
	var msgs struct {
		Messages []struct{ User, Body string }
		Total    int
	}
	if err := json.Unmarshal([]byte(js), &msgs); err != nil {
		t.Fatalf("api/messages: %v: %s", err, js)
	}
	if msgs.Total != 1 || len(msgs.Messages) != 1 || msgs.Messages[0].Body != "hi overlay" {
		t.Fatalf("api/messages: %s", js)
	}

	// Unknown plugin: the host's JSON error.
	resp, e := get(t, c, srv.URL+"/plugins/nope/x")
	if resp.StatusCode != 404 || !strings.Contains(e, `"error"`) {
		t.Fatalf("unknown plugin: %d %s", resp.StatusCode, e)
	}

	// The admin API needs the admin's credentials.
	resp, _ = get(t, c, srv.URL+"/api/admin/plugins")
	if resp.StatusCode != 401 {
		t.Fatalf("admin API without credentials: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/admin/plugins", nil)
	req.SetBasicAuth("admin", "pw")
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 200 || !strings.Contains(string(b), `"overlay"`) {
		t.Fatalf("admin API: %d %s", r2.StatusCode, b)
	}

	// Owncast's own route is untouched.
	if _, s := get(t, c, srv.URL+"/api/status"); s != "owncast" {
		t.Fatalf("owncast route: %q", s)
	}
}

func TestAuthenticateHookVouchesForAdmin(t *testing.T) {
	h := newHost(t, nil, func(c *Config) {
		c.AdminPassword = "unused-here"
		c.Authenticate = func(r *http.Request) *RequestAuth {
			// Owncast's own admin session cookie, say.
			if ck, err := r.Cookie("owncast-admin"); err == nil && ck.Value == "yes" {
				return &RequestAuth{Admin: true}
			}
			return &RequestAuth{}
		}
	}, "examples/js/overlay")
	srv := httptest.NewServer(h)
	defer srv.Close()
	if resp, _ := get(t, srv.Client(), srv.URL+"/api/admin/plugins"); resp.StatusCode != 401 {
		t.Fatalf("without the session: %d", resp.StatusCode)
	}
	if resp, b := get(t, srv.Client(), srv.URL+"/api/admin/plugins", "Cookie", "owncast-admin=yes"); resp.StatusCode != 200 {
		t.Fatalf("with the session: %d %s", resp.StatusCode, b)
	}
}
