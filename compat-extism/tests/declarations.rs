//! The legacy surfaces built outside this crate, checked against the
//! declarations (`owncast_plugin_host::permissions`: each WIT function's
//! permission and legacy `owncast_*` name) and this crate's implementations
//! (`user::HOST_FUNCTIONS`, with their signatures): the JS engine's
//! host-function externs (sdks/js/engine/src/lib.rs) and the JS SDK's call
//! table (sdks/js/index.js), with the JS SDK name the declarations give each
//! function (shown in docs/WIRE_PROTOCOL.md). Read from the sources, so a function added,
//! renamed or re-permissioned on one side only fails here.

use owncast_compat_extism::user::{find, HOST_FUNCTIONS};
use owncast_plugin_host::permissions::{for_legacy_function, js_name, LEGACY_NAMES};
use regex::Regex;
use std::collections::BTreeSet;
use std::path::Path;
use wasmtime::{Engine, FuncType, ValType};

fn source(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn declared() -> BTreeSet<&'static str> {
    LEGACY_NAMES.iter().map(|(_, _, l)| *l).collect()
}

#[test]
fn the_js_engine_imports_every_declared_function_with_its_signature() {
    let src = source("sdks/js/engine/src/lib.rs");
    let re = Regex::new(r"(?m)^\s*fn (owncast_[a-z_]+)\(([^)]*)\) -> ([^;]+);").unwrap();
    let engine = Engine::default();
    let ty = |t: &str| match t.trim() {
        "u64" | "i64" => Some(ValType::I64),
        "i32" | "u32" => Some(ValType::I32),
        "()" => None,
        other => panic!("engine extern type {other}"),
    };
    let mut externs = BTreeSet::new();
    for c in re.captures_iter(&src) {
        let name = c[1].to_string();
        let params: Vec<ValType> = c[2]
            .split(',')
            .filter(|a| !a.trim().is_empty())
            .map(|a| ty(a.split(':').nth(1).expect("name: type")).expect("a value type"))
            .collect();
        let results: Vec<ValType> = ty(&c[3]).into_iter().collect();
        let f = find(&name).unwrap_or_else(|| panic!("the engine imports {name}, which the host does not implement"));
        assert!(
            f.accepts(&FuncType::new(&engine, params.clone(), results.clone())),
            "{name}: the engine imports {params:?} -> {results:?}, the host's signature is {}",
            f.signature()
        );
        assert!(for_legacy_function(&name).is_ok(), "{name} is imported by the engine but is not in the contract");
        externs.insert(name);
    }
    let declared: BTreeSet<String> = declared().into_iter().map(String::from).collect();
    let lacking: BTreeSet<String> = declared.difference(&externs).cloned().collect();
    assert!(
        lacking.iter().all(|n| NEWER.contains(&n.as_str())),
        "the engine lacks {lacking:?}: declare them in sdks/js/engine/src/lib.rs (host_functions!)"
    );
    assert!(externs.is_subset(&declared), "the engine imports undeclared functions");
    assert_eq!(HOST_FUNCTIONS.len(), declared.len());
}

#[test]
fn the_js_sdk_names_each_declared_functions_permission() {
    let src = source("sdks/js/index.js");
    // `call(perm, "owncast.x.y", "owncast_x", ...)` and the helpers that
    // wrap it with the same first three arguments (sqlCall, jsonCall); the API
    // name may be passed through as `api` (scheduleTimer).
    let re = Regex::new(
        r#"\b(?:call|sqlCall|jsonCall)\((null|"([a-z.]+)"),\s*("owncast\.[A-Za-z.]+"|api),\s*"(owncast_[a-z_]+)""#,
    )
    .unwrap();
    let mut called = BTreeSet::new();
    // (JS SDK name, legacy function) of each call site.
    let mut names: BTreeSet<(String, String)> = BTreeSet::new();
    for c in re.captures_iter(&src) {
        let name = c[4].to_string();
        // The SDK also feature-detects upstream functions this host does not
        // declare yet; those are not checked here.
        if let Ok(p) = for_legacy_function(&name) {
            assert_eq!(
                c.get(2).map(|m| m.as_str()),
                p.map(|p| p.name()),
                "sdks/js/index.js calls {name} under the wrong permission"
            );
            match &c[3] {
                "api" => names
                    .extend(passed_api_names(&src, c.get(0).unwrap().start()).into_iter().map(|a| (a, name.clone()))),
                api => {
                    names.insert((api.trim_matches('"').to_string(), name.clone()));
                }
            }
            called.insert(name);
        }
    }
    let missing: Vec<_> = declared().into_iter().filter(|n| !called.contains(*n) && !NEWER.contains(n)).collect();
    assert!(missing.is_empty(), "declared functions the JS SDK never calls: {missing:?}");
    // The JS SDK name the declarations give each function (docs/WIRE_PROTOCOL.md) is the SDK's.
    for (interface, function, legacy) in LEGACY_NAMES {
        if NEWER.contains(legacy) {
            continue;
        }
        let js = format!("owncast.{}", js_name(interface, function, legacy));
        assert!(
            names.contains(&(js.clone(), legacy.to_string())),
            "the declarations name {interface}#{function} `{js}` in the JS SDK, but sdks/js/index.js has no `{js}` \
             calling {legacy} (declare its name with `as` in contract/src/permissions.rs); the SDK's names for \
             {legacy}: {:?}",
            names.iter().filter(|(_, l)| l == legacy).map(|(a, _)| a).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_js_sdk_has_each_documented_event_handler() {
    use owncast_plugin_host::event::{js_filter_handler, js_handler, BUILTIN_EVENTS};
    let src = source("sdks/js/index.js");
    let block = src
        .split("var Events = freeze({")
        .nth(1)
        .expect("sdks/js/index.js defines Events")
        .split("});")
        .next()
        .unwrap();
    let constants: std::collections::BTreeMap<String, String> = Regex::new(r#"(\w+): "([a-z.]+)""#)
        .unwrap()
        .captures_iter(block)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    // (handler, kind, event type) of EVENT_HANDLERS.
    let handlers: BTreeSet<(String, String, String)> = Regex::new(r#"(\w+): \["(notify|filter)", Events\.(\w+)\]"#)
        .unwrap()
        .captures_iter(&src)
        .map(|c| {
            let event = constants.get(&c[3]).unwrap_or_else(|| panic!("Events.{} is not defined", &c[3]));
            (c[1].to_string(), c[2].to_string(), event.clone())
        })
        .collect();
    for event in BUILTIN_EVENTS {
        let want = (js_handler(event), "notify".to_string(), event.to_string());
        assert!(
            handlers.contains(&want),
            "docs/WIRE_PROTOCOL.md names `{}` the JS SDK's handler of {event}, which sdks/js/index.js's \
             EVENT_HANDLERS lacks (declare it in contract/src/event.rs JS_HANDLERS)",
            want.0
        );
        let filters: Vec<&String> =
            handlers.iter().filter(|(_, k, e)| k == "filter" && e == event).map(|(h, _, _)| h).collect();
        assert_eq!(
            filters,
            js_filter_handler(event).map(|f| f.to_string()).iter().collect::<Vec<_>>(),
            "the JS SDK's filter handlers of {event} (contract/src/event.rs JS_HANDLERS)"
        );
    }
}

/// The API names passed as `api` to the helper whose body holds the call at
/// `at` (`function scheduleTimer(fn, ms, repeat, api) { ... call(null, api, ...` is
/// called as `scheduleTimer(fn, ms, false, "owncast.timer.setTimeout")`).
fn passed_api_names(src: &str, at: usize) -> Vec<String> {
    let helper = Regex::new(r"function (\w+)\([^)]*\bapi\)").unwrap();
    let name = helper
        .captures_iter(&src[..at])
        .last()
        .unwrap_or_else(|| panic!("sdks/js/index.js passes `api` at byte {at} outside a helper taking `api`"))[1]
        .to_string();
    let uses = Regex::new(&format!(r#"\b{name}\([^;]*?"(owncast\.[A-Za-z.]+)"\)"#)).unwrap();
    uses.captures_iter(src).map(|c| c[1].to_string()).collect()
}

/// Declared functions the JS engine and SDK may lack. A host function added
/// to the declarations goes here only while its engine import and SDK
/// wrapper are being written; empty when the engine and SDK are complete.
const NEWER: &[&str] = &[];
