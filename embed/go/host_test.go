package owncastplugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var jsSet = []string{"examples/js/profanity-filter", "examples/js/slow-mode", "examples/js/echo-bot", "examples/js/message-counter", "examples/js/relay", "examples/js/announcer", "examples/js/overlay"}
var rustSet = []string{"examples/rust/profanity-filter", "examples/rust/slow-mode", "examples/rust/echo-bot", "examples/rust/relay", "examples/rust/announcer"}

func TestLoadsTheJSAndRustExamples(t *testing.T) {
	for _, set := range []struct {
		name    string
		plugins []string
		kind    string
		word    string // one the set's profanity-filter masks
	}{{"js", jsSet, "extism", "damn"}, {"rust", rustSet, "component", "heck"}} {
		t.Run(set.name, func(t *testing.T) {
			h := newHost(t, &recorder{}, nil, set.plugins...)
			ps, err := h.Plugins()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.Kind != set.kind {
					t.Errorf("%s: kind %q, want %q", p.Slug, p.Kind, set.kind)
				}
				if len(p.UnapprovedPermissions) != 0 {
					t.Errorf("%s: unapproved %v after EnableAll", p.Slug, p.UnapprovedPermissions)
				}
			}
			// The filter chain runs through them: profanity-filter masks.
			o, err := h.Filter(background(), chat("ana", "oh "+set.word, 0))
			if err != nil {
				t.Fatal(err)
			}
			if o.Result != ResultModified || body(t, o.Event) != "oh ****" {
				t.Fatalf("outcome %+v", o)
			}
		})
	}
}

func TestFilterChainModifiesAndDrops(t *testing.T) {
	h := newHost(t, &recorder{}, nil, "examples/rust/profanity-filter", "examples/rust/slow-mode")

	o, err := h.Filter(background(), chat("ana", "well darn it", 10))
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != ResultModified || o.Dropped != nil || body(t, o.Event) != "well **** it" {
		t.Fatalf("first message: %+v", o)
	}
	// slow-mode (priority 5) runs before profanity-filter (10).
	if len(o.Steps) != 2 || o.Steps[0].Plugin != "slow-mode" || o.Steps[0].Result != ResultPass ||
		o.Steps[1].Plugin != "profanity-filter" || o.Steps[1].Result != ResultModified {
		t.Fatalf("steps: %+v", o.Steps)
	}

	// One second later, same user: slow mode drops it, and the chain stops.
	o, err = h.Filter(background(), chat("ana", "again", 11))
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != ResultDropped || o.Dropped == nil || o.Dropped.Plugin != "slow-mode" || o.Dropped.Reason == "" {
		t.Fatalf("second message: %+v", o)
	}
	if len(o.Steps) != 1 {
		t.Fatalf("the chain went on after a drop: %+v", o.Steps)
	}

	// Another user is not slowed down, and a clean message passes untouched.
	ev := chat("bo", "hello there", 11)
	o, err = h.Filter(background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != ResultPass || body(t, o.Event) != "hello there" {
		t.Fatalf("third message: %+v", o)
	}
}

func TestCallbacksReachGo(t *testing.T) {
	rec := &recorder{}
	h := newHost(t, rec, nil, "examples/js/echo-bot", "examples/js/message-counter", "examples/js/relay", "examples/js/announcer")
	ctx := background()
	for i, text := range []string{"first", "second", "third"} {
		if err := h.Notify(ctx, chat("cy", text, i)); err != nil {
			t.Fatal(err)
		}
	}
	// chat.send: echo-bot repeats every message.
	echoes := rec.chatsFrom("echo-bot")
	if len(echoes) != 3 || !strings.Contains(echoes[0], "first") || !strings.Contains(echoes[2], "third") {
		t.Fatalf("echo-bot sent %q", echoes)
	}
	// The fan-out runs the plugins concurrently: find echo-bot's message
	// among the others' rather than expecting it first.
	rec.mu.Lock()
	bot := ""
	for _, c := range rec.chats {
		if c.From.Slug == "echo-bot" {
			bot = c.From.BotName
			break
		}
	}
	rec.mu.Unlock()
	if bot != "EchoBot" {
		t.Errorf("bot name %q", bot)
	}

	// KV through the host: message-counter keeps each user's count in the
	// store and says it.
	counts := rec.chatsFrom("message-counter")
	if len(counts) != 3 || !strings.Contains(counts[0], "1 message") || !strings.Contains(counts[2], "3 message") {
		t.Fatalf("message-counter sent %q", counts)
	}

	// events.emit: relay emits announcement.broadcast, the host fans it out
	// one level deeper, and announcer posts it.
	if err := h.Notify(ctx, chat("cy", "/announce the stream starts at nine", 6)); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	emitted := append([]emittedRecord(nil), rec.emitted...)
	rec.mu.Unlock()
	if len(emitted) != 1 || emitted[0].Plugin != "relay" || emitted[0].Event.Type != "announcement.broadcast" || emitted[0].Depth != 1 {
		t.Fatalf("emitted %+v", emitted)
	}
	if !strings.Contains(string(emitted[0].Event.Payload), "the stream starts at nine") {
		t.Fatalf("emitted payload %s", emitted[0].Event.Payload)
	}
	ann := rec.chatsFrom("announcer")
	if len(ann) != 1 || !strings.Contains(ann[0], "the stream starts at nine") {
		t.Fatalf("announcer sent %q", ann)
	}
}

func TestEveryCallbackMethodIsAnswered(t *testing.T) {
	hostMethods, err := hostCallbackMethods()
	if err != nil {
		t.Fatal(err)
	}
	ours := append([]string(nil), methods...)
	sort.Strings(hostMethods)
	sort.Strings(ours)
	if strings.Join(hostMethods, " ") != strings.Join(ours, " ") {
		t.Fatalf("the host calls %v\nthe Go side answers %v", hostMethods, ours)
	}
	e := &embedder{owncast: &recorder{}}
	for _, m := range hostMethods {
		if _, err := e.dispatch(m, []byte(`{"data": ""}`)); err != nil && strings.Contains(err.Error(), "unknown callback method") {
			t.Errorf("%s: %v", m, err)
		}
	}
}

// An Owncast that could not do a moderation answers an error, which the host
// turns into the plugin's {"error": ...}; emotes answer a list.
func TestModerationErrorsAndEmotesAreAnswered(t *testing.T) {
	e := &embedder{owncast: &fullOwncast{}}
	if _, err := e.dispatch("chat.delete", []byte(`{"messageId": "gone"}`)); err == nil || err.Error() != "no message gone" {
		t.Fatalf("chat.delete of a missing message: %v", err)
	}
	if _, err := e.dispatch("chat.delete", []byte(`{"messageId": "m1"}`)); err != nil {
		t.Fatalf("chat.delete: %v", err)
	}
	if _, err := (&embedder{owncast: NoOwncast{}}).dispatch("users.banIp", []byte(`{"ip": "10.0.0.1"}`)); err == nil {
		t.Fatal("NoOwncast bans nobody and says so")
	}
	got, err := e.dispatch("server.emotes", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `[{"name":"gopher","url":"/img/emoji/gopher.png"}]` {
		t.Fatalf("server.emotes answered %s", b)
	}
}

func TestConcurrentFilterAndNotify(t *testing.T) {
	rec := &recorder{}
	h := newHost(t, rec, nil, "examples/rust/profanity-filter", "examples/rust/echo-bot")
	const workers, each = 8, 40
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			user := string(rune('a'+w)) + "user"
			for i := 0; i < each; i++ {
				o, err := h.Filter(background(), chat(user, "dang it", i))
				if err != nil {
					errs <- err
					return
				}
				if o.Result != ResultModified || body(t, o.Event) != "**** it" {
					errs <- errors.New("unexpected outcome " + o.Result)
					return
				}
				if err := h.Notify(background(), o.Event); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	echoes := rec.chatsFrom("echo-bot")
	if len(echoes) != workers*each {
		t.Fatalf("%d echoes, want %d", len(echoes), workers*each)
	}
	for _, e := range echoes {
		if !strings.Contains(e, "**** it") {
			t.Fatalf("echo of an unfiltered message: %q", e)
		}
	}
}

// A filter that calls back into Go while it runs: plugin code runs on the
// calling goroutine's thread, and its callback reaches Go through a thread
// the host created (entering Go from the plugin's stack on a Go thread would
// crash cgo). Several goroutines at once, each waiting on its own filter.
func TestFilterCallbacksReachGo(t *testing.T) {
	oc := &fullOwncast{}
	// Generous: the calls queue for the plugin's one instance on a loaded machine.
	h := newHost(t, oc, func(c *Config) { c.Limits.FilterDeadline = 5 * time.Second }, "host/tests/guests/hostile")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				o, err := h.Filter(background(), chat("hal", "history", g*10+i))
				if err != nil {
					errs <- err
					return
				}
				if o.Result != ResultDropped || o.Dropped.Reason != "1 messages" {
					errs <- fmt.Errorf("outcome %+v", o)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !oc.has("history") {
		t.Error("Go never saw the history callback")
	}
}

func TestTrappingAndSpinningPluginsGiveCleanErrors(t *testing.T) {
	rec := &recorder{}
	h := newHost(t, rec, func(c *Config) {
		c.Limits.FilterDeadline = 300 * time.Millisecond
		c.Limits.MaxStrikes = 100
	}, "examples/rust/buggy-filter", "host/tests/guests/hostile")

	// hostile loops forever on "spin" and runs out of time; buggy-filter
	// traps on every message. Both fail open: the message passes.
	start := time.Now()
	o, err := h.Filter(background(), chat("dee", "spin", 0))
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != ResultPass || body(t, o.Event) != "spin" {
		t.Fatalf("outcome %+v", o)
	}
	failed := map[string]string{}
	for _, s := range o.Steps {
		if s.Result == ResultFailed {
			failed[s.Plugin] = s.Error
		}
	}
	if !strings.Contains(failed["hostile"], "timed out after 300ms") {
		t.Errorf("hostile: %q, want its deadline", failed["hostile"])
	}
	// A Rust panic reads as its message, its place and the guest function
	// (here the export on_filter was inlined into), not as a bare trap.
	if e := failed["buggy-filter"]; !strings.Contains(e, "panicked at buggy-filter/src/lib.rs:") || !strings.Contains(e, "index out of bounds") || !strings.Contains(e, " at on-filter") || strings.Contains(e, "unreachable") {
		t.Errorf("buggy-filter: %q, want its panic message and function", e)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("the spinning call took %v", el)
	}
	rec.mu.Lock()
	nfailed := len(rec.failed)
	rec.mu.Unlock()
	if nfailed != 2 {
		t.Errorf("observer saw %d failures", nfailed)
	}

	// A context deadline shorter than the plugin's: Go gets its own error at
	// once, the call finishes in the background.
	ctx, cancel := context.WithTimeout(background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = h.Filter(ctx, chat("dee", "spin", 1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 200*time.Millisecond {
		t.Errorf("cancelled call returned after %v", el)
	}
	// The call Go gave up on still spins until hostile's deadline; meanwhile
	// a filter skips hostile at once (the host's stall bound). Wait until it
	// is free, so the next call really runs in it.
	for i := 0; ; i++ {
		o, err = h.Filter(background(), chat("dee", "calm", 2))
		if err != nil {
			t.Fatal(err)
		}
		busy := false
		for _, s := range o.Steps {
			busy = busy || (s.Plugin == "hostile" && s.Result == ResultFailed && strings.Contains(s.Error, "busy"))
		}
		if !busy {
			break
		}
		if i == 200 {
			t.Fatal("hostile stayed busy after its deadline")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Cancellation, likewise.
	ctx, cancel = context.WithCancel(background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = h.Filter(ctx, chat("dee", "spin", 2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// The host is fine afterwards.
	o, err = h.Filter(background(), chat("dee", "calm", 3))
	if err != nil || o.Result != ResultPass {
		t.Fatalf("after: %+v %v", o, err)
	}
}

func TestHostPanicComesBackAsError(t *testing.T) {
	rec := &recorder{}
	h := newHost(t, rec, nil, "examples/rust/echo-bot", "examples/rust/profanity-filter")
	// A callback that calls back into the host breaks the host's rule (the
	// runtime refuses to nest); the resulting Rust panic must come back to
	// Go as an error, not abort the process.
	inner := make(chan error, 1)
	rec.mu.Lock()
	rec.onChat = func(Caller, ChatSend) {
		_, err := h.Filter(background(), chat("eve", "heck", 0))
		inner <- err
	}
	rec.mu.Unlock()
	if err := h.Notify(background(), chat("eve", "hello", 0)); err != nil {
		t.Fatal(err)
	}
	err := <-inner
	if !errors.Is(err, ErrHostPanic) {
		t.Fatalf("re-entrant call: %v, want ErrHostPanic", err)
	}
	if !strings.Contains(err.Error(), "panicked") {
		t.Errorf("message %q", err)
	}
	rec.mu.Lock()
	rec.onChat = nil
	rec.mu.Unlock()
	// The host goes on.
	o, err := h.Filter(background(), chat("eve", "heck", 1))
	if err != nil || o.Result != ResultModified {
		t.Fatalf("after the panic: %+v %v", o, err)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	_, err := New(Config{PluginsDir: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), "dataDir") {
		t.Fatalf("missing dataDir: %v", err)
	}
	h := newHost(t, nil, nil, "examples/rust/profanity-filter")
	// What is not an event envelope is refused at the boundary.
	for _, raw := range []string{`{"body": "hi"}`, `not json`, `{"eventType": 5}`} {
		if _, err := h.filterRaw(background(), []byte(raw)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "eventType") {
			t.Fatalf("%s: %v, want ErrInvalid naming eventType", raw, err)
		}
		if err := h.notifyRaw(background(), []byte(raw)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Notify %s: %v, want ErrInvalid", raw, err)
		}
	}
	// A payload of the wrong shape is passed on as given (a legacy plugin
	// sees it whole); a component, which needs the typed record, is not
	// called: its step fails, naming the event and the field, and the
	// chain fails open.
	o, err := h.Filter(background(), Event{Type: "chat.message.received", Payload: json.RawMessage(`{"body": 5}`)})
	if err != nil || o.Result != ResultPass || len(o.Steps) != 1 || o.Steps[0].Result != ResultFailed ||
		!strings.Contains(o.Steps[0].Error, "chat.message.received") || !strings.Contains(o.Steps[0].Error, "body") {
		t.Fatalf("wrong-shaped payload: %+v %v", o, err)
	}
	if string(o.Event.Payload) != `{"body":5}` && string(o.Event.Payload) != `{"body": 5}` {
		t.Errorf("the payload changed: %s", o.Event.Payload)
	}
	// A payload that is not JSON at all is the host's to refuse (the Go side
	// does not re-scan payloads).
	if _, err := h.Filter(background(), Event{Type: "chat.message.received", Payload: json.RawMessage(`{"body": `)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("payload that is not JSON: %v, want ErrInvalid", err)
	}
	if _, err := h.Enable("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Enable(nope): %v", err)
	}
	h.Close()
	if _, err := h.Filter(background(), chat("x", "y", 0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/plugins/profanity-filter/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("HTTP after Close: %d %s", rec.Code, rec.Body)
	}
}

func TestApprovalIsTheAdminsAndPersists(t *testing.T) {
	plugins, data := pluginsDir(t, "examples/rust/profanity-filter"), t.TempDir()
	start := func() *Host {
		h, err := New(Config{PluginsDir: plugins, DataDir: data, CacheDir: cacheDir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := start()
	ps, err := h.Plugins()
	if err != nil || len(ps) != 1 || ps[0].Status != "disabled" {
		t.Fatalf("a new plugin runs before the admin approved it: %+v %v", ps, err)
	}
	if _, err := h.Enable("profanity-filter"); err == nil || !strings.Contains(err.Error(), "chat.filter") {
		t.Fatalf("Enable without approval: %v, want the unapproved permission named", err)
	}
	if o, _ := h.Filter(background(), chat("gil", "heck", 0)); len(o.Steps) != 0 {
		t.Fatalf("unapproved plugin filtered: %+v", o)
	}
	p, err := h.Approve("profanity-filter")
	if err != nil || p.Status != "enabled" || len(p.UnapprovedPermissions) != 0 {
		t.Fatalf("Approve: %+v %v", p, err)
	}
	h.Close()
	// The approval is in the data folder: a new host starts the plugin.
	h = start()
	defer h.Close()
	o, err := h.Filter(background(), chat("gil", "heck", 1))
	if err != nil || o.Result != ResultModified {
		t.Fatalf("after a restart: %+v %v", o, err)
	}
}

func TestManageAPlugin(t *testing.T) {
	h := newHost(t, nil, nil, "examples/rust/profanity-filter")
	p, err := h.Disable("profanity-filter")
	if err != nil || p.Status != "disabled" {
		t.Fatalf("Disable: %+v %v", p, err)
	}
	o, err := h.Filter(background(), chat("fay", "heck", 0))
	if err != nil || o.Result != ResultPass || len(o.Steps) != 0 {
		t.Fatalf("disabled plugin still filters: %+v %v", o, err)
	}
	p, err = h.Enable("profanity-filter")
	if err != nil || p.Status != "enabled" {
		t.Fatalf("Enable: %+v %v", p, err)
	}
	if p, err = h.Reload("profanity-filter"); err != nil || p.Status != "enabled" {
		t.Fatalf("Reload: %+v %v", p, err)
	}
	o, err = h.Filter(background(), chat("fay", "heck", 1))
	if err != nil || o.Result != ResultModified {
		t.Fatalf("after Enable: %+v %v", o, err)
	}
}

func TestEnvelopeIsWhatEncodingJSONWrites(t *testing.T) {
	for _, ev := range []Event{
		{Type: "chat.message.received", Payload: json.RawMessage(`{"body":"hi","user":"Kim"}`)},
		{Type: "my.custom-event_2", Payload: json.RawMessage(` [1, 2] `)},
		{Type: "quote\"back\\slash\nnewline", Payload: json.RawMessage(`"x"`)},
		{Type: "ünïcode <&>", Payload: nil},
	} {
		var got, want interface{}
		if err := json.Unmarshal(ev.envelope(), &got); err != nil {
			t.Fatalf("%q: envelope is not JSON: %v (%s)", ev.Type, err, ev.envelope())
		}
		std, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: envelope %s, encoding/json %s", ev.Type, ev.envelope(), std)
		}
	}
}
