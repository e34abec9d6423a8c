//! Helpers for the compat-extism integration tests: hand-written Extism
//! modules in WAT, a host with the Extism loader, direct instances.

#![allow(dead_code)]

use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::PluginAssets;
use owncast_plugin_host::{
    CallError, Host, LoadError, LoadedPlugin, Manifest, Permissions, PluginBundle, PluginContext, PluginInstance,
    PluginLoader, Runtime, RuntimeConfig,
};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::{json, Value};
use std::sync::Arc;

/// A module with the usual kernel imports, helpers and `extra` imports/body.
///
/// Helpers: `$to_kernel(ptr, len) -> offset` copies linear memory into a new
/// kernel block; `$out(ptr, len)` makes it the output; `$fail(ptr, len)`
/// sets it as the error; `$calls` counts calls of `$tick`.
pub fn module(extra_imports: &str, body: &str) -> Vec<u8> {
    let src = format!(
        r#"(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  {extra_imports}
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func $tick (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (global.get $calls))
  (func $to_kernel (param $ptr i32) (param $len i32) (result i64)
    (local $off i64) (local $i i32)
    (local.set $off (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))
                      (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $off))
  (func $out (param $ptr i32) (param $len i32)
    (call $output_set (call $to_kernel (local.get $ptr) (local.get $len)) (i64.extend_i32_u (local.get $len))))
  (func $fail (param $ptr i32) (param $len i32)
    (call $error_set (call $to_kernel (local.get $ptr) (local.get $len))))
  {body}
)"#
    );
    wat::parse_str(&src).unwrap_or_else(|e| panic!("bad test module: {e}\n{src}"))
}

/// `(data (i32.const at) "text")` plus `(call $out (i32.const at) (i32.const len))`.
pub fn out_text(at: u32, text: &str) -> (String, String) {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    (
        format!(r#"(data (i32.const {at}) "{escaped}")"#),
        format!("(call $out (i32.const {at}) (i32.const {}))", text.len()),
    )
}

/// A filter module whose `on_filter` outputs `text`.
pub fn filter_outputting(text: &str) -> Vec<u8> {
    let (data, call) = out_text(1024, text);
    module("", &format!(r#"{data} (func (export "on_filter") (result i32) {call} (i32.const 0))"#))
}

pub fn manifest(slug: &str, permissions: &[&str]) -> Value {
    json!({
        "name": slug, "slug": slug, "version": "1.0.0", "permissions": permissions,
        "subscriptions": {"filter": [{"event": "chat.message.received"}], "notify": [{"event": "chat.user.joined"}]}
    })
}

pub fn bundle(manifest: &Value, code: Vec<u8>, file: &str) -> PluginBundle {
    PluginBundle {
        manifest: serde_json::to_vec(manifest).unwrap(),
        manifest_file: "plugin.manifest.json".into(),
        code,
        code_file: file.into(),
        assets: PluginAssets::default(),
        approved: None,
    }
}

pub fn runtime(tweak: impl FnOnce(&mut RuntimeConfig)) -> Arc<Runtime> {
    let mut c = RuntimeConfig { max_instances: 20, ..Default::default() };
    tweak(&mut c);
    Runtime::new(c).unwrap()
}

fn build(owncast: Arc<SimulatedOwncast>, runtime: Arc<Runtime>, loader: ExtismLoader) -> Host {
    Host::builder(owncast, Arc::new(NetworkOutbound)).runtime(runtime).loader(Arc::new(loader)).build().unwrap()
}

pub fn host_with(runtime: Arc<Runtime>, loader: ExtismLoader) -> Host {
    build(Arc::new(SimulatedOwncast::demo()), runtime, loader)
}

/// A host whose Owncast is `owncast` (kept by the test to read its effects),
/// with the default test runtime and a plain Extism loader.
pub fn host_on(owncast: Arc<SimulatedOwncast>) -> Host {
    build(owncast, runtime(|_| {}), ExtismLoader::new())
}

pub fn host() -> Host {
    host_with(runtime(|_| {}), ExtismLoader::new())
}

pub async fn load(host: &Host, manifest: &Value, code: Vec<u8>) -> Result<Arc<LoadedPlugin>, LoadError> {
    host.load(bundle(manifest, code, "plugin.wasm")).await
}

pub async fn load_err(host: &Host, manifest: &Value, code: Vec<u8>) -> LoadError {
    match load(host, manifest, code).await {
        Ok(_) => panic!("expected the load to fail"),
        Err(e) => e,
    }
}

/// Compiles and instantiates without a host in between, to see `CallError`s as they are.
pub async fn instance(
    host: &Host,
    manifest: &Value,
    code: &[u8],
    file: &str,
    approved: Option<Permissions>,
) -> Result<Box<dyn PluginInstance>, LoadError> {
    let m = Arc::new(Manifest::parse(&serde_json::to_vec(manifest).unwrap(), "plugin.manifest.json")?);
    let grants = approved.unwrap_or_else(|| m.permissions.clone());
    let loader = ExtismLoader::new();
    let code =
        loader.load(LoadRequest { runtime: host.runtime(), bytes: code, file, manifest: &m, grants: &grants })?;
    let ctx = PluginContext::new(m.clone(), grants, host.services().clone());
    code.instantiate(ctx, None).await.map_err(|error| LoadError::Register { slug: m.slug.clone(), error })
}

/// Whether tests may skip when a guest is not built: only when asked
/// explicitly with `OWNCAST_SKIP_MISSING_GUESTS=1`.
pub fn may_skip_missing_guests() -> bool {
    std::env::var("OWNCAST_SKIP_MISSING_GUESTS").is_ok_and(|v| v == "1")
}

/// A `chat.message.received` payload from alice saying `body`.
pub fn chat_json(body: &str) -> Value {
    json!({"id": "m1", "user": {"id": "u1", "displayName": "alice"}, "body": body})
}

pub fn chat(body: &str) -> Event {
    Event::from_json("chat.message.received", chat_json(body)).unwrap()
}

pub fn expect_err<T>(r: Result<T, CallError>) -> CallError {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}
