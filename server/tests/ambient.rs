//! The newer upstream host functions through their WIT interfaces (the
//! component path), with the `ambient` test guest (host/tests/guests/ambient):
//! timers on the real clock and on a manual one, cancelled on unload; bundled
//! assets; SQL; users.register; auth.gate's host-owned session cookie.

mod common;

use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::Host;
use owncast_plugin_server::{PluginServer, ServerConfig};
use owncast_plugin_testing::{SimulatedData, SimulatedOwncast};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn say(body: &str) -> Event {
    Event::new(
        "chat.message.received",
        &json!({"id": "m1", "user": {"id": "u1", "displayName": "alice"}, "body": body}),
    )
}

fn sent(sim: &SimulatedOwncast) -> Vec<String> {
    sim.effects()
        .chat
        .into_iter()
        .filter_map(|(_, m)| if let ChatSend::Message { body } = m { Some(body) } else { None })
        .collect()
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
    assert!(d.path().join("ambient.sql/plugin.db").is_file(), "the plugin's database is in the data directory");
    assert_eq!(sim.effects().user_registrations[0].auth_id, "zed");
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
