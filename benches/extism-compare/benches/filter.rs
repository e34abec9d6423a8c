//! One filter call of the word-filter fixture (an extism-pdk plugin) under
//! the legacy shim and under the official Extism host, in one criterion run.
//!
//! - `raw`: the export called with the envelope bytes, output bytes back.
//! - `typed`: what the dispatcher does per call: the event to its JSON
//!   envelope, the call, the output parsed into a `FilterResult`. The
//!   Extism side does the same JSON work around `Plugin::call`.

use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_testing::SimulatedOwncast;
use criterion::{criterion_group, criterion_main, Criterion};
use owncast_compat_extism::{ExtismLoader, RawInstance};
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::types::{Event, FilterResult};
use owncast_plugin_host::{Host, Manifest, PluginBundle, PluginContext, PluginLoader};
use std::path::PathBuf;
use std::sync::Arc;

fn fixture() -> PluginBundle {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../compat-extism/fixtures/word-filter");
    PluginBundle::from_dir(&dir).unwrap_or_else(|e| panic!("{e}: build it with tools/build-extism-fixtures.sh"))
}

fn event() -> Event {
    Event::from_json(
        "chat.message.received",
        serde_json::json!({
            "id": "m-1", "user": {"id": "u-1", "displayName": "alice"},
            "body": "Oh darn, what the heck is going on in here, gosh", "timestamp": "2024-01-01T00:00:00Z"
        }),
    )
    .unwrap()
}

fn parse(out: &[u8], input: &Event) -> FilterResult {
    let v: serde_json::Value = serde_json::from_slice(out).unwrap();
    FilterResult::from_json(&v, input).unwrap()
}

fn bench(c: &mut Criterion) {
    let bundle = fixture();
    let ev = event();
    let input = serde_json::to_vec(&ev.to_envelope()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    // The shim, on the host's default runtime (pooling allocator, epoch deadlines).
    let host = Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound)).build().unwrap();
    let manifest = Arc::new(Manifest::parse(&bundle.manifest, &bundle.manifest_file).unwrap());
    let ctx = PluginContext::new(manifest.clone(), manifest.permissions.clone(), host.services().clone());
    let loader = ExtismLoader::new();
    let req = || LoadRequest { runtime: host.runtime(), bytes: &bundle.code, file: &bundle.code_file, manifest: &manifest, grants: &manifest.permissions };
    let mut raw = rt.block_on(RawInstance::new(&loader, req(), ctx.clone())).unwrap();
    let code = loader.load(req()).unwrap();
    let mut typed = rt.block_on(code.instantiate(ctx.clone(), None)).unwrap();

    // The official Extism host, WASI on as the module needs it.
    let em = extism::Manifest::new([extism::Wasm::data(bundle.code.clone())]);
    let mut plugin = extism::Plugin::new(&em, [], true).unwrap();

    // Both answer the same.
    let shim_out = rt.block_on(raw.call("on_filter", &input)).unwrap();
    let extism_out: Vec<u8> = plugin.call::<&[u8], &[u8]>("on_filter", &input).unwrap().to_vec();
    assert_eq!(shim_out, extism_out);
    assert!(matches!(parse(&shim_out, &ev), FilterResult::Modify(_)));

    let mut g = c.benchmark_group("word-filter on_filter raw");
    g.bench_function("owncast-compat-extism", |b| b.iter(|| rt.block_on(raw.call("on_filter", &input)).unwrap()));
    g.bench_function("extism 1.41", |b| b.iter(|| plugin.call::<&[u8], &[u8]>("on_filter", &input).unwrap().len()));
    g.finish();

    let mut g = c.benchmark_group("word-filter on_filter typed");
    g.bench_function("owncast-compat-extism", |b| b.iter(|| rt.block_on(typed.on_filter(&ev)).unwrap()));
    g.bench_function("extism 1.41", |b| {
        b.iter(|| {
            let input = serde_json::to_vec(&ev.to_envelope()).unwrap();
            let out = plugin.call::<&[u8], &[u8]>("on_filter", &input).unwrap();
            parse(out, &ev)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
