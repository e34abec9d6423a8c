//! Call-time denial of every legacy `owncast_*` function, generated from the
//! declarations (`permissions::CAPABILITIES` and the shim's signatures): for
//! each one, a module built on the engine (linked fully, gated at call time)
//! calls it without the permission, and the call is refused with the
//! permission the declaration names, as a typed value.

mod common;

use common::*;
use owncast_compat_extism::user;
use owncast_plugin_host::permissions::{for_legacy_function, CAPABILITIES};
use owncast_plugin_host::{CallError, HostCallError};

/// `(i64, i32) -> i64` as WAT `(param i64 i32) (result i64)` and the zero arguments to pass.
fn wat_signature(sig: &str) -> (String, String) {
    let (params, result) = match sig.split_once(" -> ") {
        Some((p, r)) => (p, Some(r)),
        None => (sig, None),
    };
    let params: Vec<&str> = params.trim_matches(['(', ')']).split(", ").filter(|p| !p.is_empty()).collect();
    let mut decl = String::new();
    if !params.is_empty() {
        decl.push_str(&format!("(param {})", params.join(" ")));
    }
    if let Some(r) = result {
        decl.push_str(&format!(" (result {r})"));
    }
    let args: String = params.iter().map(|t| format!("({t}.const 0) ")).collect();
    (decl, format!("{args}(call $f){}", if result.is_some() { " drop" } else { "" }))
}

#[tokio::test]
async fn every_legacy_function_is_refused_at_call_time_without_its_permission() {
    let h = host();
    let names: Vec<&str> = CAPABILITIES.iter().flat_map(|c| c.legacy_functions()).collect();
    assert!(names.len() >= 30, "the declarations list the legacy functions ({})", names.len());
    for name in names {
        let permission = for_legacy_function(name).ok().flatten().unwrap_or_else(|| panic!("{name} has no permission"));
        let f = user::find(name).unwrap_or_else(|| panic!("{name} is declared but not implemented"));
        let (decl, call) = wat_signature(&f.signature());
        let src = format!(
            r#"(module
              (@custom "owncast-engine" "test")
              (import "extism:host/user" "{name}" (func $f {decl}))
              (memory (export "memory") 1)
              (func (export "on_filter") (result i32) {call} (i32.const 0)))"#
        );
        let code = wat::parse_str(&src).unwrap_or_else(|e| panic!("{name}: {e}\n{src}"));
        // Everything but the one permission the function needs.
        let others: Vec<&str> =
            owncast_plugin_host::Permission::ALL.iter().filter(|p| **p != permission).map(|p| p.name()).collect();
        let mut m = manifest("denied", &others);
        if others.contains(&"network.fetch") {
            m["network"] = serde_json::json!({"allowedHosts": ["api.example.com"]});
        }
        let mut inst = instance(&h, &m, &code, "denied.wasm", None).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        match expect_err(inst.on_filter(&chat("x")).await) {
            CallError::Refused(HostCallError::Denied { permission: p, .. }) => assert_eq!(p, permission, "{name}"),
            other => panic!("{name}: expected a refusal for {permission}, got {other:?}"),
        }
    }
}
