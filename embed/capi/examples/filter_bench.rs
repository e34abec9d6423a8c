//! One filter call from Rust, the baseline for the Go benchmark
//! (`go test -bench Filter` in embed/go): the same plugin
//! (examples/rust/profanity-filter), the same message, the same runtime
//! settings. Three figures, each the median (and the best) of the per-call
//! means of 9 rounds, as `go test -count 9 -benchtime Nx` reports them:
//!
//! - `Host::filter`, driven with `block_on` on the calling thread;
//! - `Host::filter` spawned on a worker thread and awaited from the calling
//!   thread (how the C ABI ran plugin calls before they ran on the caller's
//!   thread; kept for comparison);
//! - `ocp_filter` through the C ABI from Rust: the first plus the event
//!   and outcome as JSON and the output buffer, without cgo.
//!
//!     cargo run -p owncast-plugin-capi --example filter_bench [calls per round]

use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::{Host, PluginBundle};
use owncast_plugin_testing::SimulatedOwncast;
use owncastplugin::{ocp_buf_free, ocp_filter, ocp_host_free, ocp_host_new, OcpBuf, OcpHost, OCP_OK};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MESSAGE: &str = r#"{"id":"m1","user":{"id":"kim","displayName":"Kim"},"body":"hello there, how is the stream going","timestamp":"2024-05-01T20:00:00Z"}"#;

const ROUNDS: usize = 9;

/// The CPU time the whole process (every thread) has used so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the struct it is given.
    let ru = unsafe {
        let mut ru = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Per call, over [`ROUNDS`] rounds of `n` calls: the median and the best
/// of the rounds' wall-time means, and the median of their CPU-time means
/// (the process's: on a loaded machine wall time mostly measures waiting
/// for a core, CPU time what the call costs).
struct Figures {
    median: Duration,
    best: Duration,
    cpu: Duration,
}

fn rounds(n: u32, mut f: impl FnMut()) -> Figures {
    for _ in 0..1000 {
        f();
    }
    let (mut wall, mut cpu): (Vec<Duration>, Vec<Duration>) = (0..ROUNDS)
        .map(|_| {
            let (start, cpu0) = (Instant::now(), cpu_time());
            for _ in 0..n {
                f();
            }
            (start.elapsed() / n, (cpu_time() - cpu0) / n)
        })
        .unzip();
    wall.sort();
    cpu.sort();
    Figures { median: wall[ROUNDS / 2], best: wall[0], cpu: cpu[ROUNDS / 2] }
}

fn micros(f: Figures) -> String {
    let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
    format!("{:.2} µs (best {:.2} µs), CPU {:.2} µs", us(f.median), us(f.best), us(f.cpu))
}

fn main() -> anyhow::Result<()> {
    let n: u32 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(10_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rust/profanity-filter");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let host = Arc::new(Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound)).build()?);
    rt.block_on(host.load(PluginBundle::from_dir(&dir)?))
        .map_err(|e| anyhow::anyhow!("{}: {e} (build it with tools/build-rust-guests.sh)", dir.display()))?;
    let event = Event::from_json("chat.message.received", serde_json::from_str(MESSAGE)?)?;

    let direct = rounds(n, || {
        let o = rt.block_on(host.filter(event.clone()));
        assert!(o.dropped.is_none());
    });
    let spawned = rounds(n, || {
        let h = host.clone();
        let e = event.clone();
        let o = rt.block_on(rt.spawn(async move { h.filter(e).await })).unwrap();
        assert!(o.dropped.is_none());
    });

    // The C ABI: a host over a plugins folder holding the same plugin.
    let tmp = std::env::temp_dir().join(format!("owncast-filter-bench-{}", std::process::id()));
    let plugin = tmp.join("plugins/profanity-filter");
    std::fs::create_dir_all(&plugin)?;
    for f in ["plugin.manifest.json", "profanity-filter.wasm"] {
        std::fs::copy(dir.join(f), plugin.join(f))?;
    }
    let config = serde_json::json!({"pluginsDir": tmp.join("plugins"), "dataDir": tmp.join("data"), "enableAll": true})
        .to_string();
    let envelope = format!(r#"{{"eventType":"chat.message.received","payload":{MESSAGE}}}"#);
    let mut h: *mut OcpHost = std::ptr::null_mut();
    let mut err = OcpBuf { ptr: std::ptr::null_mut(), len: 0 };
    // SAFETY: valid pointers for the calls; every buffer is freed.
    let c_abi = unsafe {
        let rc = ocp_host_new(config.as_ptr(), config.len(), std::ptr::null(), &mut h, &mut err);
        ocp_buf_free(err);
        anyhow::ensure!(rc == OCP_OK, "ocp_host_new: {rc}");
        let d = rounds(n, || {
            let mut out = OcpBuf { ptr: std::ptr::null_mut(), len: 0 };
            let rc = ocp_filter(h, envelope.as_ptr(), envelope.len(), 0, std::ptr::null(), &mut out);
            assert_eq!(rc, OCP_OK);
            ocp_buf_free(out);
        });
        ocp_host_free(h);
        d
    };
    let _ = std::fs::remove_dir_all(&tmp);

    println!("one filter call (profanity-filter component, message passes), median of {ROUNDS} rounds of {n}:");
    println!("  Host::filter, block_on on the caller       {}", micros(direct));
    println!("  Host::filter on a worker, caller waits     {}", micros(spawned));
    println!("  ocp_filter (C ABI, JSON in and out)         {}", micros(c_abi));
    Ok(())
}
