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
