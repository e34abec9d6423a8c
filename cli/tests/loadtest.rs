//! `owncast-plugin loadtest` for a few seconds, so it keeps working: the
//! real binary, the built example and hostile plugins, its JSON report.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;

#[test]
fn a_short_loadtest_reports_every_figure_while_hostile_plugins_misbehave() {
    let needed = [
        "examples/js/profanity-filter/profanity-filter.wasm",
        "examples/js/slow-mode/slow-mode.wasm",
        "examples/js/chat-logger/chat-logger.wasm",
        "examples/js/message-counter/message-counter.wasm",
        "examples/js/overlay/overlay.wasm",
        "examples/js/safeguard-stress/safeguard-stress.wasm",
        "host/tests/guests/hostile/hostile.wasm",
        "compat-extism/fixtures/hostile-legacy/hostile-legacy.wasm",
    ];
    if !needed.iter().all(|p| built(&repo().join(p))) {
        return;
    }
    let o = Command::new(env!("CARGO_BIN_EXE_owncast-plugin"))
        .args(["loadtest", "--seconds", "3", "--rate", "100", "--concurrency", "4", "--hostile-rate", "10"])
        .args(["--http-rate", "20", "--viewers", "3", "--slow-viewers", "1", "--sse-rate", "20", "--json"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    assert!(r["messages"].as_u64().unwrap() > 0, "{r}");
    assert!(r["messages_per_s"].as_f64().unwrap() > 0.0);
    assert!(r["chain"]["n"].as_u64().unwrap() > 0 && r["chain"]["p99_us"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["chat_sent_by_plugins"].as_u64().unwrap() > 0, "message-counter answers: {r}");
    assert!(r["hostile_commands"].as_u64().unwrap() > 0, "{r}");
    assert!(r["http"]["n"].as_u64().unwrap() > 0, "{r}");
    assert!(r["sse_viewers"].as_u64().unwrap() == 4, "{r}");
    assert!(r["sse_frames_received"].as_u64().unwrap() > 0, "{r}");
    assert!(!r["rss"].as_array().unwrap().is_empty(), "{r}");
    let plugins = r["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 8, "{r}");
    for p in plugins {
        assert_eq!(p["enabled"], true, "{p}");
        assert!(p["calls"].as_u64().unwrap() > 0, "{p}");
    }
    // The hostile plugins did misbehave, and were cut.
    let hurt: u64 = plugins
        .iter()
        .filter(|p| p["hostile"] == true)
        .map(|p| p["timeouts"].as_u64().unwrap() + p["errors"].as_u64().unwrap())
        .sum();
    assert!(hurt > 0, "{r}");
    assert!(r["failed_steps_hostile"].as_u64().unwrap() > 0, "{r}");
}
