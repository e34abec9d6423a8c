//! Chat commands routed by the host (upstream's `commands` in `register()`
//! output, `chat.command`, the built-in `!help`), with fake plugins behind
//! the real host: `Host::notify` of an accepted chat message runs them.

mod common;

use common::*;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::capabilities::PluginView;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::CallScope;
use owncast_plugin_host::{Host, LoadError, PluginBundle};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::{json, Value};
use std::sync::Arc;

fn with_commands(slug: &str, name: &str, permissions: &[&str], commands: Value) -> PluginBundle {
    let mut b = bundle(slug, permissions, json!({ "name": name }));
    b.code =
        fake_code_with(json!({"slug": slug, "version": "1.0.0", "permissions": permissions, "commands": commands}));
    b
}

fn host_on(sim: &Arc<SimulatedOwncast>) -> Host {
    Host::builder(sim.clone(), Arc::new(NetworkOutbound)).loader(Arc::new(FakeLoader)).build().unwrap()
}

fn chat(body: &str, user: Value, at: &str) -> Event {
    Event::new(
        "chat.message.received",
        &json!({"id": "m1", "user": user, "clientId": 9, "body": body, "timestamp": at, "extra": {"kept": true}}),
    )
}

fn viewer(id: &str) -> Value {
    json!({"id": id, "displayName": id})
}

fn commands_of(slug: &str) -> Vec<Value> {
    events_of(slug).into_iter().filter(|(t, _)| t == "chat.command").map(|(_, p)| p).collect()
}

const T0: &str = "2026-01-01T00:00:00Z";

#[tokio::test]
async fn matches_run_in_every_declaring_plugin_and_the_rest_is_silent() {
    let sim = Arc::new(SimulatedOwncast::demo());
    let host = host_on(&sim);
    host.load(with_commands("cmd-a", "Alpha", &[], json!([{"name": "ping", "aliases": ["p"]}]))).await.unwrap();
    let b = json!([
        {"name": "ping", "prefix": "!"},
        {"name": "announce", "modOnly": true},
        {"name": "shout", "cooldownMs": 1000}
    ]);
    host.load(with_commands("cmd-b", "Beta", &[], b)).await.unwrap();

    host.notify(&chat("!P  one two", viewer("u1"), T0)).await;
    let got = commands_of("cmd-a");
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0],
        json!({
            "message": {"id": "m1", "user": viewer("u1"), "clientId": 9, "body": "!P  one two", "timestamp": T0, "extra": {"kept": true}},
            "command": "ping", "invokedAs": "P", "args": ["one", "two"], "argString": "one two"
        })
    );
    assert!(commands_of("cmd-b").is_empty(), "the alias is cmd-a's only");
    host.notify(&chat("!ping", viewer("u1"), T0)).await;
    assert_eq!((commands_of("cmd-a").len(), commands_of("cmd-b").len()), (2, 1), "duplicates all run");

    host.notify(&chat("!announce hi", viewer("u1"), T0)).await;
    host.notify(&chat("!nope", viewer("u1"), T0)).await;
    let bot = json!({"id": "b", "displayName": "bot", "isBot": true, "scopes": ["MODERATOR"]});
    host.notify(&chat("!announce from a bot", bot, T0)).await;
    assert_eq!(commands_of("cmd-b").len(), 1, "mod-only, unknown and bot messages are silent");
    let moderator = json!({"id": "m", "displayName": "mo", "scopes": ["MODERATOR"]});
    host.notify(&chat("!announce hi", moderator, T0)).await;
    assert_eq!(commands_of("cmd-b").last().unwrap()["command"], "announce");

    let before = commands_of("cmd-b").len();
    host.notify(&chat("!shout", viewer("u1"), T0)).await;
    host.notify(&chat("!shout", viewer("u1"), "2026-01-01T00:00:00.500Z")).await;
    host.notify(&chat("!shout", viewer("u2"), "2026-01-01T00:00:00.500Z")).await;
    host.notify(&chat("!shout", viewer("u1"), "2026-01-01T00:00:01Z")).await;
    assert_eq!(commands_of("cmd-b").len() - before, 3, "one cooling down per user");
    assert!(sim.effects().chat.is_empty(), "nothing answered in chat: {:?}", sim.effects().chat);
}

#[tokio::test]
async fn the_host_answers_help_from_the_declarations() {
    let sim = Arc::new(SimulatedOwncast::demo());
    let host = host_on(&sim);
    let tracker = json!([{"name": "who", "description": "Who is <here>"}, {"name": "uptime"}]);
    host.load(with_commands("help-a", "Stream Tracker", &[], tracker)).await.unwrap();
    host.load(with_commands("help-b", "Mod Tools", &[], json!([{"name": "ban", "modOnly": true}]))).await.unwrap();
    host.load(with_commands("help-c", "Helper", &[], json!([{"name": "help"}]))).await.unwrap();

    host.notify(&chat("  !HELP ", viewer("u1"), T0)).await;
    let systems = |sim: &SimulatedOwncast| -> Vec<(String, String)> {
        sim.effects()
            .chat
            .iter()
            .filter_map(|(slug, m)| match m {
                ChatSend::System { html } => Some((slug.clone(), html.clone())),
                _ => None,
            })
            .collect()
    };
    let got = systems(&sim);
    assert_eq!(got.len(), 1, "{got:?}");
    let (from, html) = &got[0];
    assert_eq!(from, "", "the host answers, not a plugin");
    assert_eq!(
        html,
        "<p>Available chat commands:</p><p><strong>Helper</strong></p><ul><li><code>!help</code></li></ul>\
         <p><strong>Stream Tracker</strong></p><ul><li><code>!uptime</code></li><li><code>!who</code> — Who is &lt;here&gt;</li></ul>"
    );
    assert!(commands_of("help-c").is_empty(), "`!HELP ` is not `!help` for plugins: the prefix starts the body");
    host.notify(&chat("!help", viewer("u1"), T0)).await;
    assert_eq!(commands_of("help-c").len(), 1, "a plugin's own help command runs too");

    let moderator = json!({"id": "m", "displayName": "mo", "scopes": ["MODERATOR"]});
    host.notify(&chat("!commands", moderator, T0)).await;
    let got = systems(&sim);
    assert!(got.last().unwrap().1.contains("<strong>Mod Tools</strong></p><ul><li><code>!ban</code> <em>(mod)</em>"));
    let bot = json!({"id": "b", "displayName": "bot", "isBot": true});
    host.notify(&chat("!help", bot, T0)).await;
    assert_eq!(systems(&sim).len(), 3, "bots get no help");
}

#[tokio::test]
async fn declarations_are_checked_and_chat_command_is_the_hosts() {
    let sim = Arc::new(SimulatedOwncast::demo());
    let host = host_on(&sim);
    let many: Vec<Value> = (0..101).map(|i| json!({"name": format!("c{i}")})).collect();
    match host.load(with_commands("too-many", "Many", &[], json!(many))).await {
        Err(LoadError::Manifest(e)) => {
            assert_eq!(e.field, "commands");
            assert!(e.message.contains("at most 100"), "{e}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|p| p.slug().to_string())),
    }
    let dead = json!([{"name": "two words"}, {"name": "ok", "aliases": ["", "a b", "k"], "prefix": ""}]);
    let p = host.load(with_commands("dead", "Dead", &["events.emit"], dead)).await.unwrap();
    assert_eq!(p.commands.len(), 1);
    assert_eq!(p.commands[0].aliases, Some(vec!["k".to_string()]));
    assert_eq!(p.commands[0].prefix.as_deref(), Some("!"), "an empty prefix is the default");
    let fields: Vec<&str> = p.warnings.iter().map(|w| w.field.as_str()).collect();
    assert!(fields.contains(&"commands[0].name") && fields.contains(&"commands[1].aliases"), "{fields:?}");
    let e =
        PluginView { ctx: p.context(), call: &mut CallScope::default() }.emit_event("chat.command", "{}").unwrap_err();
    assert!(e.to_string().contains("plugins cannot emit it"), "{e}");
    host.notify(&chat("!k", viewer("u1"), T0)).await;
    assert_eq!(commands_of("dead").len(), 1);
    assert_eq!(host.run_chat_commands(&Event::new("chat.message.received", &json!("not an object"))).await, 0);
}
