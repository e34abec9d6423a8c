//! The scenario runner's expectations, each shown to pass when the plugin
//! did what it says and to fail (naming the key) when it did not, driven
//! through the built legacy fixtures (host-tour, kernel-tour) and the same
//! runner `owncast-plugin test` uses.
//!
//! A fixture that is not built fails the tests unless
//! `OWNCAST_SKIP_MISSING_GUESTS=1` asks to skip it.

mod common;

use common::*;
use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::PluginBundle;
use owncast_plugin_scenario::{format, ScenarioRunner};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

fn fixture(name: &str) -> Option<PluginBundle> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    if dir.join(format!("{name}.wasm")).is_file() {
        return Some(PluginBundle::from_dir(&dir).unwrap());
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

/// Runs one case (written as JSON) against a fixture; returns its failures.
async fn run(bundle: &PluginBundle, case: Value) -> Vec<String> {
    let text = json!([case]).to_string();
    let cases = format::parse(&text, "inline.test.json").unwrap_or_else(|e| panic!("{e}"));
    let runner = ScenarioRunner::new(runtime(|_| {}), vec![Arc::new(ExtismLoader::new())]);
    runner.run_case(bundle, &cases[0]).await
}

fn say(body: &str) -> Value {
    json!({ "event": "chat.message.received", "payload": chat_json(body) })
}

/// `expect` passes as `right` and fails as `wrong` with a message naming `key`.
async fn passes_and_fails(
    bundle: &PluginBundle,
    given: Value,
    steps: Vec<Value>,
    key: &str,
    right: Value,
    wrong: Value,
) {
    let case = |expect: Value| json!({ "name": key, "given": given, "events": steps, "expect": { key: expect } });
    let ok = run(bundle, case(right.clone())).await;
    assert!(ok.is_empty(), "expect.{key} = {right} should pass: {ok:#?}");
    let bad = run(bundle, case(wrong.clone())).await;
    assert_eq!(bad.len(), 1, "expect.{key} = {wrong} should fail once: {bad:#?}");
    assert!(bad[0].contains(&format!("expect.{key}")), "the failure names expect.{key}: {}", bad[0]);
}

#[tokio::test]
async fn every_effect_expectation_can_pass_and_fail() {
    let Some(tour) = fixture("host-tour") else { return };
    let t = &tour;
    let none = json!({});
    passes_and_fails(t, none.clone(), vec![say("!chat")], "chatSends", json!(["plain message"]), json!(["other"]))
        .await;
    passes_and_fails(t, none.clone(), vec![say("!chat")], "chatActions", json!(["waves"]), json!([])).await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!chat")],
        "chatSystems",
        json!(["<b>system</b>"]),
        json!(["<b>system</b><script>alert(1)</script>"]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!chat")],
        "chatTo",
        json!([{"clientId": 42, "text": "just for you"}]),
        json!([{"clientId": 41, "text": "just for you"}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!moderate m-bad")],
        "deletedMessages",
        json!(["m-bad"]),
        json!(["m-good"]),
    )
    .await;
    passes_and_fails(t, none.clone(), vec![say("!moderate m-bad")], "kickedClients", json!([7]), json!([8])).await;
    passes_and_fails(t, none.clone(), vec![say("!notify")], "discordPosts", json!(["we are live"]), json!([])).await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!notify")],
        "browserPushes",
        // A plain-text push is upstream's browserPush("x"): the text is the title.
        json!([{"title": "Live", "body": "Come watch", "url": "https://owncast.example"}, {"title": "plain text push"}]),
        // url is compared even when the expectation leaves it out, as upstream.
        json!([{"title": "Live", "body": "Come watch"}, {"title": "plain text push"}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!notify")],
        "fediversePosts",
        // host-tour sends upstream's structured notification.
        json!([{"type": "live", "body": "live on the fediverse", "link": "https://owncast.example"}]),
        json!([{"type": "follow", "body": "live on the fediverse", "link": "https://owncast.example"}]),
    )
    .await;
    passes_and_fails(t, none.clone(), vec![say("!post hello")], "fediverseOutbox", json!(["hello"]), json!(["hi"]))
        .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!usermod u-spammer")],
        "userModerations",
        json!([{"userId": "u-spammer", "enabled": false, "reason": "spamming"}, {"userId": "u-friend", "enabled": true}]),
        json!([{"userId": "u-spammer", "enabled": false}, {"userId": "u-friend", "enabled": true}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!usermod u-spammer")],
        "bannedIPs",
        json!(["10.0.0.9"]),
        json!(["10.0.0.8"]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!upload hi there")],
        "uploads",
        json!([{"name": "note.txt", "body": "hi there"}]),
        json!([{"name": "note.txt", "body": "bye"}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!upload hi there")],
        "uploads",
        json!([{"name": "note.txt"}]),
        json!([{"name": "other.txt"}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!video")],
        "videoConfigWrites",
        json!([{"latencyLevel": 3}]),
        json!([{"latencyLevel": 3, "codec": "x"}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!emit hi")],
        "emits",
        json!([{"eventType": "tour.ping", "payload": {"said": "hi"}}]),
        json!([{"eventType": "tour.ping", "payload": {"said": "ho"}}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!emit hi")],
        "emits",
        json!([{"eventType": "tour.ping"}]),
        json!([{"eventType": "tour.pong"}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!sse 5")],
        "sseSends",
        json!([{"channel": "live", "event": "tick", "data": "{\"n\":\"5\"}"}]),
        json!([{"channel": "dead"}]),
    )
    .await;
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!sse 5")],
        "sseSends",
        json!([{"channel": "live"}]),
        json!([{"channel": "live", "data": "6"}]),
    )
    .await;
    // kv: a value written, and a key never set equals "".
    passes_and_fails(
        t,
        none.clone(),
        vec![say("!kv hello")],
        "kv",
        json!({"greeting": "hello", "never-set": ""}),
        json!({"greeting": "hello", "never-set": "x"}),
    )
    .await;
    passes_and_fails(
        t,
        json!({"kv": {"greeting": "seeded"}}),
        vec![],
        "kv",
        json!({"greeting": "seeded"}),
        json!({"greeting": ""}),
    )
    .await;
}

#[tokio::test]
async fn given_feeds_the_simulated_owncast() {
    let Some(tour) = fixture("host-tour") else { return };
    let given = json!({
        "stream": {"online": true, "title": "Live!"},
        "server": {"name": "My Owncast"},
        "socials": [{"platform": "mastodon", "url": "https://m.example/@me"}],
        "federation": {"enabled": true},
        "tags": ["music", "chill"]
    });
    let right = json!(["stream online=true title=\"Live!\" broadcaster=none server=\"My Owncast\" socials=1 federation=true tags=[\"music\",\"chill\"]"]);
    passes_and_fails(&tour, given, vec![say("!server")], "chatSends", right, json!([])).await;
}

#[tokio::test]
async fn upload_and_post_urls_are_upstreams_mock_urls() {
    let Some(tour) = fixture("host-tour") else { return };
    let f = run(
        &tour,
        json!({"name": "u", "events": [say("!upload x"), say("!post hi")], "expect": {"chatSends": [
            "upload url=\"mock://uploads/note.txt\" bad=true",
            "posted \"mock://fediverse/host-tour/1\""
        ]}}),
    )
    .await;
    assert!(f.is_empty(), "{f:#?}");
}

#[tokio::test]
async fn http_requests_and_canned_responses_by_method() {
    let Some(kernel) = fixture("kernel-tour") else { return };
    let k = &kernel;
    let fetch = vec![say("!fetch https://api.example.com/ping")];
    // kernel-tour POSTs "ping"; a GET-only answer does not match it.
    let get_only = json!({"httpResponses": [{"url": "https://api.example.com/*", "method": "GET", "body": "get answer"},
                                            {"url": "https://api.example.com/*", "method": "post", "status": 202, "body": "post answer"}]});
    passes_and_fails(
        k,
        get_only.clone(),
        fetch.clone(),
        "chatSends",
        json!(["status=202 body=post answer content-type=-"]),
        json!(["status=200 body=get answer content-type=-"]),
    )
    .await;
    let only_get =
        json!({"httpResponses": [{"url": "https://api.example.com/*", "method": "GET", "body": "get answer"}]});
    passes_and_fails(
        k,
        only_get,
        fetch.clone(),
        "chatSends",
        json!([]),
        json!(["status=200 body=get answer content-type=-"]),
    )
    .await;
    passes_and_fails(
        k,
        get_only.clone(),
        fetch.clone(),
        "httpRequests",
        json!([{"url": "https://api.example.com/ping", "method": "POST", "body": "ping"}]),
        json!([{"url": "https://api.example.com/ping", "method": "GET"}]),
    )
    .await;
    passes_and_fails(
        k,
        get_only.clone(),
        fetch.clone(),
        "httpRequests",
        json!([{"url": "https://api.example.com/ping"}]),
        json!([{"url": "https://api.example.com/pong"}]),
    )
    .await;
    passes_and_fails(
        k,
        get_only,
        fetch,
        "httpRequests",
        json!([{"url": "https://api.example.com/ping"}]),
        json!([{"url": "https://api.example.com/ping", "body": "pong"}]),
    )
    .await;
}

/// A step's own expectation: `Some(needle)` must fail naming it, `None` must pass.
async fn step(bundle: &PluginBundle, step: Value, fails_with: Option<&str>) {
    let f = run(bundle, json!({"name": "step", "events": [step.clone()]})).await;
    match fails_with {
        None => assert!(f.is_empty(), "{step} should pass: {f:#?}"),
        Some(needle) => {
            assert_eq!(f.len(), 1, "{step} should fail: {f:#?}");
            assert!(f[0].contains(needle), "{step}: {} does not say {needle:?}", f[0]);
        }
    }
}

#[tokio::test]
async fn filter_steps_have_upstreams_semantics() {
    let Some(kernel) = fixture("kernel-tour") else { return };
    let k = &kernel;
    let filter = |body: &str, expect: Option<Value>| {
        let mut s = json!({"filter": "chat.message.received", "payload": chat_json(body)});
        if let Some(e) = expect {
            s["expect"] = e;
        }
        s
    };
    // No expect: the filter runs, nothing is checked.
    step(k, filter("shout hi", None), None).await;
    step(k, filter("all good", Some(json!({"action": "pass"}))), None).await;
    step(k, filter("shout hi", Some(json!({"action": "pass"}))), Some("expected pass with the payload unchanged"))
        .await;
    step(k, filter("a forbidden word", Some(json!({"action": "pass"}))), Some("got drop")).await;
    step(k, filter("shout hi", Some(json!({"action": "modify", "payload": {"body": "HI"}}))), None).await;
    step(k, filter("shout hi", Some(json!({"action": "modify", "payload": {"body": "hi"}}))), Some("payload differs"))
        .await;
    // modify without a payload only says the message was allowed through, as upstream.
    step(k, filter("all good", Some(json!({"action": "modify"}))), None).await;
    step(k, filter("a forbidden word", Some(json!({"action": "drop"}))), None).await;
    step(k, filter("all good", Some(json!({"action": "drop"}))), Some("expected drop, got pass")).await;
    step(
        k,
        filter("a forbidden word", Some(json!({"action": "drop", "reason": "nope"}))),
        Some("expected drop reason \"nope\""),
    )
    .await;
}

#[tokio::test]
async fn http_steps_have_upstreams_semantics() {
    let Some(kernel) = fixture("kernel-tour") else { return };
    let k = &kernel;
    let http = |expect: Option<Value>| {
        let mut h = json!({"path": "/status?verbose=1"});
        if let Some(e) = expect {
            h["expect"] = e;
        }
        json!({ "http": h })
    };
    step(k, http(None), None).await;
    step(k, http(Some(json!({"headers": {"cache-control": "no-store"}}))), None).await;
    step(k, http(Some(json!({"status": 200}))), None).await;
    step(k, http(Some(json!({"status": 201}))), Some("expected status 201, got 200")).await;
    step(k, http(Some(json!({"headers": {"cache-control": "public"}}))), Some("header cache-control")).await;
    step(k, http(Some(json!({"bodyContains": "\"greeting\":\"hello\""}))), None).await;
    step(k, http(Some(json!({"bodyContains": "goodbye"}))), Some("does not contain \"goodbye\"")).await;
    step(k, http(Some(json!({"body": {"greeting": "hello"}}))), None).await;
    step(k, http(Some(json!({"body": "not the body"}))), Some("body differs")).await;
}
