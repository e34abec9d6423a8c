//! Native component call costs (criterion). Needs the Rust examples built
//! (`tools/build-rust-guests.sh`). Run: `cargo bench -p owncast-plugin-host --profile dev --bench component`.

use criterion::{criterion_group, criterion_main, Criterion};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::component::ComponentLoader;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::types::{self, ChatMessage, ChatUser, CustomEvent};
use owncast_plugin_host::{Host, Manifest, PluginBundle, PluginContext, PluginLoader, Runtime, RuntimeConfig};
use owncast_plugin_testing::SimulatedOwncast;
use std::path::Path;
use std::sync::Arc;

fn bundle(name: &str) -> PluginBundle {
    PluginBundle::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/rust").join(name))
        .unwrap_or_else(|e| panic!("{e} (build the examples with tools/build-rust-guests.sh)"))
}

fn message(body: &str) -> Event {
    types::Event::ChatMessageReceived(ChatMessage {
        id: "m1".into(),
        user: Some(ChatUser { id: "u-alice".into(), display_name: "alice".into(), ..Default::default() }),
        body: body.into(),
        timestamp: "2024-01-01T00:00:00Z".into(),
        client_id: Some(1),
    })
    .into()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let host = Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
        .runtime(runtime.clone())
        .build()
        .unwrap();
    let b = bundle("profanity-filter");
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
    let ctx = PluginContext::new(manifest.clone(), manifest.permissions.clone(), host.services().clone());
    let mut instance = rt.block_on(code.instantiate(ctx.clone(), None)).unwrap();
    rt.block_on(instance.register()).unwrap();
    let event = message("well heck, that was a darn good stream");
    // Most chat passes every filter: the same size, no listed word.
    let clean = message("well wow, that was a very good stream");
    let empty: Event = types::Event::Custom(CustomEvent { event_type: "x".into(), payload_json: String::new() }).into();

    let mut g = c.benchmark_group("component");
    g.bench_function("on_filter (chat message, modify)", |bch| {
        bch.iter(|| rt.block_on(instance.on_filter(&event)).unwrap());
    });
    g.bench_function("on_filter (chat message, pass)", |bch| {
        bch.iter(|| rt.block_on(instance.on_filter(&clean)).unwrap());
    });
    g.bench_function("on_event (empty custom event, no-op)", |bch| {
        bch.iter(|| rt.block_on(instance.on_event(&empty)).unwrap());
    });
    g.bench_function("instantiate", |bch| {
        bch.iter(|| rt.block_on(code.instantiate(ctx.clone(), None)).unwrap());
    });
    rt.block_on(host.load(bundle("profanity-filter"))).unwrap();
    g.bench_function("host.filter (one-plugin chain, dispatcher included)", |bch| {
        bch.iter(|| rt.block_on(host.filter(event.clone())));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
