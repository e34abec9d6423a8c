//! Resident memory per loaded plugin: creates N live instances of a Rust
//! example (the host keeps one instance per loaded plugin; compiled code is
//! shared between instances of the same code), calls `register` and a filter
//! on each so their memories are touched, and reports the growth of the
//! process's resident set. Needs the Rust examples built.
//! Run: `cargo bench -p owncast-plugin-host --profile dev --bench memory`.

use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::component::ComponentLoader;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::metrics::ProcessMemory;
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::types::{self, ChatMessage};
use owncast_plugin_host::{Host, Manifest, PluginBundle, PluginContext, PluginLoader, Runtime, RuntimeConfig};
use owncast_plugin_testing::SimulatedOwncast;
use std::path::Path;
use std::sync::Arc;

fn rss_bytes() -> u64 {
    ProcessMemory::rss_now().expect("/proc/self/statm (Linux only)")
}

fn main() {
    let n: usize = std::env::var("PLUGINS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let name = std::env::var("PLUGIN").unwrap_or_else(|_| "profanity-filter".into());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let runtime = Runtime::new(RuntimeConfig { max_instances: n as u32 + 10, ..Default::default() }).unwrap();
    let host = Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
        .runtime(runtime.clone())
        .build()
        .unwrap();
    let b = PluginBundle::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/rust").join(&name))
        .unwrap_or_else(|e| panic!("{e} (build the examples with tools/build-rust-guests.sh)"));
    let manifest = Arc::new(Manifest::parse(&b.manifest, &b.manifest_file).unwrap());
    let code = ComponentLoader
        .load(LoadRequest {
            runtime: &runtime,
            bytes: &b.code,
            file: &b.code_file,
            manifest: &manifest,
            grants: &manifest.permissions,
        })
        .unwrap();
    let event: Event =
        types::Event::ChatMessageReceived(ChatMessage { body: "darn it".into(), ..Default::default() }).into();
    let mut live = Vec::new();
    let one = || {
        let ctx = PluginContext::new(manifest.clone(), manifest.permissions.clone(), host.services().clone());
        let mut i = rt.block_on(code.instantiate(ctx, None)).unwrap();
        rt.block_on(i.register()).unwrap();
        rt.block_on(i.on_filter(&event)).unwrap();
        i
    };
    live.push(one()); // warm-up
    let before = rss_bytes();
    for _ in 0..n {
        live.push(one());
    }
    let after = rss_bytes();
    let per = after.saturating_sub(before) as f64 / n as f64;
    println!(
        "memory: {n} live instances of {name}: resident set +{:.2} MiB, {:.1} KiB per loaded plugin",
        after.saturating_sub(before) as f64 / 1048576.0,
        per / 1024.0
    );
    drop(live);
}
