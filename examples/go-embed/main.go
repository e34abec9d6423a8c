// go-embed stands in for Owncast: a small Go server that embeds the plugin
// host the way Owncast would. Chat posted to /chat runs through the filter
// chain (pass, modified, or dropped with the plugin's reason) and then out
// to every plugin as a notification; the plugins' HTTP (pages, SSE, the
// action buttons, the admin API) is mounted on the same router; and the
// callbacks print what a real Owncast would do.
//
//	go run . -plugins ../js -data ../../data/go-embed -script   # scripted chat, then exit
//	go run . -plugins ../js -data ../../data/go-embed           # serve on 127.0.0.1:8080
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ocp "owncast-plugin-runtime.local/owncastplugins"
)

// server is the stand-in Owncast: its chat log, and the callbacks the
// plugin host calls.
type server struct {
	mu    sync.Mutex
	lines []string
	seq   int64
}

func (s *server) say(format string, a ...interface{}) {
	line := fmt.Sprintf(format, a...)
	fmt.Println(line)
	s.mu.Lock()
	s.lines = append(s.lines, line)
	s.mu.Unlock()
}

// ---- ocp.Owncast: what a real Owncast would do is printed ----

func (s *server) SendChat(from ocp.Caller, m ocp.ChatSend) {
	s.say("  chat  %-10s %s   (from plugin %s, %s)", from.BotName, m.Text(), from.Slug, m.Kind)
}
func (s *server) ChatHistory(limit uint32) []ocp.ChatMessage { return nil }
func (s *server) ChatClients() []ocp.ChatClient              { return nil }
func (s *server) DeleteMessage(from ocp.Caller, id string) error {
	s.say("  owncast: %s deletes chat message %s", from.Slug, id)
	return nil
}
func (s *server) KickClient(from ocp.Caller, id uint64) error {
	s.say("  owncast: %s disconnects chat client %d", from.Slug, id)
	return nil
}
func (s *server) Upload(from ocp.Caller, name string, data []byte) (string, error) {
	s.say("  owncast: %s uploads %s (%d bytes)", from.Slug, name, len(data))
	return "/uploads/" + from.Slug + "/" + name, nil
}
func (s *server) StreamCurrent() ocp.StreamInfo {
	return ocp.StreamInfo{Online: true, Title: "Embedding plugins from Go", Viewers: 7}
}
func (s *server) StreamBroadcaster() *ocp.Broadcaster { return nil }
func (s *server) ServerInfo() ocp.ServerInfo {
	return ocp.ServerInfo{Name: "Go embed demo", Summary: "A Go server standing in for Owncast", URL: "http://127.0.0.1:8080", Version: "0.2.0"}
}
func (s *server) ServerSocials() []ocp.SocialHandle    { return nil }
func (s *server) ServerEmotes() []ocp.Emote            { return nil }
func (s *server) ServerFederation() ocp.FederationInfo { return ocp.FederationInfo{} }
func (s *server) ServerTags() []string                 { return []string{"demo", "go"} }
func (s *server) VideoConfig() ocp.VideoConfig {
	return ocp.VideoConfig{LatencyLevel: 2, Codec: "libx264"}
}
func (s *server) WriteVideoConfig(from ocp.Caller, u ocp.VideoConfigUpdate) error {
	s.say("  owncast: %s changes the video configuration", from.Slug)
	return nil
}
func (s *server) NotifyDiscord(from ocp.Caller, content string) {
	s.say("  owncast: %s posts to Discord: %s", from.Slug, content)
}
func (s *server) NotifyBrowserPush(from ocp.Caller, p ocp.BrowserPush) {
	s.say("  owncast: %s sends a browser push: %s", from.Slug, p.Title)
}
func (s *server) NotifyFediverse(from ocp.Caller, n ocp.FediverseNotification) {
	s.say("  owncast: %s notifies the fediverse (%s): %s", from.Slug, n.Type, n.Body)
}
func (s *server) Users() []ocp.User        { return nil }
func (s *server) User(id string) *ocp.User { return nil }
func (s *server) SetUserEnabled(from ocp.Caller, id string, enabled bool, reason string) error {
	s.say("  owncast: %s sets user %s enabled=%v (%s)", from.Slug, id, enabled, reason)
	return nil
}
func (s *server) BanIP(from ocp.Caller, ip string) error {
	s.say("  owncast: %s bans %s", from.Slug, ip)
	return nil
}
func (s *server) FediversePost(from ocp.Caller, content string) (string, error) {
	s.say("  owncast: %s posts to the fediverse: %s", from.Slug, content)
	return "https://owncast.example/posts/1", nil
}

// ---- ocp.Observer ----

func (s *server) Emitted(from string, ev ocp.Event, depth uint32) {
	s.say("  event %s emitted %s %s", from, ev.Type, ev.Payload)
}
func (s *server) Failed(plugin, call, err string) {
	s.say("  fail  %s %s: %s", plugin, call, firstLine(err))
}
func (s *server) Disabled(plugin, reason string) { s.say("  OFF   %s: %s", plugin, reason) }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// chat is what Owncast does with a message a viewer sends: the filter
// chain, then (unless dropped) the fan-out to plugins.
func (s *server) chat(ctx context.Context, host *ocp.Host, user, body string) (ocp.Outcome, error) {
	id := atomic.AddInt64(&s.seq, 1)
	msg := ocp.ChatMessage{
		ID:        fmt.Sprintf("msg-%d", id),
		User:      &ocp.ChatUser{ID: strings.ToLower(user), DisplayName: user},
		Body:      body,
		Timestamp: time.Now().UTC().Format(time.RFC3339Nano),
	}
	s.say("%s: %s", user, body)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := host.Filter(ctx, ocp.ChatMessageEvent(msg))
	if err != nil {
		return out, err
	}
	switch out.Result {
	case ocp.ResultDropped:
		s.say("  drop  by %s: %s", out.Dropped.Plugin, out.Dropped.Reason)
		return out, nil
	case ocp.ResultModified:
		var m ocp.ChatMessage
		if err := out.Event.DecodePayload(&m); err == nil {
			s.say("  edit  -> %s", m.Body)
		}
	}
	return out, host.Notify(ctx, out.Event)
}

func main() {
	plugins := flag.String("plugins", "../js", "plugins folder")
	data := flag.String("data", "../../data/go-embed", "the host's data folder")
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	password := flag.String("password", "demo", "admin password for the admin API and plugin admin pages")
	jsEngine := flag.String("js-engine", "", "shared JS engine for .js plugins")
	script := flag.Bool("script", false, "send a scripted chat through the plugins, show plugin HTTP, and exit")
	flag.Parse()

	s := &server{}
	host, err := ocp.New(ocp.Config{
		PluginsDir:    *plugins,
		DataDir:       *data,
		AdminPassword: *password,
		EnableAll:     true,
		JSEngine:      *jsEngine,
		Log:           "error", // failures are printed by the Observer callbacks
	}, s)
	if err != nil {
		log.Fatalf("starting the plugin host: %v", err)
	}
	defer host.Close()
	list, err := host.Plugins()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("plugin host embedded in Go: %d plugins from %s\n", len(list), *plugins)
	for _, p := range list {
		fmt.Printf("  %-18s %-8s %-10s %s\n", p.Slug, p.Version, p.Status, p.Kind)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	mux.HandleFunc("/chat", func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			s.mu.Lock()
			lines := append([]string{}, s.lines...)
			s.mu.Unlock()
			json.NewEncoder(w).Encode(lines)
		case http.MethodPost:
			var in struct{ User, Body string }
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&in); err != nil || in.User == "" {
				http.Error(w, `post {"user": ..., "body": ...}`, http.StatusBadRequest)
				return
			}
			out, err := s.chat(r.Context(), host, in.User, in.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(out)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
		}
	})
	// The plugin host's routes, mounted on Owncast's router.
	mux.Handle("/plugins/", host)
	mux.Handle("/api/plugins/", host)
	mux.Handle("/api/admin/plugins", host)
	mux.Handle("/api/admin/plugins/", host)

	if *script {
		runScript(s, host, mux)
		return
	}
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		srv.Shutdown(context.Background())
	}()
	fmt.Printf("serving on http://%s/ (chat page), plugins under /plugins/<slug>/, admin API /api/admin/plugins (admin:%s); Ctrl-C stops\n", *listen, *password)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func runScript(s *server, host *ocp.Host, mux http.Handler) {
	fmt.Println("\nchat through the filter chain and the notification fan-out:")
	for _, m := range [][2]string{
		{"Ana", "hello everyone"},
		{"Ana", "too fast, slow mode drops this"},
		{"Bo", "what the hell is going on"},
		{"Cy", "/announce the Q&A starts at nine"},
	} {
		if _, err := s.chat(context.Background(), host, m[0], m[1]); err != nil {
			log.Fatalf("chat: %v", err)
		}
	}
	fmt.Println("\nplugin HTTP through the same router:")
	for _, path := range []string{"/plugins/overlay/api/messages", "/api/plugins/actions"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Printf("  GET %s -> %d %s\n", path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
}

const page = `<!doctype html><meta charset="utf-8"><title>Go embed demo</title>
<h1>Chat (through the plugin host)</h1>
<form id="f"><input id="u" value="Viewer" size="10"> <input id="b" size="50" autofocus> <button>Send</button></form>
<pre id="log"></pre>
<p><a href="/plugins/overlay/">overlay plugin</a> · <a href="/api/plugins/actions">action buttons</a> · <a href="/api/admin/plugins">admin API</a></p>
<script>
async function refresh() { const r = await fetch("/chat"); document.getElementById("log").textContent = (await r.json()).join("\n"); }
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault();
  await fetch("/chat", {method: "POST", body: JSON.stringify({user: u.value, body: b.value})});
  b.value = ""; refresh();
};
refresh(); setInterval(refresh, 2000);
</script>`
