//! The extism-pdk fixtures (compat-extism/fixtures, built by
//! tools/build-extism-fixtures.sh): their scenario tests through the same
//! runner `owncast-plugin test` uses, plus the effects scenario files cannot
//! express.
//!
//! A fixture that is not built fails these tests; only
//! `OWNCAST_SKIP_MISSING_GUESTS=1` turns that into a skip.

mod common;

use common::*;
use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::types::FediverseNotification;
use owncast_plugin_host::{CallError, Host, PluginBundle};
use owncast_plugin_scenario::ScenarioRunner;
use owncast_plugin_testing::SimulatedOwncast;
use std::path::PathBuf;
use std::sync::Arc;

fn fixture(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    if dir.join(format!("{name}.wasm")).is_file() {
        return Some(dir);
    }
    if !may_skip_missing_guests() {
        panic!(
            "{} is not built: run tools/build-extism-fixtures.sh (or set OWNCAST_SKIP_MISSING_GUESTS=1 to skip)",
            dir.display()
        );
    }
    eprintln!("skipped: {} is not built (tools/build-extism-fixtures.sh)", dir.display());
    None
}

async fn scenarios(name: &str) {
    let Some(dir) = fixture(name) else { return };
    let runner = ScenarioRunner::new(runtime(|_| {}), vec![Arc::new(ExtismLoader::new())]);
    let report = runner.run_dir(&dir).await;
    assert!(report.error.is_none(), "{name}: {}", report.error.unwrap());
    let failed: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{} / {}:\n  {}", c.file, c.name, c.failures.join("\n  ")))
        .collect();
    assert!(
        failed.is_empty(),
        "{name}: {} of {} cases failed:\n{}",
        failed.len(),
        report.cases.len(),
        failed.join("\n")
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_legacy_scenarios_pass() {
    scenarios("hostile-legacy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_tour_scenarios_pass() {
    scenarios("page-tour").await;
}

/// page-tour's content exports through the server's merge: its failing tab
/// and its never-ending one leave the rest of its content, and the page, whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_tour_content_failures_stay_out_of_the_page() {
    use owncast_plugin_host::types::ChatUser;
    use owncast_plugin_host::ui::{content_request, ContentHook};
    let Some(dir) = fixture("page-tour") else { return };
    let h = Arc::new(host());
    h.load(PluginBundle::from_dir(&dir).unwrap()).await.unwrap();
    let boom = h.call_content("page-tour", ContentHook::TabContent, Some(content_request("boom", None))).await;
    assert!(boom.unwrap_err().contains("the boom tab failed"));
    let started = std::time::Instant::now();
    let spin = h.call_content("page-tour", ContentHook::TabContent, Some(content_request("spin", None))).await;
    let deadline = h.runtime().limits().content_deadline;
    assert!(started.elapsed() < deadline + std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(spin.unwrap_err().contains("on_tab_content"));

    let p = h.get("page-tour").unwrap();
    let ann = ChatUser { id: "u-ann".into(), display_name: "ann".into(), ..Default::default() };
    let d = h.dynamic_content(&p, Some(&ann)).await;
    let tabs: Vec<&str> = d.tabs.keys().map(String::as_str).collect();
    assert_eq!(tabs, ["live"], "the static tab is a file, the boom tab failed");
    assert!(d.tabs["live"].contains("<p>for ann</p>"));
    assert_eq!(d.page.as_deref(), Some("<p>slot banner for ann</p>"));
    assert_eq!(d.scripts.as_deref(), Some("window.liveLoaded = true;"));
    let health = p.health();
    assert_eq!(health.strikes, 0, "page content never strikes: {health:?}");
    assert!(health.http_failures >= 3, "{health:?}");

    let server = owncast_plugin_server::PluginServer::new(h.clone(), owncast_plugin_server::ServerConfig::default());
    let req = http::Request::get("/api/plugins/config").body(bytes::Bytes::new()).unwrap();
    let r = server.handle(req, "127.0.0.1:9".parse().unwrap()).await;
    let j: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    let titles: Vec<&str> = j["pluginTabs"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Static", "Live"]);
    let live = j["pluginTabs"][1]["html"].as_str().unwrap();
    assert_eq!(live, "<h2>Tab live</h2><p>for guest</p>", "sanitized: no handler, no script");
    let css = j["pluginStyles"].as_str().unwrap();
    assert!(css.starts_with("/* plugin: page-tour — fixed.css */\n.fixed { color: blue }\n/* plugin: page-tour — on_page_styles */\n.live { color: red }<\\/style>"), "{css}");
    let js = j["customJavascript"].as_str().unwrap();
    assert!(
        js.contains("try {\nwindow.fixedLoaded = true;\n}") && js.contains("try {\nwindow.liveLoaded = true;\n}"),
        "{js}"
    );
}

#[tokio::test]
async fn newest_tour_scenarios_pass() {
    scenarios("newest-tour").await;
}

/// A log line over the cap reaches Owncast cut to 8 KiB, still attributed.
#[tokio::test]
async fn newest_tour_long_log_lines_are_capped() {
    let Some(dir) = fixture("newest-tour") else { return };
    let sim = Arc::new(SimulatedOwncast::default());
    let h = host_on(sim.clone());
    h.load(PluginBundle::from_dir(&dir).unwrap()).await.unwrap();
    h.notify(&say("!longlog")).await;
    let logs = sim.effects().logs;
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0].plugin, "newest-tour");
    assert_eq!(logs[0].level, owncast_plugin_host::owncast::LogLevel::Info);
    assert_eq!(logs[0].message, "x".repeat(owncast_plugin_host::capabilities::log::MAX_LOG_BYTES));
}

fn say(body: &str) -> owncast_plugin_host::event::Event {
    chat(body)
}

/// Effects of host-tour that scenario files have no assertion for.
#[tokio::test]
async fn host_tour_effects_beyond_the_scenario_format() {
    let Some(dir) = fixture("host-tour") else { return };
    let sim = Arc::new(SimulatedOwncast::default());
    let data = tempfile::tempdir().unwrap();
    let h = Host::builder(sim.clone(), Arc::new(NetworkOutbound))
        .runtime(runtime(|_| {}))
        .data_dir(data.path())
        .loader(Arc::new(ExtismLoader::new()))
        .build()
        .unwrap();
    h.load(PluginBundle::from_dir(&dir).unwrap()).await.unwrap();
    let mut frames = h.services().sse.subscribe("host-tour", "live", std::net::Ipv4Addr::LOCALHOST.into()).unwrap();
    for cmd in [
        "!chat",
        "!moderate m1",
        "!usermod u-spammer",
        "!notify",
        "!upload twelve bytes",
        "!sse 5",
        "!ui keep",
        "!fs kept",
    ] {
        h.notify(&say(cmd)).await;
    }
    let fx = sim.effects();
    assert!(
        fx.chat.iter().any(|(_, m)| *m == ChatSend::To { client_id: 42, body: "just for you".into() }),
        "{:?}",
        fx.chat
    );
    assert_eq!(fx.kicked_clients, vec![7]);
    assert_eq!(
        fx.user_changes,
        vec![("u-spammer".to_string(), false, "spamming".to_string()), ("u-friend".to_string(), true, String::new())]
    );
    assert_eq!(fx.banned_ips, vec!["10.0.0.9".to_string()]);
    assert_eq!(
        fx.fediverse_notifications,
        vec![FediverseNotification {
            kind: "live".into(),
            body: "live on the fediverse".into(),
            image: None,
            link: Some("https://owncast.example".into())
        }]
    );
    assert_eq!(fx.uploads, vec![("note.txt".to_string(), b"twelve bytes".to_vec())]);
    let frame = frames.frames.try_recv().unwrap();
    assert_eq!((frame.event.as_str(), frame.data.as_str()), ("tick", r#"{"n":"5"}"#));
    // An html-only button, sanitized, kept in the plugin's storage.
    let actions = h.get("host-tour").unwrap().context().runtime_actions();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].title, "Shop");
    assert_eq!(actions[0].html.as_deref(), Some("<i>buy</i>"));
    assert!(h.services().kv.get("plugins.kv.host-tour.owncast.actions").unwrap().is_some());
    // storage.fs stays inside the plugin's data directory.
    assert!(!data.path().join("host-tour/files/notes/today.txt").exists(), "deleted by the command");
    assert!(data.path().join("host-tour/files/notes").is_dir(), "in upstream's layout: <data>/<slug>/files/");
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

/// A refused outbound host ends the call with a typed refusal naming the host.
#[tokio::test]
async fn kernel_tour_refused_host_names_allowed_hosts() {
    let Some(dir) = fixture("kernel-tour") else { return };
    let b = PluginBundle::from_dir(&dir).unwrap();
    let h = host();
    let manifest: serde_json::Value = serde_json::from_slice(&b.manifest).unwrap();
    let mut inst = instance(&h, &manifest, &b.code, &b.code_file, None).await.unwrap();
    let err = expect_err(inst.on_event(&say("!fetch https://evil.example.net/x")).await);
    assert!(err.to_string().contains("evil.example.net is not in network.allowedHosts"), "{err}");
    assert!(
        matches!(&err, CallError::Refused(owncast_plugin_host::HostCallError::HostNotAllowed { host, .. }) if host == "evil.example.net"),
        "{err:?}"
    );
    // Without network.fetch granted, the same call is refused by permission.
    let mut inst = instance(
        &h,
        &manifest,
        &b.code,
        &b.code_file,
        Some(owncast_plugin_host::Permissions::new([
            owncast_plugin_host::Permission::ChatSend,
            owncast_plugin_host::Permission::ChatFilter,
            owncast_plugin_host::Permission::HttpServe,
        ])),
    )
    .await
    .unwrap();
    let err = expect_err(inst.on_event(&say("!fetch https://api.example.com/x")).await);
    assert!(err.to_string().contains("without permission network.fetch"), "{err}");
    assert!(
        matches!(
            &err,
            CallError::Refused(owncast_plugin_host::HostCallError::Denied {
                permission: owncast_plugin_host::Permission::NetworkFetch,
                ..
            })
        ),
        "{err:?}"
    );
}

/// hostile-legacy waiting in a host call (a WASI sleep, `http_request` to a
/// server that never answers, a slow `owncast_*` callback): the filter chain
/// moves on at the 50 ms filter deadline with a timeout strike, and the next
/// call gets a fresh instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_filter_waiting_in_a_host_call_is_cut_at_its_deadline() {
    use owncast_plugin_host::dispatcher::StepResult;
    let Some(dir) = fixture("hostile-legacy") else { return };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let slow = Arc::new(SimulatedOwncast::demo().with_latency(std::time::Duration::from_millis(1500)));
    let fetch = format!("fetch http://{addr}/slow");
    for body in ["sleep", fetch.as_str(), "history"] {
        let h = host_on(slow.clone());
        h.load(PluginBundle::from_dir(&dir).unwrap()).await.unwrap();
        let start = std::time::Instant::now();
        let out = h.filter(chat(body)).await;
        let took = start.elapsed();
        assert!(out.dropped.is_none(), "{body}: fails open: {:?}", out.dropped);
        let StepResult::Failed(err) = &out.steps[0].result else { panic!("{body}: {:?}", out.steps) };
        assert!(err.contains("timed out after 50ms"), "{body}: {err}");
        assert!(
            took < std::time::Duration::from_millis(600),
            "{body}: the chain moved on near the deadline ({took:?})"
        );
        assert_eq!(h.get("hostile-legacy").unwrap().health().strikes, 1, "{body}");
        if body != "history" {
            assert_eq!(
                h.filter(chat("hello")).await.steps[0].result,
                StepResult::Pass,
                "{body}: a fresh instance next"
            );
        }
    }
}
