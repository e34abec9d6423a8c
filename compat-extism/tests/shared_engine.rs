//! The shared-engine form (one interpreter module, the plugin's script in
//! Extism config) and modules built on the engine (custom section
//! `owncast-engine`): linked fully, gated at call time.

mod common;

use common::*;
use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::event::{Event, Verdict};
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::types;
use owncast_plugin_host::{CallError, Host};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

fn js_engine() -> Option<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdks/js/engine/dist/owncast-js-engine.wasm");
    match std::fs::read(&p) {
        Ok(b) => Some(b),
        Err(_) if !may_skip_missing_guests() => {
            panic!(
                "{} is not built: run tools/build-js-engine.sh (or set OWNCAST_SKIP_MISSING_GUESTS=1 to skip)",
                p.display()
            )
        }
        Err(_) => {
            eprintln!("skipped: {} is not built (tools/build-js-engine.sh)", p.display());
            None
        }
    }
}

const SCRIPT: &str = r#"
module.exports = {
  register() {
    const m = JSON.parse(Config.get("manifest"));
    Host.outputString(JSON.stringify({ slug: m.slug, name: m.name, version: m.version, permissions: m.permissions, subscriptions: m.subscriptions }));
  },
  on_filter() {
    const e = JSON.parse(Host.inputString());
    if (e.payload.body.includes("spam")) {
      Host.outputString(JSON.stringify({ action: "drop", reason: "spam, says " + Config.get("__slug") }));
      return;
    }
    e.payload.body = e.payload.body.toUpperCase();
    Host.outputString(JSON.stringify({ action: "modify", payload: e.payload }));
  },
  on_event() {
    const m = Memory.fromString("hello from " + Config.get("__slug"));
    Host.getFunctions().owncast_send_chat(m.offset);
    m.free();
  },
};
"#;

#[tokio::test]
async fn one_engine_serves_several_plugins_and_the_grant_is_checked_per_call() {
    let Some(engine) = js_engine() else { return };
    let sim = Arc::new(SimulatedOwncast::default());
    let h = Host::builder(sim.clone(), Arc::new(NetworkOutbound))
        .runtime(runtime(|_| {}))
        .loader(Arc::new(ExtismLoader::new().with_shared_engine("js", engine)))
        .build()
        .unwrap();
    let talker = manifest("js-talker", &["chat.filter", "chat.send"]);
    let quiet = manifest("js-quiet", &["chat.filter"]);
    h.load(bundle(&talker, SCRIPT.as_bytes().to_vec(), "js-talker.js")).await.unwrap();
    h.load(bundle(&quiet, SCRIPT.as_bytes().to_vec(), "js-quiet.js")).await.unwrap();
    assert_eq!(h.get("js-talker").unwrap().kind, "extism");

    // Filters: both modify (upper-case twice is still upper case); spam is dropped by the first.
    let out = h.filter(chat("hello")).await;
    let Ok(types::Event::ChatMessageReceived(m)) = out.event.typed() else { panic!() };
    assert_eq!(m.body, "HELLO");
    let out = h.filter(chat("buy spam")).await;
    assert_eq!(out.dropped, Some(("js-quiet".into(), "spam, says js-quiet".into())));

    // Notifications: the engine imports owncast_send_chat for everyone; only the granted plugin may call it.
    h.notify(&Event::from_json("chat.user.joined", json!({"id": "u2", "displayName": "bob"})).unwrap()).await;
    let chat = sim.effects().chat;
    assert_eq!(chat, vec![("js-talker".to_string(), ChatSend::Message { body: "hello from js-talker".into() })]);
    let quiet_health = h.get("js-quiet").unwrap().health();
    let err = quiet_health.last_error.unwrap();
    assert!(err.contains("without permission chat.send"), "{err}");
}

#[tokio::test]
async fn a_shared_engine_script_is_not_loaded_without_its_engine() {
    let h = host();
    let err = match h.load(bundle(&manifest("js-x", &["chat.filter"]), SCRIPT.as_bytes().to_vec(), "js-x.js")).await {
        Ok(_) => panic!("loaded"),
        Err(e) => e,
    };
    assert!(err.to_string().contains("not a plugin this host can run"), "{err}");
}

#[tokio::test]
async fn a_script_error_is_a_guest_error_with_the_js_message() {
    let Some(engine) = js_engine() else { return };
    let h = host_with(runtime(|_| {}), ExtismLoader::new().with_shared_engine("js", engine.clone()));
    let script = r#"module.exports = { on_filter() { throw new TypeError("no filter today"); } };"#;
    let m = manifest("js-thrower", &["chat.filter"]);
    let loader = ExtismLoader::new().with_shared_engine("js", engine);
    let parsed = Arc::new(owncast_plugin_host::Manifest::parse(&serde_json::to_vec(&m).unwrap(), "m").unwrap());
    use owncast_plugin_host::PluginLoader;
    let code = loader
        .load(owncast_plugin_host::plugin::LoadRequest {
            runtime: h.runtime(),
            bytes: script.as_bytes(),
            file: "js-thrower.js",
            manifest: &parsed,
            grants: &parsed.permissions,
        })
        .unwrap();
    let ctx = owncast_plugin_host::PluginContext::new(parsed.clone(), parsed.permissions.clone(), h.services().clone());
    let mut inst = code.instantiate(ctx, None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("x")).await);
    assert!(matches!(&err, CallError::Guest(m) if m.contains("TypeError: no filter today")), "{err}");
}

/// A module carrying the `owncast-engine` section imports host functions it
/// may never call: it loads, and the call is refused at run time.
#[tokio::test]
async fn an_engine_built_module_is_gated_at_call_time() {
    let h = host();
    let src = r#"(module
      (@custom "owncast-engine" "quickjs/1")
      (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
      (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
      (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
      (import "extism:host/env" "length" (func $length (param i64) (result i64)))
      (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
      (import "extism:host/user" "owncast_send_chat" (func $send (param i64)))
      (memory (export "memory") 1)
      (func (export "on_filter") (result i32)
        (local $k i64) (local $v i64)
        ;; config_get("manifest") then send it as chat
        (local.set $k (call $alloc (i64.const 8)))
        (call $store_u8 (local.get $k) (i32.const 109))
        (call $store_u8 (i64.add (local.get $k) (i64.const 1)) (i32.const 97))
        (call $store_u8 (i64.add (local.get $k) (i64.const 2)) (i32.const 110))
        (call $store_u8 (i64.add (local.get $k) (i64.const 3)) (i32.const 105))
        (call $store_u8 (i64.add (local.get $k) (i64.const 4)) (i32.const 102))
        (call $store_u8 (i64.add (local.get $k) (i64.const 5)) (i32.const 101))
        (call $store_u8 (i64.add (local.get $k) (i64.const 6)) (i32.const 115))
        (call $store_u8 (i64.add (local.get $k) (i64.const 7)) (i32.const 116))
        (local.set $v (call $config_get (local.get $k)))
        (call $send (local.get $v))
        (i32.const 0)))"#;
    let code = wat::parse_str(src).unwrap();
    let m = manifest("engine-built", &["chat.filter"]);
    let mut inst = instance(&h, &m, &code, "engine-built.wasm", None).await.unwrap();
    let err = expect_err(inst.on_filter(&chat("x")).await);
    assert!(err.to_string().contains("without permission chat.send"), "{err}");
    // With the permission the same module sends its manifest (config `manifest`).
    let sim = Arc::new(SimulatedOwncast::default());
    let h = host_on(sim.clone());
    let m = manifest("engine-built", &["chat.filter", "chat.send"]);
    let mut inst = instance(&h, &m, &code, "engine-built.wasm", None).await.unwrap();
    assert_eq!(inst.on_filter(&chat("x")).await.unwrap(), Verdict::Pass);
    let sent = sim.effects().chat;
    let ChatSend::Message { body } = &sent[0].1 else { panic!() };
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["slug"], "engine-built");
    let mut perms: Vec<String> = serde_json::from_value(v["permissions"].clone()).unwrap();
    perms.sort();
    assert_eq!(perms, ["chat.filter", "chat.send"]);
}

/// A built example plugin of `examples/js` (built by `tools/build-js-examples.sh`).
fn js_example(name: &str) -> Option<owncast_plugin_host::PluginBundle> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/js").join(name);
    match owncast_plugin_host::PluginBundle::from_dir(&dir) {
        Ok(b) if b.code.starts_with(b"\0asm") => Some(b),
        _ if may_skip_missing_guests() => {
            eprintln!("skipped: {} is not built (tools/build-js-examples.sh)", dir.display());
            None
        }
        other => panic!(
            "{} is not built as a module (run tools/build-js-examples.sh, or set OWNCAST_SKIP_MISSING_GUESTS=1 to skip): {:?}",
            dir.display(),
            other.map(|b| b.code_file)
        ),
    }
}

fn chat_from(user: &str, body: &str, timestamp: &str) -> Event {
    Event::from_json(
        "chat.message.received",
        json!({"id": "m", "user": {"id": user, "displayName": user}, "body": body, "timestamp": timestamp}),
    )
    .unwrap()
}

/// Modules built by `owncast-plugin build` (the engine pre-initialized with
/// the plugin) load as the engine's code, compiled once for all of them, and
/// each plugin's own snapshot: they run as the whole modules do, each with
/// its own memory (JS state), and the shared code goes when the last of them does.
#[tokio::test]
async fn sdk_built_plugins_share_one_compiled_engine_and_keep_their_own_state() {
    let (Some(profanity), Some(slow)) = (js_example("profanity-filter"), js_example("slow-mode")) else { return };
    let loader = Arc::new(ExtismLoader::new());
    let rt = runtime(|_| {});
    let host = || {
        Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
            .runtime(rt.clone())
            .loader(loader.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (host(), host());
    a.load(profanity.clone()).await.unwrap();
    a.load(slow.clone()).await.unwrap();
    b.load(slow).await.unwrap();
    assert_eq!(loader.engine_code_in_use(), 1, "three plugins, one compiled engine");

    let body = |out: &owncast_plugin_host::dispatcher::FilterOutcome| {
        let Ok(types::Event::ChatMessageReceived(m)) = out.event.typed() else { panic!("{:?}", out.event) };
        m.body
    };
    // The profanity filter's word list and the slow mode's times are the
    // plugins' own snapshot and memory.
    let out = a.filter(chat_from("alice", "what the hell", "2024-01-01T00:00:00Z")).await;
    assert_eq!((body(&out), out.dropped), ("what the ****".to_string(), None));
    let out = a.filter(chat_from("alice", "damn", "2024-01-01T00:00:01Z")).await;
    assert!(out.dropped.as_ref().is_some_and(|(slug, _)| slug == "slow-mode"), "{:?}", out.steps);
    // Host b's slow mode has its own memory: alice has not spoken there.
    let out = b.filter(chat_from("alice", "hi", "2024-01-01T00:00:01Z")).await;
    assert_eq!((body(&out), out.dropped), ("hi".to_string(), None));

    drop((a, b));
    assert_eq!(loader.engine_code_in_use(), 0, "the engine code is dropped with its last plugin");
}

/// `with_whole_engine_modules`: the same plugins, each compiled whole (the
/// comparison `owncast-plugin bench --whole-modules` makes).
#[tokio::test]
async fn sdk_built_plugins_can_load_whole() {
    let Some(profanity) = js_example("profanity-filter") else { return };
    let loader = Arc::new(ExtismLoader::new().with_whole_engine_modules());
    let h = Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
        .runtime(runtime(|_| {}))
        .loader(loader.clone())
        .build()
        .unwrap();
    h.load(profanity).await.unwrap();
    assert_eq!(loader.engine_code_in_use(), 0);
    let out = h.filter(chat_from("alice", "oh crap", "2024-01-01T00:00:00Z")).await;
    let Ok(types::Event::ChatMessageReceived(m)) = out.event.typed() else { panic!() };
    assert_eq!(m.body, "oh ****");
}
