//! Memory per loaded plugin under the official Extism host, measured the way
//! `owncast-plugin bench --memory-only` measures the shim, in a process of
//! its own: N copies of one plugin (each its own bytes, a custom section
//! naming the copy, so nothing is shared that N different plugins would not
//! share) loaded with `extism::Plugin::new` and `register` called (what the
//! host's load does), then one chat message through each copy's
//! `on_filter`. The growth of this process's resident set
//! (`/proc/self/smaps_rollup`) over the start, divided by N, is the figure.
//!
//!     extism-memory [--plugins N] [--json] [PLUGIN_DIR]
//!
//! PLUGIN_DIR is relative to `$OWNCAST_BUILT` (default: this repository),
//! default `examples/js/profanity-filter`.

use extism::UserData;
use extism_compare::{bundle, chat, extism_plugin, manifest, Stubs};
use owncast_plugin_host::event::Verdict;
use owncast_plugin_host::metrics::ProcessMemory;
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::Instant;

/// The message `owncast-plugin bench` filters by default.
const DIRTY: &str = "what the hell, that was a damn good play";

fn mib(b: f64) -> f64 {
    b / (1 << 20) as f64
}

fn main() -> ExitCode {
    let (mut n, mut json_out, mut dir) = (50usize, false, "examples/js/profanity-filter".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--plugins" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) if v > 0 => n = v,
                _ => {
                    eprintln!("--plugins needs a positive number");
                    return ExitCode::FAILURE;
                }
            },
            "--json" => json_out = true,
            other if !other.starts_with('-') => dir = other.to_string(),
            other => {
                eprintln!("unknown option {other}; usage: extism-memory [--plugins N] [--json] [PLUGIN_DIR]");
                return ExitCode::FAILURE;
            }
        }
    }
    let bundle = bundle(&dir);
    let event = chat(DIRTY);
    let input = event.envelope_bytes();

    let base = ProcessMemory::now().expect("/proc/self/smaps_rollup (Linux only)");
    let t = Instant::now();
    let mut plugins = Vec::with_capacity(n);
    for k in 0..n {
        let code = owncast_compat_extism::snapshot::with_custom_section(
            &bundle.code,
            "owncast-bench-copy",
            k.to_string().as_bytes(),
        );
        let mut m = manifest(&bundle);
        m.slug = format!("bench-copy-{k}");
        let mut plugin = extism_plugin(&code, &m, &UserData::new(Stubs::default()));
        if plugin.function_exists("register") {
            plugin.call::<&[u8], &[u8]>("register", b"").unwrap_or_else(|e| panic!("copy {k}: register: {e:#}"));
        }
        plugins.push(plugin);
    }
    let load = t.elapsed();
    let loaded = ProcessMemory::now().expect("/proc/self/smaps_rollup (Linux only)");
    let t = Instant::now();
    for (k, plugin) in plugins.iter_mut().enumerate() {
        let out = plugin.call::<&[u8], &[u8]>("on_filter", &input).unwrap_or_else(|e| panic!("copy {k}: {e:#}"));
        let v: Value = serde_json::from_slice(out).unwrap_or_else(|e| panic!("copy {k}: output is not JSON: {e}"));
        let verdict = Verdict::from_json(&v, &event).unwrap_or_else(|e| panic!("copy {k}: {e}"));
        assert!(matches!(verdict, Verdict::Modify(_)), "copy {k}: expected a modify, got {verdict:?}");
    }
    let call = t.elapsed();
    let called = ProcessMemory::now().expect("/proc/self/smaps_rollup (Linux only)");

    let report = json!({
        "host": format!("extism {}", extism::extism_version().trim_end_matches('\0')),
        "plugins": n,
        "code_bytes": bundle.code.len(),
        "load_ms_each": load.as_secs_f64() * 1e3 / n as f64,
        "first_calls_ms": call.as_secs_f64() * 1e3,
        "loaded": loaded.per_plugin_since(base, n),
        "loaded_and_called": called.per_plugin_since(base, n),
        "process_rss_mib": mib(called.rss as f64),
    });
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        eprintln!(
            "== extism: {n} copies of {dir}, load {:.1} ms each, one on_filter call each {:.1} ms in all",
            load.as_secs_f64() * 1e3 / n as f64,
            call.as_secs_f64() * 1e3
        );
        for (what, r) in [("loaded", loaded), ("loaded + called once", called)] {
            let v = r.per_plugin_since(base, n);
            eprintln!(
                "{what}: per plugin RSS {:.2} MiB (PSS {:.2}, anonymous {:.2}); process RSS {:.1} MiB",
                v.rss_mib,
                v.pss_mib,
                v.anonymous_mib,
                mib(r.rss as f64)
            );
        }
    }
    ExitCode::SUCCESS
}
