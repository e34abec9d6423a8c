//! Owncast's bulk kernel copies (`env::BULK_FUNCTIONS`): the JS engine's
//! input, output and host-call strings move in one call each. A module
//! copies its input into its memory, into a kernel block and back, and
//! outputs the result; copies outside either memory trap naming the call.

mod common;

use common::*;
use owncast_compat_extism::{ExtismLoader, RawInstance};
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::{LoadError, Manifest, PluginContext};
use std::sync::Arc;

const BULK_IMPORTS: &str = r#"
  (import "extism:host/user" "owncast_kernel_load" (func $kload (param i64 i64 i64) (result i64)))
  (import "extism:host/user" "owncast_kernel_store" (func $kstore (param i64 i64 i64) (result i64)))
  (import "extism:host/user" "owncast_input_load" (func $iload (param i64 i64) (result i64)))"#;

/// `on_filter`: input -> memory at 2048 -> kernel block -> memory at 8192 ->
/// output (each bulk result must be the length, else it fails). `on_event`:
/// the copy its input names, `[kind, offset, ptr, len]` as 4 little-endian
/// i64 (kind 0 load, 1 store, 2 input).
fn bulk_module() -> Vec<u8> {
    module(
        BULK_IMPORTS,
        r#"
  (func $check (param $got i64) (param $want i64)
    (if (i64.ne (local.get $got) (local.get $want)) (then unreachable)))
  (func (export "on_filter") (result i32)
    (local $len i64) (local $off i64)
    (local.set $len (call $input_length))
    (call $check (call $iload (i64.const 2048) (local.get $len)) (local.get $len))
    (local.set $off (call $alloc (local.get $len)))
    (call $check (call $kstore (local.get $off) (i64.const 2048) (local.get $len)) (local.get $len))
    (call $check (call $kload (local.get $off) (i64.const 8192) (local.get $len)) (local.get $len))
    (call $out (i32.const 8192) (i32.wrap_i64 (local.get $len)))
    (i32.const 0))
  (func (export "on_event") (result i32)
    (local $i i32) (local $kind i64) (local $off i64) (local $ptr i64) (local $len i64)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.const 32)))
      (i32.store8 (i32.add (i32.const 512) (local.get $i)) (call $input_load_u8 (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $kind (i64.load (i32.const 512)))
    (local.set $off (i64.load (i32.const 520)))
    (local.set $ptr (i64.load (i32.const 528)))
    (local.set $len (i64.load (i32.const 536)))
    (if (i64.eq (local.get $kind) (i64.const 0))
      (then (drop (call $kload (local.get $off) (local.get $ptr) (local.get $len)))))
    (if (i64.eq (local.get $kind) (i64.const 1))
      (then (drop (call $kstore (local.get $off) (local.get $ptr) (local.get $len)))))
    (if (i64.eq (local.get $kind) (i64.const 2))
      (then (drop (call $iload (local.get $ptr) (local.get $len)))))
    (i32.const 0))"#,
    )
}

async fn raw(code: &[u8]) -> RawInstance {
    let h = host();
    let m =
        Arc::new(Manifest::parse(&serde_json::to_vec(&manifest("bulk", &["chat.filter"])).unwrap(), "m.json").unwrap());
    let req =
        LoadRequest { runtime: h.runtime(), bytes: code, file: "bulk.wasm", manifest: &m, grants: &m.permissions };
    let ctx = PluginContext::new(m.clone(), m.permissions.clone(), h.services().clone());
    RawInstance::new(&ExtismLoader::new(), req, ctx).await.expect("loads")
}

fn copy_request(kind: i64, off: i64, ptr: i64, len: i64) -> Vec<u8> {
    [kind, off, ptr, len].iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[tokio::test]
async fn input_goes_through_memory_and_a_kernel_block_and_back_unchanged() {
    let mut inst = raw(&bulk_module()).await;
    for input in [b"x".to_vec(), "h\u{e9}llo, bulk copies \u{1F600}".repeat(40).into_bytes(), (0..=255u8).collect()] {
        assert_eq!(inst.call("on_filter", &input).await.expect("copies"), input);
    }
}

#[tokio::test]
async fn a_copy_outside_either_memory_traps_naming_the_call() {
    let cases = [
        // the plugin's memory is one page (65536 bytes)
        (
            copy_request(0, 8, 65530, 16),
            "owncast_kernel_load: pointer 65530 (+16 bytes) is outside the plugin's memory",
        ),
        (copy_request(1, 8, -1, 16), "owncast_kernel_store: pointer 18446744073709551615 (+16 bytes) is outside"),
        (
            copy_request(0, 1 << 40, 0, 8),
            "owncast_kernel_load: offset 1099511627776 (+8 bytes) is outside the kernel memory",
        ),
        (
            copy_request(1, 1 << 40, 0, 8),
            "owncast_kernel_store: offset 1099511627776 (+8 bytes) is outside the kernel memory",
        ),
        (
            copy_request(2, 0, 0, 33),
            "owncast_input_load: input offset 0 (+33 bytes) is past the end of the input (32 bytes)",
        ),
    ];
    for (input, want) in cases {
        let mut inst = raw(&bulk_module()).await;
        let err = inst.call("on_event", &input).await.expect_err(want).to_string();
        assert!(err.contains(want), "expected {want:?} in {err:?}");
    }
}

#[tokio::test]
async fn a_bulk_import_of_another_type_is_refused_at_load_naming_it() {
    let code = module(
        r#"(import "extism:host/user" "owncast_kernel_load" (func $kload (param i32 i64 i64) (result i64)))"#,
        r#"(func (export "on_filter") (result i32) (i32.const 0))"#,
    );
    let err = load_err(&host(), &manifest("bulk", &["chat.filter"]), code).await;
    assert!(matches!(err, LoadError::Code { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("owncast_kernel_load") && text.contains("(i64, i64, i64) -> i64"), "{text}");
}
