//! The extism-pdk fixtures (compat-extism/fixtures, built by
//! tools/build-extism-fixtures.sh): their scenario tests through the same
//! runner `owncast-plugin test` uses, plus the effects scenario files cannot
//! express.
//!
//! Without built fixtures these tests say so and pass, unless
//! `OWNCAST_REQUIRE_GUESTS=1` (tools/test-all.sh, CI) makes a missing fixture a failure.

mod common;

use common::*;
use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::owncast::{ChatSend, SimulatedOwncast};
use owncast_plugin_host::scenario::ScenarioRunner;
use owncast_plugin_host::{CallError, Host, PluginBundle};
use std::path::PathBuf;
use std::sync::Arc;

fn fixture(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    if dir.join(format!("{name}.wasm")).is_file() {
        return Some(dir);
    }
    if std::env::var_os("OWNCAST_REQUIRE_GUESTS").is_some() {
        panic!("{} is not built: run tools/build-extism-fixtures.sh", dir.display());
    }
    eprintln!("skipped: {} is not built (tools/build-extism-fixtures.sh)", dir.display());
    None
}

async fn scenarios(name: &str) {
    let Some(dir) = fixture(name) else { return };
    let runner = ScenarioRunner::new(runtime(|_| {}), vec![Arc::new(ExtismLoader::new())]);
    let report = runner.run_dir(&dir).await;
    assert!(report.error.is_none(), "{name}: {}", report.error.unwrap());
    let failed: Vec<String> =
        report.cases.iter().filter(|c| !c.passed).map(|c| format!("{} / {}:\n  {}", c.file, c.name, c.failures.join("\n  "))).collect();
    assert!(failed.is_empty(), "{name}: {} of {} cases failed:\n{}", failed.len(), report.cases.len(), failed.join("\n"));
    assert!(!report.cases.is_empty());
}

#[tokio::test]
async fn kernel_tour_scenarios_pass() {
    scenarios("kernel-tour").await;
}

#[tokio::test]
async fn host_tour_scenarios_pass() {
    scenarios("host-tour").await;
}

#[tokio::test]
async fn word_filter_scenarios_pass() {
    scenarios("word-filter").await;
}

fn say(body: &str) -> owncast_plugin_host::types::Event {
    chat(body)
}

/// Effects of host-tour that scenario files have no assertion for.
#[tokio::test]
async fn host_tour_effects_beyond_the_scenario_format() {
    let Some(dir) = fixture("host-tour") else { return };
    let sim = Arc::new(SimulatedOwncast::default());
    let data = tempfile::tempdir().unwrap();
    let h = Host::builder()
        .runtime(runtime(|_| {}))
        .owncast(sim.clone())
        .data_dir(data.path())
        .loader(Arc::new(ExtismLoader::new()))
        .build()
        .unwrap();
    h.load(PluginBundle::from_dir(&dir).unwrap()).await.unwrap();
    let mut frames = h.services().sse.subscribe("host-tour", "live", std::net::Ipv4Addr::LOCALHOST.into()).unwrap();
    for cmd in ["!chat", "!moderate m1", "!usermod u-spammer", "!notify", "!upload twelve bytes", "!sse 5", "!ui keep", "!fs kept"] {
        h.notify(&say(cmd)).await;
    }
    let fx = sim.effects();
    assert!(fx.chat.iter().any(|(_, m)| *m == ChatSend::To { client_id: 42, body: "just for you".into() }), "{:?}", fx.chat);
    assert_eq!(fx.kicked_clients, vec![7]);
    assert_eq!(
        fx.user_changes,
        vec![("u-spammer".to_string(), false, "spamming".to_string()), ("u-friend".to_string(), true, String::new())]
    );
    assert_eq!(fx.banned_ips, vec!["10.0.0.9".to_string()]);
    assert_eq!(fx.fediverse_notifications, vec!["live on the fediverse".to_string()]);
    assert_eq!(fx.uploads, vec![("note.txt".to_string(), 12)]);
    let frame = frames.frames.try_recv().unwrap();
    assert_eq!((frame.event.as_str(), frame.data.as_str()), ("tick", r#"{"n":"5"}"#));
    let actions = h.services().actions.all();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].1.title, "Shop");
    assert_eq!(actions[0].1.html.as_deref(), Some("<i>buy</i>"));
    // storage.fs stays inside the plugin's data directory.
    assert!(!data.path().join("host-tour/notes/today.txt").exists(), "deleted by the command");
    assert!(data.path().join("host-tour/notes").is_dir());
}

/// `error_set` through a real PDK (`FnResult` error) reaches the host as the plugin's message.
#[tokio::test]
async fn kernel_tour_error_set_is_a_guest_error() {
    let Some(dir) = fixture("kernel-tour") else { return };
    let b = PluginBundle::from_dir(&dir).unwrap();
    let h = host();
    let manifest: serde_json::Value = serde_json::from_slice(&b.manifest).unwrap();
    let mut inst = instance(&h, &manifest, &b.code, &b.code_file, None).await.unwrap();
    let err = expect_err(inst.on_event(&say("!fail the sky is falling")).await);
    assert!(matches!(&err, CallError::Guest(m) if m.contains("the sky is falling")), "{err:?}");
}

/// A refused outbound host ends the call with the policy's message.
#[tokio::test]
async fn kernel_tour_refused_host_names_allowed_hosts() {
    let Some(dir) = fixture("kernel-tour") else { return };
    let b = PluginBundle::from_dir(&dir).unwrap();
    let h = host();
    let manifest: serde_json::Value = serde_json::from_slice(&b.manifest).unwrap();
    let mut inst = instance(&h, &manifest, &b.code, &b.code_file, None).await.unwrap();
    let err = expect_err(inst.on_event(&say("!fetch https://evil.example.net/x")).await);
    assert!(err.to_string().contains("http_request") && err.to_string().contains("evil.example.net is not in network.allowedHosts"), "{err}");
    // Without network.fetch granted, the same call is refused by permission.
    let mut inst = instance(&h, &manifest, &b.code, &b.code_file, Some(owncast_plugin_host::Permissions::new([
        owncast_plugin_host::Permission::ChatSend,
        owncast_plugin_host::Permission::ChatFilter,
        owncast_plugin_host::Permission::HttpServe,
    ])))
    .await
    .unwrap();
    let err = expect_err(inst.on_event(&say("!fetch https://api.example.com/x")).await);
    assert!(err.to_string().contains("without permission network.fetch"), "{err}");
}

