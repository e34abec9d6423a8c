//! Bad input from legacy modules: each case ends in a clear error, a
//! recycled instance where its state can't be trusted, and no effect on
//! other plugins.

mod common;

use common::*;
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::event::Verdict;
use owncast_plugin_host::{CallError, LoadError, Permission, Permissions};
use owncast_plugin_testing::SimulatedOwncast;
use std::sync::Arc;

#[tokio::test]
async fn unknown_import_is_refused_at_load_naming_module_and_function() {
    let h = host();
    let code = module(
        r#"(import "env" "mystery" (func $m (param i64)))"#,
        r#"(func (export "on_filter") (result i32) (i32.const 0))"#,
    );
    let err = load_err(&h, &manifest("odd", &["chat.filter"]), code).await;
    assert!(matches!(&err, LoadError::UnknownImport { import, .. } if import == "env::mystery"), "{err}");
    assert!(err.to_string().contains("env::mystery"), "{err}");

    // A name in Extism's user namespace that is not an owncast function, and an unknown kernel function.
    for (m, n) in [("extism:host/user", "owncast_self_destruct"), ("extism:host/env", "teleport")] {
        let code = module(
            &format!(r#"(import "{m}" "{n}" (func))"#),
            r#"(func (export "on_filter") (result i32) (i32.const 0))"#,
        );
        let err = load_err(&h, &manifest("odd", &["chat.filter"]), code).await;
        assert!(matches!(&err, LoadError::UnknownImport { import, .. } if *import == format!("{m}::{n}")), "{err}");
    }
}

#[tokio::test]
async fn ungranted_import_is_refused_naming_function_and_permission() {
    let h = host();
    let code = module(
        r#"(import "extism:host/user" "owncast_send_chat" (func $send (param i64)))"#,
        r#"(func (export "on_filter") (result i32) (i32.const 0))"#,
    );
    // Not declared in the manifest.
    let err = load_err(&h, &manifest("chatty", &["chat.filter"]), code.clone()).await;
    match &err {
        LoadError::Ungranted { import, permission, granted_by_manifest, .. } => {
            assert_eq!(import, "owncast_send_chat");
            assert_eq!(*permission, Permission::ChatSend);
            assert!(!granted_by_manifest);
        }
        other => panic!("expected Ungranted, got {other}"),
    }
    let text = err.to_string();
    assert!(text.contains("owncast_send_chat") && text.contains("chat.send"), "{text}");

    // Declared but not approved by the admin.
    let mut b = bundle(&manifest("chatty", &["chat.filter", "chat.send"]), code.clone(), "plugin.wasm");
    b.approved = Some(Permissions::new([Permission::ChatFilter]));
    let err = match h.load(b).await {
        Ok(_) => panic!("loaded"),
        Err(e) => e,
    };
    assert!(matches!(err, LoadError::Ungranted { granted_by_manifest: true, .. }), "{err}");

    // Granted: loads.
    load(&h, &manifest("chatty", &["chat.filter", "chat.send"]), code).await.unwrap();
}

#[tokio::test]
async fn invalid_json_output_is_a_bad_output_error() {
    let h = host();
    let mut inst =
        instance(&h, &manifest("garbled", &["chat.filter"]), &filter_outputting("{not json"), "p.wasm", None)
            .await
            .unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(matches!(&err, CallError::BadOutput(m) if m.contains("not JSON")), "{err}");
    // Valid JSON that is not a filter result.
    let mut inst = instance(
        &h,
        &manifest("garbled", &["chat.filter"]),
        &filter_outputting(r#"{"action":"explode"}"#),
        "p.wasm",
        None,
    )
    .await
    .unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(matches!(&err, CallError::BadOutput(m) if m.contains("explode")), "{err}");
    // Through the dispatcher the chain fails open.
    load(&h, &manifest("garbled", &["chat.filter"]), filter_outputting("[1,2")).await.unwrap();
    let outcome = h.filter(chat("hi")).await;
    assert!(outcome.dropped.is_none());
    assert!(
        matches!(&outcome.steps[0].result, StepResult::Failed(m) if m.contains("invalid output")),
        "{:?}",
        outcome.steps
    );
}

#[tokio::test]
async fn oversized_output_is_refused() {
    let rt = runtime(|c| c.limits.output_bytes = 64);
    let h = host_with(rt, owncast_compat_extism::ExtismLoader::new());
    let big = format!(r#"{{"action":"drop","reason":"{}"}}"#, "x".repeat(100));
    let mut inst =
        instance(&h, &manifest("chatter", &["chat.filter"]), &filter_outputting(&big), "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(matches!(&err, CallError::BadOutput(m) if m.contains("the limit is 64")), "{err}");
    // Small outputs still pass.
    let mut ok =
        instance(&h, &manifest("small", &["chat.filter"]), &filter_outputting(r#"{"action":"pass"}"#), "p.wasm", None)
            .await
            .unwrap();
    assert_eq!(ok.on_filter(&chat("hi")).await.unwrap(), Verdict::Pass);
}

/// `on_filter` counts its calls in a global; the second call traps.
fn trap_on_second_call() -> Vec<u8> {
    module(
        "",
        r#"
        (data (i32.const 1024) "{\"action\":\"drop\",\"reason\":\"call 1\"}")
        (func (export "on_filter") (result i32)
          (local $n i32)
          (local.set $n (call $tick))
          (if (i32.eq (local.get $n) (i32.const 2)) (then unreachable))
          ;; patch the digit with the call count
          (i32.store8 (i32.const 1056) (i32.add (i32.const 48) (local.get $n)))
          (call $out (i32.const 1024) (i32.const 35))
          (i32.const 0))"#,
    )
}

#[tokio::test]
async fn a_trap_mid_call_recycles_the_instance_and_the_next_call_works() {
    let h = host();
    load(&h, &manifest("flaky", &["chat.filter"]), trap_on_second_call()).await.unwrap();
    let first = h.filter(chat("a")).await;
    assert_eq!(first.dropped.as_ref().map(|d| d.1.as_str()), Some("call 1"));
    let second = h.filter(chat("b")).await;
    assert!(
        matches!(&second.steps[0].result, StepResult::Failed(m) if m.contains("trapped") && m.contains("unreachable")),
        "{:?}",
        second.steps
    );
    // A fresh instance: its call counter starts again.
    let third = h.filter(chat("c")).await;
    assert_eq!(third.dropped.as_ref().map(|d| d.1.as_str()), Some("call 1"), "{:?}", third.steps);
    let health = h.get("flaky").unwrap().health();
    assert_eq!(health.strikes, 0);
    assert_eq!(health.failures, 1);
}

#[tokio::test]
async fn allocation_past_the_memory_cap_is_an_error_and_other_plugins_run_on() {
    let rt = runtime(|c| c.limits.memory_bytes = 4 << 20);
    let h = host_with(rt, owncast_compat_extism::ExtismLoader::new());
    // alloc 1 MiB blocks until the cap says no.
    let hog = module(
        "",
        r#"(func (export "on_filter") (result i32)
             (loop $l (drop (call $alloc (i64.const 1048576))) (br $l))
             (i32.const 0))"#,
    );
    let mut inst = instance(&h, &manifest("hog", &["chat.filter"]), &hog, "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(matches!(&err, CallError::Trap(m) if m.contains("memory cap of 4194304 bytes")), "{err}");
    // One huge allocation.
    let huge = module(
        "",
        r#"(func (export "on_filter") (result i32) (drop (call $alloc (i64.const 1099511627776))) (i32.const 0))"#,
    );
    let mut inst = instance(&h, &manifest("huge", &["chat.filter"]), &huge, "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(err.to_string().contains("alloc(1099511627776)"), "{err}");

    // In a chain: the hog fails open, the other filter still drops.
    load(&h, &manifest("hog", &["chat.filter"]), hog).await.unwrap();
    load(&h, &manifest("zz-dropper", &["chat.filter"]), filter_outputting(r#"{"action":"drop","reason":"no"}"#))
        .await
        .unwrap();
    let outcome = h.filter(chat("hi")).await;
    assert!(
        matches!(&outcome.steps[0].result, StepResult::Failed(m) if m.contains("memory cap")),
        "{:?}",
        outcome.steps
    );
    assert_eq!(outcome.dropped, Some(("zz-dropper".to_string(), "no".to_string())));
    // The hog's next call gets a fresh instance and fails the same way, no worse.
    let again = h.filter(chat("hi")).await;
    assert!(matches!(&again.steps[0].result, StepResult::Failed(m) if m.contains("memory cap")));
}

#[tokio::test]
async fn linear_memory_growth_counts_against_the_same_cap() {
    let rt = runtime(|c| c.limits.memory_bytes = 2 << 20);
    let h = host_with(rt, owncast_compat_extism::ExtismLoader::new());
    // 1 MiB of kernel memory, then memory.grow by 16 pages (1 MiB) must fail (-1).
    let code = module(
        "",
        r#"(data (i32.const 1024) "{\"action\":\"drop\",\"reason\":\"grew\"}")
           (data (i32.const 1100) "{\"action\":\"drop\",\"reason\":\"refused\"}")
           (func (export "on_filter") (result i32)
             (drop (call $alloc (i64.const 1048576)))
             (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1))
               (then (call $out (i32.const 1100) (i32.const 36)))
               (else (call $out (i32.const 1024) (i32.const 33))))
             (i32.const 0))"#,
    );
    let mut inst = instance(&h, &manifest("grower", &["chat.filter"]), &code, "p.wasm", None).await.unwrap();
    assert_eq!(inst.on_filter(&chat("hi")).await.unwrap(), Verdict::Drop("refused".into()));
}

#[tokio::test]
async fn kernel_offset_out_of_range_is_an_error() {
    let h = host();
    for (what, body) in [
        ("load_u64", "(drop (call $load_u64 (i64.const 1099511627776)))"),
        ("load_u8", "(drop (call $load_u8 (i64.const 3)))"),
        ("store_u8", "(call $store_u8 (i64.const -8) (i32.const 1))"),
        ("output_set", "(call $output_set (i64.const 8) (i64.const 4096))"),
        ("input_load_u8", "(drop (call $input_load_u8 (i64.const 100000)))"),
        ("error_set", "(call $error_set (i64.const 77))"),
    ] {
        let code = module("", &format!(r#"(func (export "on_filter") (result i32) {body} (i32.const 0))"#));
        let mut inst = instance(&h, &manifest("pointer", &["chat.filter"]), &code, "p.wasm", None).await.unwrap();
        let err = expect_err(inst.on_filter(&chat("hi")).await);
        assert!(matches!(&err, CallError::Trap(m) if m.contains(what)), "{what}: {err}");
        assert!(err.poisons_instance());
    }
}

#[tokio::test]
async fn an_owncast_argument_that_is_not_a_block_is_an_error() {
    let h = host();
    let code = module(
        r#"(import "extism:host/user" "owncast_send_chat" (func $send (param i64)))"#,
        r#"(func (export "on_filter") (result i32) (call $send (i64.const 12345)) (i32.const 0))"#,
    );
    let mut inst =
        instance(&h, &manifest("sender", &["chat.filter", "chat.send"]), &code, "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(
        err.to_string().contains("owncast_send_chat: argument 1")
            && err.to_string().contains("not the start of an allocated block"),
        "{err}"
    );
}

#[tokio::test]
async fn error_set_surfaces_as_a_guest_error_with_the_plugin_message() {
    let h = host();
    let code = module(
        "",
        r#"(data (i32.const 1024) "bad word list is missing")
           (func (export "on_filter") (result i32)
             (call $fail (i32.const 1024) (i32.const 24))
             (i32.const 1))"#,
    );
    let mut inst = instance(&h, &manifest("failing", &["chat.filter"]), &code, "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(matches!(&err, CallError::Guest(m) if m == "bad word list is missing"), "{err:?}");
    // A non-zero status without a message is still a guest error.
    let code = module("", r#"(func (export "on_filter") (result i32) (i32.const 7))"#);
    let mut inst = instance(&h, &manifest("failing", &["chat.filter"]), &code, "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(matches!(&err, CallError::Guest(m) if m.contains("status 7")), "{err:?}");
}

#[tokio::test]
async fn a_runaway_call_times_out() {
    let h = host();
    let code = module("", r#"(func (export "on_filter") (result i32) (loop $l (br $l)) (i32.const 0))"#);
    let mut inst = instance(&h, &manifest("spinner", &["chat.filter"]), &code, "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("hi")).await);
    assert!(matches!(err, CallError::Timeout(_)), "{err}");
}

#[tokio::test]
async fn missing_exports_and_wrong_export_types() {
    let h = host();
    let code = module("", r#"(func (export "on_filter") (result i32) (i32.const 0))"#);
    let mut inst = instance(&h, &manifest("filter-only", &["chat.filter"]), &code, "p.wasm", None).await.unwrap();
    let err = expect_err(inst.on_event(&chat("hi")).await);
    assert!(matches!(err, CallError::MissingExport("on_event")));
    assert!(!err.poisons_instance());
    // No register export: the manifest describes the plugin.
    let reg = inst.register().await.unwrap();
    assert_eq!(reg.slug, "filter-only");

    let bad = module("", r#"(func (export "on_filter") (param i32) (result i32) (i32.const 0))"#);
    let err = load_err(&h, &manifest("bad-export", &["chat.filter"]), bad).await;
    assert!(err.to_string().contains("export `on_filter` has type (i32) -> i32"), "{err}");

    let none = module("", r#"(func (export "hello") (result i32) (i32.const 0))"#);
    let err = load_err(&h, &manifest("nothing", &["chat.filter"]), none).await;
    assert!(err.to_string().contains("exports none of"), "{err}");
}

#[tokio::test]
async fn an_import_with_an_unsupported_type_is_refused() {
    let h = host();
    let code = module(
        r#"(import "extism:host/user" "owncast_send_chat" (func $send (param f64)))"#,
        r#"(func (export "on_filter") (result i32) (i32.const 0))"#,
    );
    let err = load_err(&h, &manifest("typed", &["chat.filter", "chat.send"]), code).await;
    assert!(
        err.to_string().contains("owncast_send_chat` with type (f64)") && err.to_string().contains("(i64)"),
        "{err}"
    );
    // A kernel function with the wrong type.
    let code = module(
        r#"(import "extism:host/env" "length_unsafe" (func (param i32) (result i32)))"#,
        r#"(func (export "on_filter") (result i32) (i32.const 0))"#,
    );
    let err = load_err(&h, &manifest("typed", &["chat.filter"]), code).await;
    assert!(err.to_string().contains("length_unsafe"), "{err}");
}

/// An outbound request that takes longer than the call's deadline ends the
/// call as a timeout (the dispatcher's deadline of the whole call) instead of
/// holding the filter chain.
#[tokio::test]
async fn a_slow_http_request_is_cut_at_the_call_deadline() {
    use owncast_plugin_host::capabilities::http_outbound::{Outbound, OutboundRequest, OutboundResponse};
    struct Slow;
    #[async_trait::async_trait]
    impl Outbound for Slow {
        async fn send(&self, _slug: &str, _req: OutboundRequest) -> Result<OutboundResponse, String> {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            Ok(OutboundResponse { status: 200, headers: vec![], body: vec![] })
        }
    }
    let h = owncast_plugin_host::Host::builder(Arc::new(SimulatedOwncast::demo()), std::sync::Arc::new(Slow))
        .runtime(runtime(|_| {}))
        .loader(std::sync::Arc::new(owncast_compat_extism::ExtismLoader::new()))
        .build()
        .unwrap();
    let code = module(
        r#"(import "extism:host/env" "http_request" (func $http (param i64 i64) (result i64)))"#,
        r#"(data (i32.const 1024) "{\"url\":\"https://api.example.com/slow\"}")
           (func (export "on_filter") (result i32)
             (drop (call $http (call $to_kernel (i32.const 1024) (i32.const 38)) (i64.const 0)))
             (i32.const 0))"#,
    );
    let mut m = manifest("waiter", &["chat.filter", "network.fetch"]);
    m["network"] = serde_json::json!({"allowedHosts": ["api.example.com"]});
    load(&h, &m, code).await.unwrap();
    let start = std::time::Instant::now();
    let out = h.filter(chat("hi")).await;
    let took = start.elapsed();
    let owncast_plugin_host::dispatcher::StepResult::Failed(err) = &out.steps[0].result else {
        panic!("{:?}", out.steps)
    };
    assert!(err.contains("timed out after 50ms"), "{err}");
    assert!(took < std::time::Duration::from_secs(1), "the chain moved on at the deadline ({took:?})");
    assert_eq!(h.get("waiter").unwrap().health().strikes, 1);
}
