package owncastplugins

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rss is the process's resident set size in bytes.
func rss(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatalf("reading RSS: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

func heap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// Every cycle creates an event, runs it through Filter (a cancel token, the
// call, the outcome buffer) and Notify, and lets it go: nothing may pile up,
// on the Go heap or in the Rust host.
func TestHandlesAreFreed(t *testing.T) {
	h := newHost(t, &recorder{}, nil, "examples/rust/profanity-filter")
	// A 2 KiB body, so a leaked buffer per cycle would show (40 MiB over the
	// measured cycles, well past the 12 MiB allowed for the race detector's
	// and the allocators' own drift, which reached 8 MiB on a loaded machine).
	text := strings.Repeat("heck of a long message ", 90)
	cycle := func(i int) {
		ctx, cancel := context.WithCancel(background())
		o, err := h.Filter(ctx, chat("hal", text, i%60))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if o.Result != ResultModified {
			t.Fatalf("cycle %d: %s", i, o.Result)
		}
	}
	for i := 0; i < 2000; i++ { // warm up: instance, allocator pools, caches
		cycle(i)
	}
	heap0, rss0 := heap(), rss(t)
	const n = 20000
	for i := 0; i < n; i++ {
		cycle(i)
	}
	heap1, rss1 := heap(), rss(t)
	t.Logf("after %d cycles: Go heap %+d bytes (%d → %d), RSS %+d KiB (%d → %d KiB)",
		n, heap1-heap0, heap0, heap1, (rss1-rss0)/1024, rss0/1024, rss1/1024)
	if heap1-heap0 > 1<<20 {
		t.Errorf("Go heap grew by %d bytes over %d cycles", heap1-heap0, n)
	}
	if rss1-rss0 > 12<<20 {
		t.Errorf("RSS grew by %d KiB over %d cycles", (rss1-rss0)/1024, n)
	}
}

// Hosts themselves: create one, call it, close it, many times over.
func TestHostsAreFreed(t *testing.T) {
	dir := pluginsDir(t, "examples/rust/profanity-filter")
	cycle := func(i int) {
		h, err := New(Config{PluginsDir: dir, DataDir: t.TempDir(), EnableAll: true, CacheDir: cacheDir, WorkerThreads: 1}, &recorder{})
		if err != nil {
			t.Fatal(err)
		}
		o, err := h.Filter(background(), chat("ivy", "heck", i))
		if err != nil || o.Result != ResultModified {
			t.Fatalf("cycle %d: %+v %v", i, o, err)
		}
		h.Close()
	}
	for i := 0; i < 5; i++ {
		cycle(i)
	}
	heap0, rss0 := heap(), rss(t)
	const n = 40
	for i := 0; i < n; i++ {
		cycle(i)
	}
	heap1, rss1 := heap(), rss(t)
	t.Logf("after %d hosts: Go heap %+d bytes, RSS %+d KiB (%d → %d KiB)", n, heap1-heap0, (rss1-rss0)/1024, rss0/1024, rss1/1024)
	if heap1-heap0 > 1<<20 {
		t.Errorf("Go heap grew by %d bytes over %d hosts", heap1-heap0, n)
	}
	if rss1-rss0 > 32<<20 {
		t.Errorf("RSS grew by %d KiB over %d hosts", (rss1-rss0)/1024, n)
	}
}

// cpuTime is the CPU time the whole process (every thread: Go's, the
// host's workers, the epoch ticker) has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchFilter times call b.N times and also reports the process's CPU time
// per call (cpu-ns/op): on a loaded machine wall time mostly measures
// waiting for a core, CPU time what the call costs.
func benchFilter(b *testing.B, call func() error) {
	b.ResetTimer()
	start := cpuTime(b)
	for i := 0; i < b.N; i++ {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkFilter is one chat message through the whole stack: Go struct
// to JSON, cgo, the Rust host's filter chain with one component filter,
// the outcome back to a Go struct. Compare with
// `cargo run -p owncast-plugin-capi --example filter_bench` (Host::filter
// from Rust, same plugin, same message).
func BenchmarkFilter(b *testing.B) {
	h := newHost(b, nil, nil, "examples/rust/profanity-filter")
	ev := chat("kim", "hello there, how is the stream going", 0)
	ctx := background()
	benchFilter(b, func() error {
		_, err := h.Filter(ctx, ev)
		return err
	})
}

// BenchmarkFilterRaw is the same call with the event already in JSON and
// the outcome left as JSON: the cgo boundary and the host only.
func BenchmarkFilterRaw(b *testing.B) {
	h := newHost(b, nil, nil, "examples/rust/profanity-filter")
	ev := chat("kim", "hello there, how is the stream going", 0)
	in := []byte(`{"eventType":"chat.message.received","payload":` + string(ev.Payload) + `}`)
	ctx := background()
	benchFilter(b, func() error {
		_, err := h.filterRaw(ctx, in)
		return err
	})
}

// BenchmarkGoSideCodec is the Go half of BenchmarkFilter alone: the event
// into the envelope the host reads and the outcome back into an Outcome.
// "direct" is Host.Filter's way (the envelope written directly, the host
// leaving a passed event out of the outcome); "encoding-json" is the
// generic way it replaced (json.Marshal of the Event, and an outcome that
// carries the event back).
func BenchmarkGoSideCodec(b *testing.B) {
	h := newHost(b, nil, nil, "examples/rust/profanity-filter")
	ev := chat("kim", "hello there, how is the stream going", 0)
	out, err := h.filterRaw(background(), ev.envelope())
	if err != nil {
		b.Fatal(err)
	}
	if bytes.Contains(out, []byte(`"event"`)) {
		b.Fatalf("a passed event came back: %s", out)
	}
	withEvent := append([]byte(`{"event":`+string(ev.envelope())+`,`), out[1:]...)
	b.Run("direct", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = ev.envelope()
			var o Outcome
			if err := json.Unmarshal(out, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(ev); err != nil {
				b.Fatal(err)
			}
			var o Outcome
			if err := json.Unmarshal(withEvent, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
