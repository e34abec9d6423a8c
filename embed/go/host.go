// Package owncastplugins embeds the Owncast plugin host (a Rust library,
// linked through its C ABI) in a Go server.
//
//	host, err := owncastplugins.New(owncastplugins.Config{PluginsDir: "plugins", DataDir: "data"}, myOwncast)
//	outcome, err := host.Filter(ctx, owncastplugins.ChatMessageEvent(msg))  // the chat filter chain
//	err = host.Notify(ctx, owncastplugins.ChatMessageEvent(final))            // notification fan-out
//	mux.Handle("/plugins/", host)                                              // plugin pages, SSE
//	mux.Handle("/api/plugins/", host)                                          // action buttons
//	mux.Handle("/api/admin/plugins", host); mux.Handle("/api/admin/plugins/", host) // admin API
//	defer host.Close()
//
// Every method of Host is safe for concurrent use. docs/EMBEDDING.md has
// the whole picture: linking, callbacks, threading.
package owncastplugins

/*
#include <stdlib.h>
#include "owncast_plugin.h"
int32_t ocp_go_host_new(const uint8_t *config, size_t config_len, uintptr_t handle, OcpHost **host_out, OcpBuf *err);
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// Config configures a Host.
type Config struct {
	// PluginsDir is the plugins folder (.ocpkg packages, loose files,
	// plugin directories).
	PluginsDir string `json:"pluginsDir"`
	// DataDir holds the host's store (kv.redb), the admin's choices
	// (plugins.json) and unpacked packages.
	DataDir string `json:"dataDir"`
	// StateFile overrides where the enabled set and approvals live.
	StateFile string `json:"stateFile,omitempty"`
	// AdminPassword is the password of the admin user (HTTP Basic) for
	// plugin admin pages and the admin API; AdminTokens are bearer tokens
	// that grant the same. Config.Authenticate can vouch instead.
	AdminPassword string   `json:"adminPassword,omitempty"`
	AdminTokens   []string `json:"adminTokens,omitempty"`
	// EnableAll approves and enables every plugin found at start (demos
	// and tests; a real admin approves each plugin).
	EnableAll bool `json:"enableAll,omitempty"`
	// JSEngine is the shared JavaScript engine for .js plugins.
	JSEngine string `json:"jsEngine,omitempty"`
	// CacheDir caches compiled plugin code across restarts.
	CacheDir string `json:"cacheDir,omitempty"`
	// WorkerThreads run plugin calls in the background (default 2).
	WorkerThreads int    `json:"workerThreads,omitempty"`
	Limits        Limits `json:"limits"`
	// Log is a tracing filter for the host's own logs on stderr ("info",
	// "owncast_plugin_host=debug"); empty logs nothing.
	Log string `json:"log,omitempty"`

	// MaxRequestBody caps the request bodies ServeHTTP reads (default
	// 64 MiB, the largest package upload; the host applies its own smaller
	// limits per route).
	MaxRequestBody int64 `json:"-"`
	// Authenticate, when set, tells the host who an HTTP request is from
	// (Owncast's own admin session, a chat user); nil leaves it to
	// AdminPassword/AdminTokens.
	Authenticate func(r *http.Request) *RequestAuth `json:"-"`
}

// Limits overrides the host's default limits; zero keeps a default.
type Limits struct {
	MemoryBytes      int           `json:"memoryBytes,omitempty"`
	RegisterDeadline time.Duration `json:"-"`
	FilterDeadline   time.Duration `json:"-"`
	EventDeadline    time.Duration `json:"-"`
	HTTPDeadline     time.Duration `json:"-"`
	MaxStrikes       uint32        `json:"maxStrikes,omitempty"`
	MaxEmitDepth     uint32        `json:"maxEmitDepth,omitempty"`
	HTTPBodyBytes    int           `json:"httpBodyBytes,omitempty"`
	MaxInstances     uint32        `json:"maxInstances,omitempty"`
}

// MarshalJSON writes the deadlines in milliseconds, as the host reads them.
func (l Limits) MarshalJSON() ([]byte, error) {
	type plain Limits
	ms := func(d time.Duration) *int64 {
		if d <= 0 {
			return nil
		}
		v := int64(math.Ceil(float64(d) / float64(time.Millisecond)))
		return &v
	}
	return json.Marshal(struct {
		plain
		RegisterDeadlineMs *int64 `json:"registerDeadlineMs,omitempty"`
		FilterDeadlineMs   *int64 `json:"filterDeadlineMs,omitempty"`
		EventDeadlineMs    *int64 `json:"eventDeadlineMs,omitempty"`
		HTTPDeadlineMs     *int64 `json:"httpDeadlineMs,omitempty"`
	}{plain(l), ms(l.RegisterDeadline), ms(l.FilterDeadline), ms(l.EventDeadline), ms(l.HTTPDeadline)})
}

// Status codes of the C ABI (OCP_* in owncast_plugin.h).
const (
	codeOK        = 0
	codeError     = 1
	codeInvalid   = 2
	codePanic     = 3
	codeCancelled = 4
	codeDeadline  = 5
	codeNotFound  = 6
	codeEnd       = 7
	codePending   = 8
)

// Error is a failure the host reported.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return "owncastplugins: " + e.Message }

// Is matches the sentinel errors by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

var (
	// ErrNotFound: no such plugin.
	ErrNotFound = &Error{Code: codeNotFound}
	// ErrInvalid: an argument the host refused (a malformed event).
	ErrInvalid = &Error{Code: codeInvalid}
	// ErrHostPanic: the host panicked; the panic was caught and the host
	// goes on.
	ErrHostPanic = &Error{Code: codePanic}
	// ErrClosed: the Host was closed.
	ErrClosed = errors.New("owncastplugins: host is closed")
)

// Host is a running plugin host.
type Host struct {
	mu      sync.RWMutex // Close takes it exclusively
	ptr     *C.OcpHost
	maxBody int64
	auth    func(*http.Request) *RequestAuth
}

// takeBuf copies a buffer the host returned and frees it.
func takeBuf(b *C.OcpBuf) []byte {
	if b.ptr == nil {
		return nil
	}
	out := C.GoBytes(unsafe.Pointer(b.ptr), C.int(b.len))
	C.ocp_buf_free(*b)
	b.ptr = nil
	return out
}

// cbytes is a Go slice as a C pointer, for the duration of one call.
func cbytes(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// New starts a host: it scans the plugins folder and starts the plugins the
// admin enabled and approved. oc answers for Owncast (nil: a server with no
// chat, users or stream); if it also implements Observer it hears about
// dispatch.
func New(cfg Config, oc Owncast) (*Host, error) {
	if oc == nil {
		oc = NoOwncast{}
	}
	conf, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("owncastplugins: config: %w", err)
	}
	e := &embedder{owncast: oc}
	if obs, ok := oc.(Observer); ok {
		e.observer = obs
	}
	// The host releases the handle (ocpGoRelease) when it is done with it,
	// also when creation fails.
	handle := cgo.NewHandle(e)
	var ptr *C.OcpHost
	var errBuf C.OcpBuf
	rc := C.ocp_go_host_new(cbytes(conf), C.size_t(len(conf)), C.uintptr_t(handle), &ptr, &errBuf)
	msg := takeBuf(&errBuf)
	if rc != codeOK {
		return nil, &Error{Code: int(rc), Message: string(msg)}
	}
	maxBody := cfg.MaxRequestBody
	if maxBody <= 0 {
		maxBody = 64 << 20
	}
	return &Host{ptr: ptr, maxBody: maxBody, auth: cfg.Authenticate}, nil
}

// Close shuts the host down: it waits for calls in progress, unloads every
// plugin (open SSE streams end) and frees it. Calls after Close return
// ErrClosed.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr != nil {
		C.ocp_host_free(h.ptr)
		h.ptr = nil
	}
	return nil
}

// call runs one C call that may wait, honouring ctx: its deadline becomes
// the call's timeout and its cancellation fires a cancel token. It returns
// the out buffer's content.
func (h *Host) call(ctx context.Context, f func(ptr *C.OcpHost, timeoutMs C.uint32_t, cancel *C.OcpCancel, out *C.OcpBuf) C.int32_t) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ptr == nil {
		return nil, ErrClosed
	}
	var timeout C.uint32_t
	if d, ok := ctx.Deadline(); ok {
		ms := time.Until(d).Milliseconds() + 1
		if ms < 1 {
			return nil, context.DeadlineExceeded
		}
		if ms > math.MaxUint32 {
			ms = math.MaxUint32
		}
		timeout = C.uint32_t(ms)
	}
	var cancel *C.OcpCancel
	if done := ctx.Done(); done != nil {
		cancel = C.ocp_cancel_new()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-done:
				C.ocp_cancel_fire(cancel)
			case <-stop:
			}
		}()
		defer func() {
			close(stop)
			wg.Wait()
			C.ocp_cancel_free(cancel)
		}()
	}
	var out C.OcpBuf
	rc := f(h.ptr, timeout, cancel, &out)
	b := takeBuf(&out)
	switch rc {
	case codeOK:
		return b, nil
	case codeCancelled, codeDeadline:
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, context.DeadlineExceeded
	default:
		return nil, &Error{Code: int(rc), Message: string(b)}
	}
}

// filterRaw runs the filter chain on an event already in JSON.
func (h *Host) filterRaw(ctx context.Context, event []byte) ([]byte, error) {
	return h.call(ctx, func(p *C.OcpHost, t C.uint32_t, c *C.OcpCancel, out *C.OcpBuf) C.int32_t {
		return C.ocp_filter(p, cbytes(event), C.size_t(len(event)), t, c, out)
	})
}

// Filter runs the filter chain for ev (chat.message.received, for chat):
// each filter in priority order sees the previous one's output. The
// outcome says whether the event passed, was modified (Outcome.Event is the
// new one) or was dropped (by which plugin, why). Filters fail open: a
// plugin that traps or times out is a failed step, not an error. If ctx
// ends first, Filter returns ctx's error at once; the plugin call in
// progress finishes within its own deadline and its result is discarded.
func (h *Host) Filter(ctx context.Context, ev Event) (Outcome, error) {
	b, err := h.filterRaw(ctx, ev.envelope())
	if err != nil {
		return Outcome{}, err
	}
	var o Outcome
	if err := json.Unmarshal(b, &o); err != nil {
		return Outcome{}, fmt.Errorf("owncastplugins: outcome: %w", err)
	}
	if o.Event.Type == "" {
		// The host leaves the event out when every filter passed it.
		o.Event = ev
	}
	return o, nil
}

// Notify fans ev out to every plugin subscribed to it, concurrently, then
// the events they emit, and returns when all have run (each within its
// deadline) or when ctx ends (the rest goes on in the background). Run it
// in a goroutine not to wait.
func (h *Host) Notify(ctx context.Context, ev Event) error {
	return h.notifyRaw(ctx, ev.envelope())
}

// notifyRaw fans out an event already in JSON.
func (h *Host) notifyRaw(ctx context.Context, event []byte) error {
	_, err := h.call(ctx, func(p *C.OcpHost, t C.uint32_t, c *C.OcpCancel, out *C.OcpBuf) C.int32_t {
		return C.ocp_notify(p, cbytes(event), C.size_t(len(event)), t, c, out)
	})
	return err
}

func decodePlugins(b []byte) ([]PluginInfo, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, fmt.Errorf("owncastplugins: plugin list: %w", err)
	}
	out := make([]PluginInfo, 0, len(raws))
	for _, r := range raws {
		p, err := decodePlugin(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func decodePlugin(b []byte) (PluginInfo, error) {
	var p PluginInfo
	if err := json.Unmarshal(b, &p); err != nil {
		return PluginInfo{}, fmt.Errorf("owncastplugins: plugin info: %w", err)
	}
	p.Raw = append(json.RawMessage(nil), b...)
	return p, nil
}

// Plugins lists every installed plugin with its status.
func (h *Host) Plugins() ([]PluginInfo, error) {
	b, err := h.call(context.Background(), func(p *C.OcpHost, _ C.uint32_t, _ *C.OcpCancel, out *C.OcpBuf) C.int32_t {
		return C.ocp_plugins(p, out)
	})
	if err != nil {
		return nil, err
	}
	return decodePlugins(b)
}

// Rescan reads the plugins folder again (new, changed, removed plugins).
func (h *Host) Rescan() ([]PluginInfo, error) {
	b, err := h.call(context.Background(), func(p *C.OcpHost, _ C.uint32_t, _ *C.OcpCancel, out *C.OcpBuf) C.int32_t {
		return C.ocp_rescan(p, out)
	})
	if err != nil {
		return nil, err
	}
	return decodePlugins(b)
}

// manage applies one of the C ABI's OCP_OP_* operations to a plugin.
func (h *Host) manage(slug string, op C.uint32_t) (PluginInfo, error) {
	s := []byte(slug)
	b, err := h.call(context.Background(), func(p *C.OcpHost, _ C.uint32_t, _ *C.OcpCancel, out *C.OcpBuf) C.int32_t {
		return C.ocp_plugin_manage(p, op, cbytes(s), C.size_t(len(s)), out)
	})
	if err != nil {
		return PluginInfo{}, err
	}
	return decodePlugin(b)
}

// Enable starts a plugin whose permissions the admin approved.
func (h *Host) Enable(slug string) (PluginInfo, error) { return h.manage(slug, C.OCP_OP_ENABLE) }

// Disable stops a plugin and remembers that the admin wants it off.
func (h *Host) Disable(slug string) (PluginInfo, error) { return h.manage(slug, C.OCP_OP_DISABLE) }

// Approve approves the permissions the plugin declares and enables it.
func (h *Host) Approve(slug string) (PluginInfo, error) { return h.manage(slug, C.OCP_OP_APPROVE) }

// Reload reads the plugin's files again and restarts it if enabled.
func (h *Host) Reload(slug string) (PluginInfo, error) { return h.manage(slug, C.OCP_OP_RELOAD) }
