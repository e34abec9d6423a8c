//! The newer upstream host functions through their WIT interfaces (the
//! component path), with the `ambient` test guest (host/tests/guests/ambient):
//! timers on the real clock and on a manual one, cancelled on unload; bundled
//! assets; SQL; users.register; auth.gate's host-owned session cookie; the
//! server's emotes and log lines to Owncast's log.

mod common;

use common::sent;

use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::owncast::LogLevel;
use owncast_plugin_host::types::Emote;
use owncast_plugin_host::Host;
use owncast_plugin_server::{PluginServer, ServerConfig};
use owncast_plugin_testing::{PluginLog, SimulatedData, SimulatedOwncast};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn say(body: &str) -> Event {
    Event::new(
        "chat.message.received",
        &json!({"id": "m1", "user": {"id": "u1", "displayName": "alice"}, "body": body}),
    )
}

fn say_at(body: &str, at: &str) -> Event {
    Event::new(
        "chat.message.received",
        &json!({"id": "m1", "user": {"id": "u1", "displayName": "alice"}, "body": body, "timestamp": at}),
    )
}

async fn host(manual: bool) -> Option<(Arc<Host>, Arc<SimulatedOwncast>, tempfile::TempDir)> {
    let bundle = common::test_guest("ambient")?;
    let sim = Arc::new(SimulatedOwncast::new(SimulatedData::default()));
    let data = tempfile::tempdir().unwrap();
    let mut b = Host::builder(sim.clone(), Arc::new(NetworkOutbound)).data_dir(data.path());
    if manual {
        b = b.manual_timers();
    }
    let h = Arc::new(b.build().unwrap());
    h.load(bundle).await.unwrap();
    Some((h, sim, data))
}

#[tokio::test]
async fn timers_fire_on_the_real_clock_and_stop_with_the_plugin() {
    let Some((h, sim, _d)) = host(false).await else { return };
    h.start_timers();
    h.notify(&say("!timer 5")).await;
    assert_eq!(sent(&sim), ["timer set=true"]);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sent(&sim), ["timer set=true", "fired {\"id\":5}"], "the timer fired once, about 250 ms later");
    h.notify(&say("!timer 6")).await;
    assert_eq!(h.services().timers.pending("ambient"), 1);
    h.unload("ambient");
    assert_eq!(h.services().timers.pending("ambient"), 0, "unloading cancels the plugin's timers");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sent(&sim).len(), 3, "nothing fired after the unload: {:?}", sent(&sim));
}

#[tokio::test]
async fn timers_on_a_manual_clock() {
    let Some((h, sim, _d)) = host(true).await else { return };
    h.notify(&say("!timer 1")).await;
    h.notify(&say("!timer 2")).await;
    h.notify(&say("!clear 2")).await;
    assert_eq!(h.advance_timers(249).await.unwrap(), 0);
    assert_eq!(h.advance_timers(1).await.unwrap(), 1);
    assert_eq!(sent(&sim).last().unwrap(), "fired {\"id\":1}");
}

#[tokio::test]
async fn assets_sql_and_registration() {
    let Some((h, sim, d)) = host(true).await else { return };
    for c in ["!asset note.txt", "!asset ../plugin.manifest.json", "!sql bob", "!sql al", "!register zed"] {
        h.notify(&say(c)).await;
    }
    assert_eq!(
        sent(&sim),
        [
            "asset=component asset",
            "asset=(none)",
            "sql made=true id=1 names=bob pragma-refused=true",
            "sql made=true id=2 names=al,bob pragma-refused=true",
            "registered Ok(\"u-ambient-zed\")",
        ]
    );
    assert!(
        d.path().join("ambient/db/plugin.db").is_file(),
        "the plugin's database is in its storage directory, as upstream lays it out"
    );
    assert_eq!(sim.effects().user_registrations[0].auth_id, "zed");
}

/// A database and files of this host's earlier layout (`<old>/<slug>.sql/`,
/// `<old>/<slug>/`) are moved into upstream's (`<new>/<slug>/db/`,
/// `<new>/<slug>/files/`) when the host is built, and the plugin goes on with them.
#[tokio::test]
async fn the_earlier_storage_layout_is_migrated() {
    let Some((h, sim, d)) = host(true).await else { return };
    h.notify(&say("!sql bob")).await;
    assert_eq!(sent(&sim), ["sql made=true id=1 names=bob pragma-refused=true"]);
    h.unload("ambient");
    h.services().sql.close("ambient");
    drop(h);
    // What the earlier release left on disk.
    let old = tempfile::tempdir().unwrap();
    std::fs::rename(d.path().join("ambient/db"), old.path().join("ambient.sql")).unwrap();
    std::fs::create_dir_all(old.path().join("ambient/notes")).unwrap();
    std::fs::write(old.path().join("ambient/notes/a.txt"), "kept").unwrap();
    std::fs::remove_dir_all(d.path().join("ambient")).unwrap();

    let sim = Arc::new(SimulatedOwncast::new(SimulatedData::default()));
    let h = Arc::new(
        Host::builder(sim.clone(), Arc::new(NetworkOutbound))
            .data_dir(d.path())
            .migrate_storage_from(old.path())
            .manual_timers()
            .build()
            .unwrap(),
    );
    h.load(common::test_guest("ambient").unwrap()).await.unwrap();
    h.notify(&say("!sql al")).await;
    assert_eq!(sent(&sim), ["sql made=true id=2 names=al,bob pragma-refused=true"], "the migrated database is used");
    assert_eq!(std::fs::read_to_string(d.path().join("ambient/files/notes/a.txt")).unwrap(), "kept");
    assert!(!old.path().join("ambient.sql").exists() && !old.path().join("ambient").exists());
}

#[tokio::test]
async fn server_emotes_and_log_lines() {
    let Some((h, sim, _d)) = host(true).await else { return };
    sim.set_data(|d| {
        d.emotes = vec![
            Emote { name: "party".into(), url: "/img/emoji/party.gif".into() },
            Emote { name: "wave".into(), url: "https://cdn.example/wave.png".into() },
        ]
    });
    h.notify(&say("!emotes")).await;
    h.notify(&say("!warn disk almost full")).await;
    assert_eq!(sent(&sim), ["emotes party=/img/emoji/party.gif,wave=https://cdn.example/wave.png"]);
    assert_eq!(
        sim.effects().logs,
        [PluginLog { plugin: "ambient".into(), level: LogLevel::Warning, message: "disk almost full".into() }]
    );
}

#[tokio::test]
async fn the_gate_grants_a_signed_session_cookie() {
    let Some((h, sim, _d)) = host(true).await else { return };
    h.notify(&say("!grant u-ambient-carol")).await;
    assert!(sent(&sim)[0].contains("only available inside an on_http_request handler"), "{:?}", sent(&sim));
    let server = PluginServer::new(h.clone(), ServerConfig::new(h.runtime().limits()));
    let req = http::Request::get("/plugins/ambient/login").body(bytes::Bytes::new()).unwrap();
    let resp = server.handle(req, std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(String::from_utf8_lossy(resp.body()), "Ok(\"u-ambient-carol\")");
    let cookie =
        resp.headers().get("set-cookie").expect("the host set the session cookie").to_str().unwrap().to_string();
    assert!(cookie.contains("Max-Age=120") && cookie.contains("HttpOnly"), "{cookie}");
    let token = cookie.split(';').next().unwrap();
    let session = h.session(&format!("theme=dark; {token}")).expect("the cookie is a valid session");
    assert_eq!((session.user_id.as_str(), session.plugin.as_str()), ("u-ambient-carol", "ambient"));
    assert!(h.session("owncast_plugin_session=forged.token").is_none());
    assert_eq!(sim.effects().session_grants, vec![("u-ambient-carol".to_string(), 120)]);
    let req = http::Request::get("/plugins/ambient/logout").body(bytes::Bytes::new()).unwrap();
    let resp = server.handle(req, std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await;
    assert!(resp.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(sim.effects().session_clears, 1);
    // Unloaded, the gate's sessions are no longer honoured.
    h.unload("ambient");
    assert!(h.session(token).is_none());
}

#[tokio::test]
async fn one_gate_at_a_time() {
    let Some((h, _sim, _d)) = host(true).await else { return };
    let other = common::with_manifest(
        common::test_guest("ambient").unwrap(),
        r#"{"api":"1","name":"Gate Two","slug":"gate-two","version":"0.1.0","permissions":["chat.send","storage.sql","users.register","auth.gate","http.serve"],"subscriptions":{"notify":[{"event":"chat.message.received"}]}}"#,
    );
    let e = h.load(other).await.err().expect("a second gate is refused").to_string();
    assert!(e.contains("gate-two") && e.contains("ambient") && e.contains("auth.gate"), "{e}");
    h.unload("ambient");
    // With the first gate gone, a gate loads again (the fixture registers as
    // `ambient`, so it is the one reloaded).
    h.load(common::test_guest("ambient").unwrap()).await.expect("the only gate now");
}

/// A component declares chat commands in its WIT registration and receives
/// matches as the custom event `chat.command`.
#[tokio::test]
async fn a_component_declares_commands_and_the_host_routes_them() {
    let Some((h, sim, _d)) = host(true).await else { return };
    let p = h.get("ambient").unwrap();
    assert_eq!(p.commands.len(), 1);
    assert_eq!((p.commands[0].name.as_str(), p.commands[0].cooldown_ms), ("roll", Some(5000)));
    h.notify(&say_at("!DICE 2 d6", "2026-01-01T00:00:00Z")).await;
    h.notify(&say_at("!roll again", "2026-01-01T00:00:01Z")).await;
    h.notify(&say_at("!roll later", "2026-01-01T00:00:06Z")).await;
    assert_eq!(sent(&sim), ["alice rolls 2 d6 as DICE (2)", "alice rolls later as roll (1)"]);
    h.notify(&say_at("!help", "2026-01-01T00:00:07Z")).await;
    let help: Vec<String> = sim
        .effects()
        .chat
        .into_iter()
        .filter_map(|(s, m)| if let ChatSend::System { html } = m { (s.is_empty()).then_some(html) } else { None })
        .collect();
    assert_eq!(help.len(), 1);
    assert!(
        help[0].contains("<strong>Ambient</strong></p><ul><li><code>!roll</code> — Roll the dice</li>"),
        "{}",
        help[0]
    );
}

/// A component's page-content exports (world `page-content`) render its
/// dynamic tab and page slot and add CSS, merged by the server.
#[tokio::test]
async fn a_component_renders_page_content() {
    let Some((h, _sim, _d)) = host(true).await else { return };
    assert_eq!(
        h.call_content("ambient", owncast_plugin_host::ui::ContentHook::PageScripts, None).await.unwrap(),
        "",
        "the SDK's default"
    );
    let server = Arc::new(PluginServer::new(h.clone(), ServerConfig::default()));
    let req = http::Request::get("/api/plugins/config").body(bytes::Bytes::new()).unwrap();
    let r = server.handle(req, "127.0.0.1:9".parse().unwrap()).await;
    assert_eq!(r.status(), 200);
    let j: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(
        j["pluginTabs"],
        json!([{"slug": "ambient/now", "pluginSlug": "ambient", "title": "Now", "html": "<p>tab now for guest</p>"}])
    );
    assert_eq!(j["extraPageContent"], "<!-- plugin: ambient — on_page_content -->\n<p>slot hello</p>\n");
    assert_eq!(j["pluginStyles"], "/* plugin: ambient — on_page_styles */\n.ambient { color: green }\n");
    assert_eq!(j["customJavascript"], "", "an empty script is left out");
}
