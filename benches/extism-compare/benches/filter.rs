//! Plugin calls under the legacy shim and under the official Extism host, in
//! one criterion run:
//!
//! - `word-filter on_filter`: the word-filter fixture (an extism-pdk plugin
//!   in Rust) on a message it masks.
//! - `js profanity-filter on_filter`: the profanity-filter example built by
//!   our JS SDK (QuickJS pre-initialized with the plugin) on a message with
//!   three of its listed words.
//! - `js message-counter on_event`: the message-counter example (JS SDK),
//!   which calls `owncast_kv_get`, `owncast_kv_set` and `owncast_send_chat`
//!   on every chat message.
//!
//! Each `raw` (the export called with the envelope bytes, output bytes back)
//! and `typed` (what the dispatcher pays per call: the event to its envelope,
//! the call, a filter's output parsed into a `Verdict`; the Extism side does
//! the same JSON work around `Plugin::call`). The shim runs on the host's
//! default runtime (pooling allocator, epoch deadlines; the deadlines raised,
//! see `bench`) through the loader the host uses; Extism gets stand-ins for the `owncast_*` imports
//! (`extism_compare::stub_functions`). Both hosts must answer the same; the
//! bench checks that first.

use criterion::{criterion_group, criterion_main, Criterion};
use extism::UserData;
use extism_compare::{bundle, chat, extism_plugin, manifest, Stubs};
use owncast_compat_extism::{ExtismLoader, RawInstance};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::event::{Event, Verdict};
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::{Host, PluginBundle, PluginContext, PluginInstance, PluginLoader, RuntimeConfig};
use owncast_plugin_testing::SimulatedOwncast;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

/// A message the word-filter fixture masks two words of.
const WORD_FILTER_MESSAGE: &str = "Oh darn, what the heck is going on in here, gosh";
/// A message with three words of the profanity-filter's list.
const PROFANITY_MESSAGE: &str = "Damn, what the hell is this crap? Good play though";

/// One plugin under both hosts, checked to answer the same.
struct Pair {
    name: &'static str,
    export: &'static str,
    event: Event,
    raw: RawInstance,
    typed: Box<dyn PluginInstance>,
    extism: extism::Plugin,
    stubs: UserData<Stubs>,
}

impl Pair {
    fn new(rt: &Runtime, host: &Host, rel: &str, name: &'static str, export: &'static str, body: &str) -> Pair {
        let bundle: PluginBundle = bundle(rel);
        let manifest = Arc::new(manifest(&bundle));
        let ctx = PluginContext::new(manifest.clone(), manifest.permissions.clone(), host.services().clone());
        // The loader the host uses for legacy modules (modules built on the
        // JS engine share the engine's compiled code, as in the host).
        let loader = ExtismLoader::new();
        let req = || LoadRequest {
            runtime: host.runtime(),
            bytes: &bundle.code,
            file: &bundle.code_file,
            manifest: &manifest,
            grants: &manifest.permissions,
        };
        let (raw, typed) = rt.block_on(async {
            let mut raw = RawInstance::new(&loader, req(), ctx.clone()).await.unwrap();
            raw.call("register", b"").await.unwrap();
            let code = loader.load(req()).unwrap();
            let mut typed = code.instantiate(ctx.clone(), None).await.unwrap();
            typed.register().await.unwrap();
            (raw, typed)
        });
        let stubs = UserData::new(Stubs::default());
        let mut extism = extism_plugin(&bundle.code, &manifest, &stubs);
        extism.call::<&[u8], &[u8]>("register", b"").unwrap();
        Pair { name, export, event: chat(body), raw, typed, extism, stubs }
    }

    /// The chat messages the Extism side's stand-in sent so far, taken.
    fn extism_chat(&self) -> Vec<String> {
        std::mem::take(&mut self.stubs.get().unwrap().lock().unwrap().chat)
    }

    /// One call with the same input on each host; both outputs, which must be equal.
    fn same_output(&mut self, rt: &Runtime) -> Vec<u8> {
        let input = self.event.envelope_bytes();
        let shim = rt.block_on(self.raw.call(self.export, &input)).unwrap();
        let extism = self.extism.call::<&[u8], &[u8]>(self.export, &input).unwrap().to_vec();
        assert_eq!(
            String::from_utf8_lossy(&shim),
            String::from_utf8_lossy(&extism),
            "{}: the hosts answer differently",
            self.name
        );
        shim
    }

    fn bench(&mut self, c: &mut Criterion, rt: &Runtime) {
        let input = self.event.envelope_bytes();
        let (export, event) = (self.export, self.event.clone());
        let mut g = c.benchmark_group(format!("{} {export} raw", self.name));
        g.bench_function("owncast-compat-extism", |b| b.iter(|| rt.block_on(self.raw.call(export, &input)).unwrap()));
        g.bench_function("extism 1.41", |b| b.iter(|| self.extism.call::<&[u8], &[u8]>(export, &input).unwrap().len()));
        g.finish();

        let mut g = c.benchmark_group(format!("{} {export} typed", self.name));
        match export {
            "on_filter" => {
                g.bench_function("owncast-compat-extism", |b| {
                    b.iter(|| rt.block_on(self.typed.on_filter(&event)).unwrap())
                });
                g.bench_function("extism 1.41", |b| {
                    b.iter(|| {
                        let input = event.envelope_bytes();
                        let out = self.extism.call::<&[u8], &[u8]>(export, &input).unwrap();
                        verdict(out, &event)
                    })
                });
            }
            _ => {
                g.bench_function("owncast-compat-extism", |b| {
                    b.iter(|| rt.block_on(self.typed.on_event(&event)).unwrap())
                });
                g.bench_function("extism 1.41", |b| {
                    b.iter(|| {
                        let input = event.envelope_bytes();
                        self.extism.call::<&[u8], &[u8]>(export, &input).unwrap().len()
                    })
                });
            }
        }
        g.finish();
    }
}

/// A legacy filter's output as the shim reads it (blank: pass).
fn verdict(out: &[u8], input: &Event) -> Verdict {
    if out.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Pass;
    }
    let v: serde_json::Value = serde_json::from_slice(out).unwrap();
    Verdict::from_json(&v, input).unwrap()
}

fn masked_body(out: &[u8], input: &Event) -> String {
    match verdict(out, input) {
        Verdict::Modify(e) => e.payload_json()["body"].as_str().unwrap_or_default().to_string(),
        other => panic!("expected a modify, got {other:?}"),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let owncast = Arc::new(SimulatedOwncast::demo());
    // The host's default runtime, but for its deadlines: they are wall-clock
    // (epoch ticks), and on a shared, loaded 2-core machine a call that is
    // preempted long enough (tens of ms, seen here at load 10+) trips the
    // 50 ms filter deadline and ends the run. The bench times calls; the
    // code path and the per-call deadline arming are the same.
    let mut config = RuntimeConfig::default();
    config.limits.register_deadline = Duration::from_secs(5);
    config.limits.filter_deadline = Duration::from_secs(5);
    config.limits.event_deadline = Duration::from_secs(5);
    let host = Host::builder(owncast.clone(), Arc::new(NetworkOutbound)).runtime_config(config).build().unwrap();

    let mut word =
        Pair::new(&rt, &host, "compat-extism/fixtures/word-filter", "word-filter", "on_filter", WORD_FILTER_MESSAGE);
    let out = word.same_output(&rt);
    assert_eq!(masked_body(&out, &word.event), "Oh ****, what the **** is going on in here, ****");

    let mut profanity =
        Pair::new(&rt, &host, "examples/js/profanity-filter", "js profanity-filter", "on_filter", PROFANITY_MESSAGE);
    let out = profanity.same_output(&rt);
    assert_eq!(masked_body(&out, &profanity.event), "****, what the **** is this ****? Good play though");

    // The counter: each host's first call counts 1 and says so, through its
    // own KV store and chat (the shim's: the host's services).
    let mut counter = Pair::new(
        &rt,
        &host,
        "examples/js/message-counter",
        "js message-counter",
        "on_event",
        "hello there, how is everyone doing today?",
    );
    owncast.take_effects();
    counter.same_output(&rt);
    let shim_chat: Vec<String> = owncast
        .take_effects()
        .chat
        .into_iter()
        .map(|(_, m)| match m {
            ChatSend::Message { body } => body,
            other => panic!("message-counter sent {other:?}"),
        })
        .collect();
    let stubs = counter.extism_chat();
    assert_eq!(shim_chat, vec!["alice has sent 1 message(s) total".to_string()]);
    assert_eq!(shim_chat, stubs, "message-counter: the hosts' chat differs");

    word.bench(c, &rt);
    profanity.bench(c, &rt);
    counter.bench(c, &rt);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(100).measurement_time(Duration::from_secs(8));
    targets = bench
}
criterion_main!(benches);
