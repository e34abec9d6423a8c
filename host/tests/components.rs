//! Native components end to end: the Rust examples through the real loader,
//! dispatcher and host services.

mod common;

use common::{example, runtime, sent, with_manifest};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::types;
use owncast_plugin_host::{Host, LoadError, Permission, Permissions, PluginBundle};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::json;
use std::sync::Arc;

fn host(sim: Arc<SimulatedOwncast>) -> Host {
    Host::builder(sim, Arc::new(NetworkOutbound)).runtime(runtime()).build().unwrap()
}

fn chat(user: &str, body: &str, ts: &str) -> Event {
    Event::from_json(
        "chat.message.received",
        json!({"id": "m", "user": {"id": format!("u-{user}"), "displayName": user}, "body": body, "timestamp": ts}),
    )
    .unwrap()
}

#[tokio::test]
async fn filter_chain_runs_in_priority_order_and_each_sees_the_previous_output() {
    let (Some(slow), Some(prof), Some(buggy)) =
        (example("slow-mode"), example("profanity-filter"), example("buggy-filter"))
    else {
        return;
    };
    let sim = Arc::new(SimulatedOwncast::default());
    let h = host(sim);
    for b in [slow, prof, buggy] {
        h.load(b).await.unwrap();
    }
    let chain: Vec<String> = h.filter_chain("chat.message.received").iter().map(|p| p.slug().to_string()).collect();
    let mut sorted = chain.clone();
    sorted.sort_by_key(|s| h.get(s).unwrap().filter_priority("chat.message.received"));
    assert_eq!(chain, sorted, "chain is in priority order");

    let out = h.filter(chat("alice", "what the heck", "2024-01-01T00:00:00Z")).await;
    assert!(out.dropped.is_none());
    let Ok(types::Event::ChatMessageReceived(m)) = out.event.typed() else { panic!() };
    assert_ne!(m.body, "what the heck", "profanity-filter modified the message");
    assert!(
        out.steps.iter().any(|s| s.slug == "buggy-filter" && matches!(s.result, StepResult::Failed(_))),
        "buggy-filter failed open"
    );

    let out = h.filter(chat("alice", "again", "2024-01-01T00:00:01Z")).await;
    let (by, reason) = out.dropped.expect("slow-mode drops a second message within 2 s");
    assert_eq!(by, "slow-mode");
    assert!(reason.contains("slow-mode"), "{reason}");
}

#[tokio::test]
async fn a_failing_filter_is_disabled_after_consecutive_strikes_and_chat_keeps_flowing() {
    let Some(buggy) = example("buggy-filter") else { return };
    let h = host(Arc::new(SimulatedOwncast::default()));
    h.load(buggy).await.unwrap();
    let max = h.runtime().limits().max_strikes;
    for i in 0..max {
        let out = h.filter(chat("bob", "hi", "2024-01-01T00:00:00Z")).await;
        assert!(out.dropped.is_none(), "fail open on call {i}");
    }
    let health = h.get("buggy-filter").unwrap().health();
    let reason = health.disabled.expect("disabled after max strikes");
    assert!(reason.contains(&format!("{max} consecutive failures")), "{reason}");
    assert_eq!(health.strikes, max);
    let out = h.filter(chat("bob", "hi", "2024-01-01T00:00:00Z")).await;
    assert!(out.steps.is_empty(), "a disabled plugin is no longer called");
}

#[tokio::test]
async fn custom_events_go_from_plugin_to_plugin() {
    let (Some(relay), Some(announcer)) = (example("relay"), example("announcer")) else { return };
    let sim = Arc::new(SimulatedOwncast::default());
    let h = host(sim.clone());
    h.load(relay).await.unwrap();
    h.load(announcer).await.unwrap();
    h.notify(&chat("carol", "!announce giveaway at 9pm", "2024-01-01T00:00:00Z")).await;
    let sends = sent(&sim);
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert!(sends[0].contains("giveaway at 9pm") && sends[0].contains("carol"), "{sends:?}");
}

#[tokio::test]
async fn kv_state_is_namespaced_per_plugin() {
    let Some(slow) = example("slow-mode") else { return };
    let h = host(Arc::new(SimulatedOwncast::default()));
    h.load(slow).await.unwrap();
    h.filter(chat("dave", "hi", "2024-01-01T00:00:00Z")).await;
    let kv = &h.services().kv;
    assert!(kv.get("plugins.kv.slow-mode.last:u-dave").unwrap().is_some());
    assert!(kv.get("last:u-dave").unwrap().is_none());
}

const ECHO_WITHOUT_CHAT: &str = r#"{"api":"1","name":"Echo Bot","slug":"echo-bot","version":"0.1.0","permissions":[],
  "subscriptions":{"notify":[{"event":"chat.message.received"}]}}"#;

#[tokio::test]
async fn an_import_the_manifest_does_not_grant_is_refused_at_load() {
    let Some(echo) = example("echo-bot") else { return };
    let h = host(Arc::new(SimulatedOwncast::default()));
    let err = h.load(with_manifest(echo, ECHO_WITHOUT_CHAT)).await.err().expect("refused");
    match &err {
        LoadError::Ungranted { import, permission, granted_by_manifest, .. } => {
            assert_eq!(import, "owncast:plugin/chat#send");
            assert_eq!(*permission, Permission::ChatSend);
            assert!(!granted_by_manifest);
        }
        other => panic!("wrong error: {other}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("echo-bot.wasm") && msg.contains("chat.send") && msg.contains("owncast:plugin/chat#send"),
        "{msg}"
    );
    assert!(h.plugins().is_empty());
}

#[tokio::test]
async fn a_permission_the_admin_did_not_approve_is_not_linked() {
    let Some(mut echo) = example("echo-bot") else { return };
    echo.approved = Some(Permissions::default());
    let h = host(Arc::new(SimulatedOwncast::default()));
    let err = h.load(echo).await.err().expect("refused");
    assert!(err.to_string().contains("declared but not approved by the admin"), "{err}");
}

#[tokio::test]
async fn register_must_agree_on_the_slug_and_may_differ_on_the_version_with_a_warning() {
    let Some(echo) = example("echo-bot") else { return };
    let text = String::from_utf8(echo.manifest.clone()).unwrap();
    let h = host(Arc::new(SimulatedOwncast::default()));
    let err = h
        .load(with_manifest(echo.clone(), &text.replace("\"echo-bot\"", "\"other-bot\"")))
        .await
        .err()
        .expect("refused");
    let LoadError::Manifest(m) = &err else { panic!("wrong error: {err}") };
    assert_eq!(m.field, "slug");
    assert!(err.to_string().contains("other-bot"), "{err}");
    // Upstream does not compare versions; this host warns.
    let loaded = h.load(with_manifest(echo, &text.replace("\"0.1.0\"", "\"9.9.9\""))).await.unwrap();
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert_eq!(loaded.warnings[0].field, "version");
    assert!(loaded.warnings[0].message.contains("9.9.9"), "{}", loaded.warnings[0]);
}

fn bundle(code: Vec<u8>, manifest: &str) -> PluginBundle {
    PluginBundle {
        manifest: manifest.as_bytes().to_vec(),
        manifest_file: "bad/plugin.manifest.json".into(),
        code,
        code_file: "bad/bad.wasm".into(),
        assets: Default::default(),
        approved: None,
    }
}

const BAD: &str = r#"{"name":"Bad","slug":"bad","version":"1.0.0","permissions":[]}"#;

#[tokio::test]
async fn bad_code_gives_one_clear_error_and_the_other_plugins_keep_running() {
    let sim = Arc::new(SimulatedOwncast::default());
    let h = host(sim.clone());
    let echo = example("echo-bot");
    if let Some(e) = echo.clone() {
        h.load(e).await.unwrap();
    }
    let err = h.load(bundle(b"hello, not wasm".to_vec(), BAD)).await.err().unwrap();
    assert!(err.to_string().starts_with("bad/bad.wasm: not a plugin this host can run"), "{err}");

    let empty = wat::parse_str("(component)").unwrap();
    let err = h.load(bundle(empty, BAD)).await.err().unwrap();
    assert!(err.to_string().contains("bad/bad.wasm") && err.to_string().contains("does not export"), "{err}");

    let unknown = wat::parse_str(r#"(component (import "acme:evil/net" (instance)))"#).unwrap();
    let err = h.load(bundle(unknown, BAD)).await.err().unwrap();
    assert!(err.to_string().contains("acme:evil/net") && err.to_string().contains("does not provide"), "{err}");

    let ungranted = wat::parse_str(
        r#"(component (import "owncast:plugin/kv@1.0.0" (instance (export "get" (func (param "key" string) (result (option string)))))))"#,
    )
    .unwrap();
    let err = h.load(bundle(ungranted, BAD)).await.err().unwrap();
    assert!(err.to_string().contains("owncast:plugin/kv#get") && err.to_string().contains("storage.kv"), "{err}");

    let err = h.load(bundle(b"\0asm\x0d\0\x01\0garbage".to_vec(), BAD)).await.err().unwrap();
    assert!(err.to_string().contains("not a valid component"), "{err}");

    let err = h.load(bundle(Vec::new(), r#"{"name":"Bad","slug":"Bad!","version":"1"}"#)).await.err().unwrap();
    assert!(err.to_string().contains("field `slug`"), "{err}");

    if echo.is_some() {
        h.notify(&chat("erin", "still here?", "2024-01-01T00:00:00Z")).await;
        assert_eq!(sent(&sim).len(), 1, "echo-bot still answers after the bad loads");
    }
}

#[tokio::test]
async fn compiled_code_is_cached_on_disk_for_the_next_start() {
    let Some(echo) = example("echo-bot") else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = || owncast_plugin_host::RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        pooling: false,
        ..Default::default()
    };
    let files = || walk(dir.path());
    {
        let rt = owncast_plugin_host::Runtime::new(config()).unwrap();
        let h =
            Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound)).runtime(rt).build().unwrap();
        h.load(echo.clone()).await.unwrap();
    }
    // The cache worker writes asynchronously; wait for the entry to appear.
    for _ in 0..100 {
        if files() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(files() > 0, "the first start wrote compiled code to the cache");
    let rt = owncast_plugin_host::Runtime::new(config()).unwrap();
    let h = Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
        .runtime(rt.clone())
        .build()
        .unwrap();
    h.load(echo).await.expect("a restart loads from the cache");
    let (hits, misses) = rt.cache_stats().unwrap();
    assert_eq!((hits, misses), (1, 0), "the restart did not recompile");
}

fn walk(p: &std::path::Path) -> usize {
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}
