package owncastplugins

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The repository root, from this package's directory.
var repoRoot = filepath.Join("..", "..")

// recorder is an Owncast that records what plugins did, and an Observer.
type recorder struct {
	NoOwncast
	mu       sync.Mutex
	chats    []chatRecord
	emitted  []emittedRecord
	failed   []string
	disabled []string
	// onChat, when set, runs inside the SendChat callback.
	onChat func(from Caller, msg ChatSend)
}

type chatRecord struct {
	From Caller
	Msg  ChatSend
}

type emittedRecord struct {
	Plugin string
	Event  Event
	Depth  uint32
}

func (r *recorder) SendChat(from Caller, msg ChatSend) {
	r.mu.Lock()
	r.chats = append(r.chats, chatRecord{from, msg})
	hook := r.onChat
	r.mu.Unlock()
	if hook != nil {
		hook(from, msg)
	}
}

func (r *recorder) ServerInfo() ServerInfo {
	return ServerInfo{Name: "Go test server", URL: "http://owncast.test", Version: "test"}
}

func (r *recorder) Emitted(from string, ev Event, depth uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emitted = append(r.emitted, emittedRecord{from, ev, depth})
}

func (r *recorder) Failed(plugin, call, err string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, plugin+" "+call+": "+err)
}

func (r *recorder) Disabled(plugin, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disabled = append(r.disabled, plugin+": "+reason)
}

func (r *recorder) chatsFrom(slug string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.chats {
		if c.From.Slug == slug {
			out = append(out, c.Msg.Text())
		}
	}
	return out
}

// Directory names not copied into a test's plugins folder.
var skipDirs = map[string]bool{"node_modules": true, "src": true, "__tests__": true, "target": true}

func copyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if info.IsDir() {
			if skipDirs[info.Name()] && rel != "." {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.Create(filepath.Join(to, rel))
		if err != nil {
			return err
		}
		defer dst.Close()
		_, err = io.Copy(dst, src)
		return err
	})
	if err != nil {
		t.Fatalf("copying %s: %v", from, err)
	}
}

// pluginsDir is a fresh plugins folder holding built plugins, each given as
// a directory relative to the repository root ("examples/rust/echo-bot").
// A plugin that is not built fails the test: tests never skip for that.
func pluginsDir(t testing.TB, dirs ...string) string {
	t.Helper()
	out := t.TempDir()
	for _, d := range dirs {
		src := filepath.Join(repoRoot, d)
		slug := filepath.Base(d)
		if _, err := os.Stat(filepath.Join(src, slug+".wasm")); err != nil {
			build := "tools/build-rust-guests.sh"
			if strings.HasPrefix(d, "examples/js/") {
				build = "tools/build-js-examples.sh"
			}
			t.Fatalf("plugin %s is not built (%v): run %s", d, err, build)
		}
		copyTree(t, src, filepath.Join(out, slug))
	}
	return out
}

// cacheDir is shared by the tests so each plugin compiles once per run.
var cacheDir = filepath.Join(os.TempDir(), "owncastplugins-go-test-cache")

// newHost starts a host over plugins (see pluginsDir) with every plugin
// approved; adjust changes the configuration first.
func newHost(t testing.TB, oc Owncast, adjust func(*Config), plugins ...string) *Host {
	t.Helper()
	cfg := Config{PluginsDir: pluginsDir(t, plugins...), DataDir: t.TempDir(), EnableAll: true, CacheDir: cacheDir}
	if adjust != nil {
		adjust(&cfg)
	}
	h, err := New(cfg, oc)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	ps, err := h.Plugins()
	if err != nil {
		t.Fatalf("Plugins: %v", err)
	}
	if len(ps) != len(plugins) {
		t.Fatalf("%d plugins installed, want %d: %+v", len(ps), len(plugins), ps)
	}
	for _, p := range ps {
		if p.Status != "enabled" {
			t.Fatalf("plugin %s is %s: %s", p.Slug, p.Status, p.LastError)
		}
	}
	return h
}

var msgSeq int64

// chat is a chat.message.received event from user at second sec of the stream.
func chat(user, body string, sec int) Event {
	return ChatMessageEvent(ChatMessage{
		ID:        fmt.Sprintf("m%d", atomic.AddInt64(&msgSeq, 1)),
		User:      &ChatUser{ID: user, DisplayName: strings.ToUpper(user[:1]) + user[1:]},
		Body:      body,
		Timestamp: time.Date(2024, 5, 1, 20, 0, sec, 0, time.UTC).Format(time.RFC3339),
	})
}

func body(t testing.TB, ev Event) string {
	t.Helper()
	var m ChatMessage
	if err := ev.DecodePayload(&m); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return m.Body
}

func background() context.Context { return context.Background() }

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
