//! The Extism kernel ABI: arbitrary sequences of kernel calls, with arbitrary
//! offsets and lengths, against one instance's kernel memory.
//!
//! The calls come from a legacy module ([`KERNEL_WAT`]) loaded by the
//! production loader (`ExtismLoader`, through `RawInstance`): its `on_event`
//! and `on_filter` read their input as a program and make the kernel calls
//! it says, so every call goes through the same linker, host functions,
//! memory cap and call path as a plugin's. Each fuzz input gets a fresh
//! instance ([`RawInstance::restart`]) and is split at `|` into up to eight
//! calls of that instance (kernel memory and the program's slots reset
//! between calls, vars and linear memory stay); a last call with empty input must then succeed.
//!
//! The program, one operation after another (see the module for details):
//! an opcode byte, then operands. An offset operand is one byte `m`: below
//! `0xc0` it is slot `m & 7` (the last eight offsets the kernel returned)
//! plus `m >> 3`; below `0xf0` the small number `m - 0xc0`; else the next
//! eight bytes, raw. A length operand: below `0x80` itself, below `0xf0`
//! `(m - 0x80) << 8`, else eight raw bytes.

use owncast_compat_extism::{ExtismLoader, RawInstance};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::plugin::LoadRequest;
use owncast_plugin_host::runtime::CallKind;
use owncast_plugin_host::{Host, Manifest, PluginContext, Runtime, RuntimeConfig};
use owncast_plugin_testing::SimulatedOwncast;
use std::sync::{Arc, Mutex, OnceLock};

/// The interpreter module. Opcodes (`op % 24`):
///
/// | op | call |
/// | --- | --- |
/// | 0 | `alloc(len)` → slot |
/// | 1 | `free(off)` |
/// | 2 | `length(off)` |
/// | 3 | `length_unsafe(off)` |
/// | 4 | `load_u8(off)` |
/// | 5 | `load_u64(off)` |
/// | 6 | `store_u8(off, byte)` |
/// | 7 | `store_u64(off, 8 raw bytes)` |
/// | 8 | `input_offset()` → slot, `input_length()` |
/// | 9 | `input_load_u8(off)` |
/// | 10 | `input_load_u64(off)` |
/// | 11 | `output_set(off, len)` |
/// | 12 | `error_set(off)` |
/// | 13 | `var_set(off, off)` |
/// | 14 | `var_get(off)` → slot |
/// | 15 | `config_get(off)` → slot |
/// | 16 | `log_info(off)` |
/// | 17 | `memory.grow(byte & 63)` (linear memory shares the cap) |
/// | 18 | `alloc(n)` → slot, then `store_u8` of the next `n` input bytes (`n` one byte) |
/// | 19 | `http_status_code()`, `http_headers()` → slot, `get_log_level()` |
/// | 20 | return the status `byte` |
/// | 21 | `length(off)` → slot |
/// | 22 | `unreachable` (a trap) |
/// | 23 | `free` of every slot |
pub const KERNEL_WAT: &str = r#"(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "length_unsafe" (func $length_unsafe (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "http_status_code" (func $http_status_code (result i32)))
  (import "extism:host/env" "http_headers" (func $http_headers (result i64)))
  (import "extism:host/env" "get_log_level" (func $get_log_level (result i32)))
  (memory (export "memory") 1)
  ;; the read position in the input, its length, the next slot
  (global $pos (mut i64) (i64.const 0))
  (global $len (mut i64) (i64.const 0))
  (global $next (mut i32) (i32.const 0))

  ;; the next input byte (0 past the end)
  (func $byte (result i64)
    (local $b i64)
    (if (i64.ge_u (global.get $pos) (global.get $len)) (then (return (i64.const 0))))
    (local.set $b (i64.extend_i32_u (call $input_load_u8 (global.get $pos))))
    (global.set $pos (i64.add (global.get $pos) (i64.const 1)))
    (local.get $b))
  ;; the next eight input bytes (0 when fewer are left)
  (func $raw (result i64)
    (local $v i64)
    (if (i64.gt_u (i64.add (global.get $pos) (i64.const 8)) (global.get $len))
      (then (global.set $pos (global.get $len)) (return (i64.const 0))))
    (local.set $v (call $input_load_u64 (global.get $pos)))
    (global.set $pos (i64.add (global.get $pos) (i64.const 8)))
    (local.get $v))
  (func $slot (param $i i32) (result i64)
    (i64.load (i32.shl (i32.and (local.get $i) (i32.const 7)) (i32.const 3))))
  (func $push (param $v i64)
    (i64.store (i32.shl (i32.and (global.get $next) (i32.const 7)) (i32.const 3)) (local.get $v))
    (global.set $next (i32.add (global.get $next) (i32.const 1))))
  (func $off (result i64)
    (local $m i64)
    (local.set $m (call $byte))
    (if (i64.lt_u (local.get $m) (i64.const 0xc0))
      (then (return (i64.add (call $slot (i32.wrap_i64 (local.get $m)))
                             (i64.shr_u (local.get $m) (i64.const 3))))))
    (if (i64.lt_u (local.get $m) (i64.const 0xf0))
      (then (return (i64.sub (local.get $m) (i64.const 0xc0)))))
    (call $raw))
  (func $length_operand (result i64)
    (local $m i64)
    (local.set $m (call $byte))
    (if (i64.lt_u (local.get $m) (i64.const 0x80)) (then (return (local.get $m))))
    (if (i64.lt_u (local.get $m) (i64.const 0xf0))
      (then (return (i64.shl (i64.sub (local.get $m) (i64.const 0x80)) (i64.const 8)))))
    (call $raw))

  (func $run (result i32)
    (local $op i32) (local $o i64) (local $n i64) (local $i i64)
    ;; each call starts with empty slots
    (global.set $pos (i64.const 0))
    (global.set $next (i32.const 0))
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 64))
    (global.set $len (call $input_length))
    (block $done (loop $next_op
      (br_if $done (i64.ge_u (global.get $pos) (global.get $len)))
      (local.set $op (i32.rem_u (i32.wrap_i64 (call $byte)) (i32.const 24)))
      (block $b23 (block $b22 (block $b21 (block $b20 (block $b19 (block $b18 (block $b17 (block $b16
      (block $b15 (block $b14 (block $b13 (block $b12 (block $b11 (block $b10 (block $b9 (block $b8
      (block $b7 (block $b6 (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
        (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 $b7 $b8 $b9 $b10 $b11 $b12 $b13 $b14 $b15 $b16
                  $b17 $b18 $b19 $b20 $b21 $b22 $b23 (local.get $op)))
        (call $push (call $alloc (call $length_operand))) (br $next_op))
        (call $free (call $off)) (br $next_op))
        (drop (call $length (call $off))) (br $next_op))
        (drop (call $length_unsafe (call $off))) (br $next_op))
        (drop (call $load_u8 (call $off))) (br $next_op))
        (drop (call $load_u64 (call $off))) (br $next_op))
        (local.set $o (call $off))
        (call $store_u8 (local.get $o) (i32.wrap_i64 (call $byte))) (br $next_op))
        (local.set $o (call $off))
        (call $store_u64 (local.get $o) (call $raw)) (br $next_op))
        (call $push (call $input_offset)) (drop (call $input_length)) (br $next_op))
        (drop (call $input_load_u8 (call $off))) (br $next_op))
        (drop (call $input_load_u64 (call $off))) (br $next_op))
        (local.set $o (call $off))
        (call $output_set (local.get $o) (call $length_operand)) (br $next_op))
        (call $error_set (call $off)) (br $next_op))
        (local.set $o (call $off))
        (call $var_set (local.get $o) (call $off)) (br $next_op))
        (call $push (call $var_get (call $off))) (br $next_op))
        (call $push (call $config_get (call $off))) (br $next_op))
        (call $log_info (call $off)) (br $next_op))
        (drop (memory.grow (i32.and (i32.wrap_i64 (call $byte)) (i32.const 63)))) (br $next_op))
        (local.set $n (call $byte))
        (local.set $o (call $alloc (local.get $n)))
        (call $push (local.get $o))
        (local.set $i (i64.const 0))
        (block $copied (loop $copy
          (br_if $copied (i64.ge_u (local.get $i) (local.get $n)))
          (call $store_u8 (i64.add (local.get $o) (local.get $i)) (i32.wrap_i64 (call $byte)))
          (local.set $i (i64.add (local.get $i) (i64.const 1)))
          (br $copy)))
        (br $next_op))
        (drop (call $http_status_code)) (call $push (call $http_headers)) (drop (call $get_log_level))
        (br $next_op))
        (return (i32.wrap_i64 (call $byte))))
        (call $push (call $length (call $off))) (br $next_op))
        unreachable)
        (local.set $i (i64.const 0))
        (block $freed (loop $each
          (br_if $freed (i64.ge_u (local.get $i) (i64.const 8)))
          (call $free (call $slot (i32.wrap_i64 (local.get $i))))
          (local.set $i (i64.add (local.get $i) (i64.const 1)))
          (br $each)))
        (br $next_op)))
    (i32.const 0))
  (func (export "on_event") (result i32) (call $run))
  (func (export "on_filter") (result i32) (call $run))
)"#;

struct Kernel {
    instance: Mutex<RawInstance>,
    runtime: Arc<Runtime>,
}

fn kernel() -> &'static Kernel {
    static K: OnceLock<Kernel> = OnceLock::new();
    K.get_or_init(|| {
        let runtime = Runtime::new(RuntimeConfig::default()).expect("a runtime");
        let host = Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
            .runtime(runtime.clone())
            .build()
            .expect("a host");
        let manifest = br#"{"name": "Kernel fuzz", "slug": "kernel-fuzz", "version": "1.0.0",
            "permissions": ["chat.filter"],
            "subscriptions": {"filter": [{"event": "chat.message.received"}]},
            "config": {"greeting": {"type": "string", "default": "hello"}}}"#;
        let m = Arc::new(Manifest::parse(manifest, "kernel-fuzz/plugin.manifest.json").expect("the manifest parses"));
        let code = wat::parse_str(KERNEL_WAT).expect("the interpreter module assembles");
        let grants = m.permissions.clone();
        let req =
            LoadRequest { runtime: &runtime, bytes: &code, file: "kernel-fuzz.wasm", manifest: &m, grants: &grants };
        let ctx = PluginContext::new(m.clone(), grants.clone(), host.services().clone());
        let instance = super::runtime()
            .block_on(RawInstance::new(&ExtismLoader::new(), req, ctx))
            .expect("the interpreter module loads");
        Kernel { instance: Mutex::new(instance), runtime }
    })
}

pub fn extism_kernel(data: &[u8]) {
    let k = kernel();
    let mut instance = k.instance.lock().unwrap_or_else(|p| p.into_inner());
    super::runtime().block_on(async {
        instance.restart().await.expect("a fresh instance");
        for (i, input) in data.split(|b| *b == b'|').take(8).enumerate() {
            let (export, kind) =
                if i % 2 == 0 { ("on_event", CallKind::Event) } else { ("on_filter", CallKind::Filter) };
            // An error (a trap for a misused kernel, the cap, the guest's
            // own error) is the expected answer to a bad program.
            if let Ok(out) = instance.call(export, input).await {
                let cap = k.runtime.limits().output_cap(kind);
                assert!(out.len() <= cap, "{export} returned {} bytes, over the output cap of {cap}", out.len());
            }
        }
        // Whatever the calls did, the instance still serves a call.
        match instance.call("on_event", b"").await {
            Ok(out) => assert!(out.is_empty(), "an empty program output {} bytes", out.len()),
            Err(e) => panic!("after the program, an empty call fails: {e}"),
        }
    });
}
