//! One filter call from Rust (`Host::filter`), the baseline for the Go
//! benchmark (`go test -bench Filter` in embed/go): the same plugin
//! (examples/rust/profanity-filter), the same message, the same runtime
//! settings, and the call driven the way the C ABI drives it (`block_on` on
//! the calling thread of a multi-threaded tokio runtime).
//!
//!     cargo run -p owncast-plugin-capi --example filter_bench [iterations]

use owncast_plugin_host::types::Event;
use owncast_plugin_host::{Host, PluginBundle};
use std::path::Path;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let n: u32 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rust/profanity-filter");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let host = Host::builder().build()?;
    rt.block_on(host.load(PluginBundle::from_dir(&dir)?))
        .map_err(|e| anyhow::anyhow!("{}: {e} (build it with tools/build-rust-guests.sh)", dir.display()))?;
    let event = Event::from_json(
        "chat.message.received",
        serde_json::json!({
            "id": "m1",
            "user": {"id": "kim", "displayName": "Kim"},
            "body": "hello there, how is the stream going",
            "timestamp": "2024-05-01T20:00:00Z"
        }),
    )?;
    for _ in 0..1000 {
        rt.block_on(host.filter(event.clone()));
    }
    let start = Instant::now();
    for _ in 0..n {
        let o = rt.block_on(host.filter(event.clone()));
        assert!(o.dropped.is_none());
    }
    let per = start.elapsed() / n;
    println!("Host::filter from Rust: {n} calls, {:.2} µs per call", per.as_nanos() as f64 / 1000.0);
    Ok(())
}
