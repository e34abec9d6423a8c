//! A rough timing of a filter call (the benchmark proper is
//! benches/extism-compare). `cargo test -p owncast-compat-extism --test perf -- --ignored --nocapture`

mod common;

use common::*;
use owncast_plugin_host::PluginBundle;
use std::path::PathBuf;
use std::time::Instant;

#[tokio::test]
#[ignore]
async fn filter_call_timing() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/word-filter");
    let b = PluginBundle::from_dir(&dir).unwrap();
    let h = host();
    let manifest: serde_json::Value = serde_json::from_slice(&b.manifest).unwrap();
    let mut inst = instance(&h, &manifest, &b.code, &b.code_file, None).await.unwrap();
    let ev = chat("Oh darn, what the heck is going on in here, gosh");
    for _ in 0..1000 {
        inst.on_filter(&ev).await.unwrap();
    }
    let n = 20000;
    let t = Instant::now();
    for _ in 0..n {
        inst.on_filter(&ev).await.unwrap();
    }
    eprintln!("on_filter: {:.2} µs per call", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let t = Instant::now();
    for _ in 0..200 {
        let _ = instance(&h, &manifest, &b.code, &b.code_file, None).await.unwrap();
    }
    eprintln!("load+instantiate: {:.2} µs", t.elapsed().as_secs_f64() * 1e6 / 200.0);
}

#[tokio::test]
#[ignore]
async fn fixed_overhead_timing() {
    let h = host();
    let m = manifest("nop", &["chat.filter"]);
    let code = module("", r#"(func (export "on_filter") (result i32) (i32.const 0))"#);
    let mut inst = instance(&h, &m, &code, "p.wasm", None).await.unwrap();
    let ev = chat("Oh darn, what the heck is going on in here, gosh");
    let n = 20000;
    let t = Instant::now();
    for _ in 0..n {
        inst.on_filter(&ev).await.unwrap();
    }
    eprintln!("empty on_filter: {:.2} µs per call", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let t = Instant::now();
    for _ in 0..n {
        let v = serde_json::to_vec(&ev.to_envelope()).unwrap();
        std::hint::black_box(v);
    }
    eprintln!("envelope JSON: {:.2} µs", t.elapsed().as_secs_f64() * 1e6 / n as f64);
}

/// The SDK-built profanity-filter (`examples/js`, the JS engine
/// pre-initialized with the plugin) called on its instance, as the host's
/// dispatcher calls it, beside an empty export on the same host:
/// `cargo test --release -p owncast-compat-extism --test perf js_filter -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn js_filter_call_timing() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/js/profanity-filter");
    let b = PluginBundle::from_dir(&dir).unwrap_or_else(|e| panic!("{e}: build it with tools/build-js-examples.sh"));
    let h = host();
    let manifest: serde_json::Value = serde_json::from_slice(&b.manifest).unwrap();
    let mut inst = instance(&h, &manifest, &b.code, &b.code_file, None).await.unwrap();
    let empty = module("", r#"(func (export "on_filter") (result i32) (i32.const 0))"#);
    let mut nop = instance(&h, &common::manifest("nop", &["chat.filter"]), &empty, "p.wasm", None).await.unwrap();
    let (pass, modify) =
        (chat("hello there, how is everyone doing today?"), chat("what the hell, that was a damn good play"));
    assert!(matches!(inst.on_filter(&modify).await.unwrap(), owncast_plugin_host::event::Verdict::Modify(_)));
    let time = |label: &str, mut samples: Vec<f64>| {
        samples.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
        eprintln!("{label}: p50 {:.2} µs, p90 {:.2} µs (n={})", at(0.5), at(0.9), samples.len());
        at(0.5)
    };
    for _ in 0..500 {
        inst.on_filter(&modify).await.unwrap();
    }
    let n = 5000;
    let mut results = Vec::new();
    for (label, ev) in [("pass", &pass), ("modify", &modify)] {
        let mut s = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            inst.on_filter(ev).await.unwrap();
            s.push(t.elapsed().as_secs_f64() * 1e6);
        }
        results.push(time(&format!("js on_filter ({label})"), s));
    }
    let mut s = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        nop.on_filter(&modify).await.unwrap();
        s.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let e = time("empty on_filter", s);
    eprintln!("ratio js modify / empty export: {:.1}", results[1] / e);
}
