//! Calls one export of a built legacy plugin N times through the shim's
//! `RawInstance` (the loader the host uses): a fixed workload to count
//! instructions of (`valgrind --tool=callgrind`, comparing two N) when
//! profiling a guest such as the JS engine.
//!
//!     call_loop PLUGIN_DIR [N] [EXPORT] [BODY]
//!
//! Defaults: 1000 calls of `on_filter` with a chat message that has three
//! words of the profanity-filter's list. Compiled code is cached in
//! `$OWNCAST_PLUGIN_CACHE` (default: a directory under the system temp dir),
//! so a profiled run does not compile. Under valgrind set
//! `CALL_LOOP_POOLING=0` (and run once without valgrind first to fill the
//! cache for that configuration). `CALL_LOOP_TYPED=1` calls the typed
//! instance the dispatcher uses instead (`PluginInstance::on_filter`).

use owncast_compat_extism::{ExtismLoader, RawInstance};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::{Host, Manifest, PluginBundle, PluginContext, PluginLoader, RuntimeConfig};
use owncast_plugin_testing::SimulatedOwncast;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or_else(|| anyhow::anyhow!("usage: call_loop PLUGIN_DIR [N] [EXPORT] [BODY]"))?;
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let export = args.next().unwrap_or_else(|| "on_filter".into());
    let body = args.next().unwrap_or_else(|| "Damn, what the hell is this crap? Good play though".into());

    let bundle = PluginBundle::from_dir(std::path::Path::new(&dir))?;
    let manifest = Arc::new(Manifest::parse(&bundle.manifest, &bundle.manifest_file)?);
    let cache = std::env::var_os("OWNCAST_PLUGIN_CACHE")
        .map(Into::into)
        .unwrap_or_else(|| std::env::temp_dir().join("owncast-call-loop-cache"));
    let mut config = RuntimeConfig { cache_dir: Some(cache), ..Default::default() };
    // Valgrind cannot reserve the pooling allocator's address space: set
    // CALL_LOOP_POOLING=0 under it (Wasmtime's on-demand allocator then).
    config.pooling = std::env::var("CALL_LOOP_POOLING").map_or(true, |v| v != "0");
    // Under valgrind a call takes far longer than its deadline allows.
    config.limits.register_deadline = Duration::from_secs(600);
    config.limits.filter_deadline = Duration::from_secs(600);
    config.limits.event_deadline = Duration::from_secs(600);
    let host =
        Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound)).runtime_config(config).build()?;
    let ctx = PluginContext::new(manifest.clone(), manifest.permissions.clone(), host.services().clone());
    let req = LoadRequest {
        runtime: host.runtime(),
        bytes: &bundle.code,
        file: &bundle.code_file,
        manifest: &manifest,
        grants: &manifest.permissions,
    };
    let event = Event::from_json(
        "chat.message.received",
        serde_json::json!({
            "id": "m-1", "user": {"id": "u-1", "displayName": "alice"},
            "body": body, "timestamp": "2024-01-01T00:00:00Z"
        }),
    )?;
    let input = event.envelope_bytes();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    if std::env::var("CALL_LOOP_TYPED").is_ok_and(|v| v == "1") {
        // What the dispatcher pays: the typed `PluginInstance` (the event to
        // its envelope, the call, the output parsed into a verdict).
        return rt.block_on(async {
            let code = ExtismLoader::new().load(req)?;
            let mut inst = code.instantiate(ctx, None).await?;
            inst.register().await?;
            let t = Instant::now();
            for _ in 0..n {
                match export.as_str() {
                    "on_filter" => drop(inst.on_filter(&event).await?),
                    _ => inst.on_event(&event).await?,
                }
            }
            let el = t.elapsed();
            eprintln!("{n} typed calls of {export}: {:.2} µs each", el.as_secs_f64() * 1e6 / n.max(1) as f64);
            anyhow::Ok(())
        });
    }
    rt.block_on(async {
        let mut raw = RawInstance::new(&ExtismLoader::new(), req, ctx).await?;
        raw.call("register", b"").await?;
        let first = raw.call(&export, &input).await?;
        let t = Instant::now();
        for _ in 0..n {
            raw.call(&export, &input).await?;
        }
        let el = t.elapsed();
        eprintln!(
            "{n} calls of {export}: {:.2} µs each; output {}",
            el.as_secs_f64() * 1e6 / n.max(1) as f64,
            String::from_utf8_lossy(&first)
        );
        anyhow::Ok(())
    })
}
