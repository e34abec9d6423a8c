//! owncast_* imports are bound with the type the module declares: the
//! signature variants found in modules in the wild work.

mod common;

use common::*;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_testing::SimulatedOwncast;
use std::sync::Arc;

#[tokio::test]
async fn variants_in_the_wild_bind_and_work() {
    let h = owncast_plugin_host::Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
        .runtime(runtime(|_| {}))
        .loader(Arc::new(owncast_compat_extism::ExtismLoader::new()))
        .build()
        .unwrap();
    let code = module(
        r#"(import "extism:host/user" "owncast_add_actions" (func $add (param i64)))
           (import "extism:host/user" "owncast_clear_actions" (func $clear))
           (import "extism:host/user" "owncast_kv_set" (func $kv_set (param i64 i64) (result i64)))
           (import "extism:host/user" "owncast_kv_get" (func $kv_get (param i64) (result i32)))
           (import "extism:host/user" "owncast_fs_exists" (func $exists (param i64) (result i64)))
           (import "extism:host/user" "owncast_chat_history" (func $history (param i64) (result i64)))"#,
        r#"(data (i32.const 1024) "[{\"url\":\"https://e.x/shop\",\"title\":\"Shop\"}]")
           (data (i32.const 1100) "k")
           (data (i32.const 1110) "{\"action\":\"pass\"}")
           (data (i32.const 1200) "missing.txt")
           (func (export "on_filter") (result i32)
             (local $v i32)
             (call $add (call $to_kernel (i32.const 1024) (i32.const 43)))
             (drop (call $kv_set (call $to_kernel (i32.const 1100) (i32.const 1)) (call $to_kernel (i32.const 1110) (i32.const 17))))
             ;; kv_get's offset comes back as an i32: the stored value becomes the output
             (local.set $v (call $kv_get (call $to_kernel (i32.const 1100) (i32.const 1))))
             (call $output_set (i64.extend_i32_u (local.get $v)) (call $length (i64.extend_i32_u (local.get $v))))
             (if (i64.ne (call $exists (call $to_kernel (i32.const 1200) (i32.const 11))) (i64.const 0)) (then unreachable))
             (drop (call $history (i64.const 5)))
             (i32.const 0))
           (func (export "on_event") (result i32) (call $clear) (i32.const 0))"#,
    );
    let m = manifest("variants", &["chat.filter", "ui.modify", "storage.kv", "storage.fs", "chat.history"]);
    load(&h, &m, code).await.unwrap();
    let out = h.filter(chat("hi")).await;
    assert!(out.steps.iter().all(|s| s.result == owncast_plugin_host::dispatcher::StepResult::Pass), "{:?}", out.steps);
    let ctx = h.get("variants").unwrap().context().clone();
    assert_eq!(ctx.runtime_actions().len(), 1);
    h.notify(&owncast_plugin_host::event::Event::from_json("chat.user.joined", serde_json::json!({})).unwrap()).await;
    assert!(ctx.runtime_actions().is_empty(), "cleared by the no-argument variant");
}
