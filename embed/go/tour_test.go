package owncastplugins

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fullOwncast answers every callback with data of its own and records the
// effects, so a test can see each method's arguments arrive and its answer
// reach the plugin.
type fullOwncast struct {
	recorder
	calls []string
}

func (f *fullOwncast) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fullOwncast) has(s string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c == s {
			return true
		}
	}
	return false
}

func str(s string) *string { return &s }

func (f *fullOwncast) ChatHistory(limit uint32) []ChatMessage {
	f.note("history")
	return []ChatMessage{{ID: "h1", User: &ChatUser{ID: "u-9", DisplayName: "Nine"}, Body: "earlier message"}}
}
func (f *fullOwncast) ChatClients() []ChatClient {
	return []ChatClient{{ID: 3, UserID: "u-3", DisplayName: "Zed", IPAddress: "192.0.2.3", MessageCount: 1}}
}
func (f *fullOwncast) DeleteMessage(from Caller, id string) error {
	if id == "gone" {
		return errors.New("no message gone")
	}
	f.note("delete " + id)
	return nil
}
func (f *fullOwncast) KickClient(from Caller, id uint64) error {
	f.note(fmt.Sprint("kick ", id))
	return nil
}
func (f *fullOwncast) Upload(from Caller, name string, data []byte) (string, error) {
	f.note("upload " + name + " " + string(data))
	return "/uploads/" + from.Slug + "/" + name, nil
}
func (f *fullOwncast) StreamCurrent() StreamInfo {
	return StreamInfo{Online: true, Title: "Go title", Viewers: 9, LatencyLevel: 2}
}
func (f *fullOwncast) StreamBroadcaster() *Broadcaster {
	return &Broadcaster{RemoteAddr: "10.1.1.1", Codecs: []string{"h264", "aac"}, Resolution: "1280x720", Framerate: 30, Bitrates: []uint32{3000, 128}}
}
func (f *fullOwncast) ServerSocials() []SocialHandle {
	return []SocialHandle{{Platform: "mastodon", URL: "https://social.example/@go"}}
}
func (f *fullOwncast) ServerFederation() FederationInfo {
	return FederationInfo{Enabled: true, Username: "go", IsPrivate: true}
}
func (f *fullOwncast) ServerTags() []string { return []string{"go", "test"} }
func (f *fullOwncast) VideoConfig() VideoConfig {
	return VideoConfig{LatencyLevel: 2, Codec: "libx264"}
}
func (f *fullOwncast) WriteVideoConfig(from Caller, u VideoConfigUpdate) error {
	if u.LatencyLevel != nil && *u.LatencyLevel > 4 {
		return errors.New("latency level must be 0 to 4")
	}
	f.note("video write")
	return nil
}
func (f *fullOwncast) NotifyDiscord(from Caller, content string) { f.note("discord " + content) }
func (f *fullOwncast) NotifyBrowserPush(from Caller, p BrowserPush) {
	f.note("push " + p.Title)
}
func (f *fullOwncast) NotifyFediverse(from Caller, n FediverseNotification) {
	f.note("fedinotify " + n.Type + " " + n.Body + " " + n.Link)
}
func (f *fullOwncast) Users() []User {
	return []User{{ID: "u-1", DisplayName: "Una", IsAuthenticated: true}, {ID: "u-2", DisplayName: "Dos", DisabledAt: "2024-05-01T20:00:00Z"}}
}
func (f *fullOwncast) User(id string) *User {
	for _, u := range f.Users() {
		if u.ID == id {
			return &u
		}
	}
	return nil
}
func (f *fullOwncast) SetUserEnabled(from Caller, id string, enabled bool, reason string) error {
	if enabled {
		f.note("enable " + id)
	} else {
		f.note("disable " + id + " " + reason)
	}
	return nil
}
func (f *fullOwncast) BanIP(from Caller, ip string) error {
	f.note("ban " + ip)
	return nil
}
func (f *fullOwncast) ServerEmotes() []Emote {
	return []Emote{{Name: "gopher", URL: "/img/emoji/gopher.png"}}
}
func (f *fullOwncast) FediversePost(from Caller, content string) (string, error) {
	f.note("post " + content)
	return "https://owncast.example/posts/77", nil
}

// The legacy host-tour fixture calls every owncast_* host function: each
// one crosses into Go, and Go's answers come back to the plugin (which says
// what it got in chat).
func TestEveryHostCallReachesGo(t *testing.T) {
	oc := &fullOwncast{}
	h := newHost(t, oc, nil, "compat-extism/fixtures/host-tour")
	said := func(cmd string) string {
		t.Helper()
		before := len(oc.chatsFrom("host-tour"))
		if err := h.Notify(background(), chat("tess", cmd, 0)); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		all := oc.chatsFrom("host-tour")
		if len(all) == before {
			t.Fatalf("%s: the plugin said nothing", cmd)
		}
		return strings.Join(all[before:], " | ")
	}
	for _, c := range []struct{ cmd, want string }{
		{"!chat", "plain message"},
		{"!history 5", `history=["earlier message"] from=["Nine"] clients=["3:Zed"]`},
		{"!moderate m9", "moderated"},
		{"!upload hi", `upload url="/uploads/host-tour/note.txt" bad=true`},
		{"!server", `stream online=true title="Go title" broadcaster="1280x720"@"10.1.1.1" server="Go test server" socials=1 federation=true tags=["go","test"]`},
		{"!video", "video latency=2 codec=\"libx264\" write=true bad=false junk=false"},
		{"!notify", "notified"},
		{"!users u-2", `users=2 u-2="Dos" ghost=0`},
		{"!usermod u-2", "usermod done"},
		{"!post hello fediverse", `posted "https://owncast.example/posts/77"`},
	} {
		if got := said(c.cmd); !strings.Contains(got, c.want) {
			t.Errorf("%s: plugin said %q, want %q", c.cmd, got, c.want)
		}
	}
	for _, want := range []string{
		"history", "delete m9", "kick 7", "upload note.txt hi", "video write", "discord we are live",
		"push Live", "push plain text push", "fedinotify live live on the fediverse https://owncast.example", "disable u-2 spamming", "enable u-friend",
		"ban 10.0.0.9", "post hello fediverse",
	} {
		if !oc.has(want) {
			t.Errorf("Go never saw %q; saw %q", want, oc.calls)
		}
	}
	// The chat kinds: action, sanitized system HTML, one client.
	oc.mu.Lock()
	kinds := map[string]ChatSend{}
	for _, c := range oc.chats {
		kinds[c.Msg.Kind] = c.Msg
	}
	oc.mu.Unlock()
	if kinds["action"].Body != "waves" || kinds["to"].ClientID != 42 || strings.Contains(kinds["system"].HTML, "<script") || !strings.Contains(kinds["system"].HTML, "system") {
		t.Errorf("chat kinds: %+v", kinds)
	}
}

// Server-sent events stream through ServeHTTP for as long as the client
// stays, each frame flushed as the plugin sends it.
func TestServerSentEventsStream(t *testing.T) {
	h := newHost(t, &fullOwncast{}, nil, "compat-extism/fixtures/host-tour")
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/plugins/host-tour/_sse/live")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("SSE answer: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(prefix string) string {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before a %q line", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %q line within 5 s", prefix)
			}
		}
	}
	for _, n := range []string{"1", "2"} {
		if err := h.Notify(background(), chat("sam", "!sse "+n, 0)); err != nil {
			t.Fatal(err)
		}
		if l := next("event:"); l != "event: tick" {
			t.Fatalf("event line %q", l)
		}
		if l := next("data:"); l != `data: {"n":"`+n+`"}` {
			t.Fatalf("data line %q", l)
		}
	}
	// Closing the host ends the stream.
	h.Close()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the stream stayed open after Close")
		}
	}
}

var _ http.Handler = (*Host)(nil)
