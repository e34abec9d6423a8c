//! Dispatcher semantics, with scripted plugins behind a test-only loader:
//! the dispatcher, the context and the host services are the real ones.

mod common;

use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::capabilities::PluginView;
use owncast_plugin_host::dispatcher::HttpDispatchError;
use owncast_plugin_host::event::{Event, Verdict};
use owncast_plugin_host::plugin::{LoadRequest, PluginCode};
use owncast_plugin_host::types::{self, *};
use owncast_plugin_host::{
    CallError, CallScope, Host, LoadError, PluginBundle, PluginContext, PluginInstance, PluginLoader,
};
use owncast_plugin_testing::SimulatedOwncast;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Code `SCRIPT:<behaviour>`.
struct ScriptLoader;

struct ScriptCode(String);

struct ScriptInstance {
    behaviour: String,
    ctx: Arc<PluginContext>,
    call: CallScope,
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// `(slug, event type, payload)` of every event a `recorder` got.
static RECORDED: std::sync::Mutex<Vec<(String, String, serde_json::Value)>> = std::sync::Mutex::new(Vec::new());
static MAX_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

impl PluginLoader for ScriptLoader {
    fn kind(&self) -> &'static str {
        "script"
    }
    fn recognizes(&self, bytes: &[u8], _: &str) -> bool {
        bytes.starts_with(b"SCRIPT:")
    }
    fn load(&self, req: LoadRequest<'_>) -> Result<Arc<dyn PluginCode>, LoadError> {
        Ok(Arc::new(ScriptCode(String::from_utf8_lossy(&req.bytes[7..]).into_owned())))
    }
}

#[async_trait::async_trait]
impl PluginCode for ScriptCode {
    async fn instantiate(
        &self,
        ctx: Arc<PluginContext>,
        deadline: Option<std::time::Instant>,
    ) -> Result<Box<dyn PluginInstance>, CallError> {
        Ok(Box::new(ScriptInstance { behaviour: self.0.clone(), ctx, call: CallScope::new(deadline) }))
    }
}

#[async_trait::async_trait]
impl PluginInstance for ScriptInstance {
    fn scope(&mut self) -> &mut CallScope {
        &mut self.call
    }
    async fn register(&mut self) -> Result<Registration, CallError> {
        Ok(self.ctx.manifest().registration())
    }
    async fn on_event(&mut self, event: &Event) -> Result<(), CallError> {
        match self.behaviour.as_str() {
            // Re-emits every `loop` event it gets: an endless chain the depth cap must stop.
            "looper" => {
                let n = self.ctx.kv_get("n").unwrap().unwrap_or_default().parse::<u32>().unwrap_or(0);
                self.ctx.kv_set("n", &(n + 1).to_string()).unwrap();
                PluginView { ctx: &self.ctx, call: &mut self.call }.emit_event("loop", "{}").unwrap();
                Ok(())
            }
            "slow" => {
                let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
                MAX_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
                IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
            "broken" => Err(CallError::Trap("boom".into())),
            "recorder" => {
                let e = (self.ctx.slug().to_string(), event.event_type().to_string(), event.payload_json());
                RECORDED.lock().unwrap().push(e);
                Ok(())
            }
            "sneaky" => {
                // A plugin without chat.send calling it anyway, through the
                // call-time gate a loader linking every host function applies
                // (as the legacy shim does for a shared engine).
                self.ctx
                    .require(owncast_plugin_host::Permission::ChatSend, "owncast_send_chat")
                    .and_then(|()| self.ctx.chat_send("hi"))
                    .map_err(CallError::Refused)
            }
            _ => {
                let _ = event;
                Ok(())
            }
        }
    }
    async fn on_filter(&mut self, event: &Event) -> Result<Verdict, CallError> {
        match self.behaviour.as_str() {
            "upper" => {
                let Ok(types::Event::ChatMessageReceived(mut m)) = event.typed() else { return Ok(Verdict::Pass) };
                m.body = m.body.to_uppercase();
                Ok(Verdict::Modify(types::Event::ChatMessageReceived(m).into()))
            }
            "exclaim" => {
                let Ok(types::Event::ChatMessageReceived(mut m)) = event.typed() else { return Ok(Verdict::Pass) };
                m.body.push('!');
                Ok(Verdict::Modify(types::Event::ChatMessageReceived(m).into()))
            }
            "timeout" => Err(CallError::Timeout(Duration::from_millis(50))),
            "shapeshifter" => Ok(Verdict::Modify(types::Event::StreamStarted(StreamLifecycle::default()).into())),
            _ => Ok(Verdict::Pass),
        }
    }
    async fn on_http_request(&mut self, _: &HttpRequest) -> Result<HttpResponse, CallError> {
        Err(CallError::Guest("no".into()))
    }
}

fn plugin(slug: &str, behaviour: &str, perms: &str, subs: &str, priority: i32) -> PluginBundle {
    PluginBundle {
        manifest: format!(
            r#"{{"name":"{slug}","slug":"{slug}","version":"1.0.0","permissions":[{perms}],"subscriptions":{subs},"filterPriority":{priority}}}"#
        )
        .into_bytes(),
        manifest_file: format!("{slug}/plugin.manifest.json"),
        code: format!("SCRIPT:{behaviour}").into_bytes(),
        code_file: format!("{slug}/{slug}.script"),
        assets: Default::default(),
        approved: None,
    }
}

fn host() -> Host {
    Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
        .runtime(common::runtime())
        .loader(Arc::new(ScriptLoader))
        .build()
        .unwrap()
}

fn chat(body: &str) -> Event {
    types::Event::ChatMessageReceived(ChatMessage { body: body.into(), ..Default::default() }).into()
}

const FILTER_CHAT: &str = r#"{"filter":[{"event":"chat.message.received"}]}"#;

#[tokio::test]
async fn emitted_events_nest_at_most_eight_deep() {
    let h = host();
    h.load(plugin("looper", "looper", r#""events.emit","storage.kv""#, r#"{"notify":[{"event":"loop"}]}"#, 0))
        .await
        .unwrap();
    h.notify(&Event::from_json("loop", serde_json::json!({})).unwrap()).await;
    let n = h.services().kv.get("plugins.kv.looper.n").unwrap().unwrap();
    assert_eq!(n, "9", "the original event plus 8 nested re-emits");
}

#[tokio::test]
async fn each_filter_sees_the_previous_output_in_priority_order() {
    let h = host();
    h.load(plugin("b-exclaim", "exclaim", r#""chat.filter""#, FILTER_CHAT, 20)).await.unwrap();
    h.load(plugin("a-upper", "upper", r#""chat.filter""#, FILTER_CHAT, 10)).await.unwrap();
    h.load(plugin("c-timeout", "timeout", r#""chat.filter""#, FILTER_CHAT, 15)).await.unwrap();
    let out = h.filter(chat("hi")).await;
    let Ok(types::Event::ChatMessageReceived(m)) = out.event.typed() else { panic!() };
    assert_eq!(m.body, "HI!");
    let order: Vec<_> = out.steps.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(order, ["a-upper", "c-timeout", "b-exclaim"]);
    assert_eq!(h.get("c-timeout").unwrap().health().strikes, 1, "a timeout fails open and earns a strike");
}

/// The chain and the notified plugins are worked out once per set of
/// plugins: a load, a replacement (with another priority), an unload and a
/// disabled plugin show in the next message's route.
#[tokio::test]
async fn routes_follow_loads_replacements_unloads_and_disabling() {
    let h = host();
    let order = |out: owncast_plugin_host::dispatcher::FilterOutcome| -> Vec<String> {
        out.steps.into_iter().map(|s| s.slug).collect()
    };
    h.load(plugin("b", "upper", r#""chat.filter""#, FILTER_CHAT, 20)).await.unwrap();
    assert_eq!(order(h.filter(chat("hi")).await), ["b"]);
    h.load(plugin("a", "upper", r#""chat.filter""#, FILTER_CHAT, 10)).await.unwrap();
    assert_eq!(order(h.filter(chat("hi")).await), ["a", "b"]);
    h.load(plugin("a", "upper", r#""chat.filter""#, FILTER_CHAT, 30)).await.unwrap();
    assert_eq!(order(h.filter(chat("hi")).await), ["b", "a"], "the replacement's priority");
    h.unload("b");
    assert_eq!(order(h.filter(chat("hi")).await), ["a"]);
    h.load(plugin("t", "timeout", r#""chat.filter""#, FILTER_CHAT, 0)).await.unwrap();
    for _ in 0..h.runtime().limits().max_strikes {
        h.filter(chat("hi")).await;
    }
    assert!(!h.get("t").unwrap().is_enabled());
    assert_eq!(order(h.filter(chat("hi")).await), ["a"], "a disabled plugin leaves the chain");
    assert_eq!(h.filter_chain("chat.message.received").len(), 1);
}

#[tokio::test]
async fn a_filter_may_not_change_the_event_type() {
    let h = host();
    h.load(plugin("shapeshifter", "shapeshifter", r#""chat.filter""#, FILTER_CHAT, 0)).await.unwrap();
    let out = h.filter(chat("hi")).await;
    assert_eq!(out.event.event_type(), "chat.message.received");
    assert!(h.get("shapeshifter").unwrap().health().last_error.unwrap().contains("stream.started"));
}

#[tokio::test]
async fn notifications_run_concurrently_across_plugins_and_serially_within_one() {
    let h = Arc::new(host());
    let subs = r#"{"notify":[{"event":"tick"}]}"#;
    h.load(plugin("slow-a", "slow", "", subs, 0)).await.unwrap();
    h.load(plugin("slow-b", "slow", "", subs, 0)).await.unwrap();
    let tick = Event::from_json("tick", serde_json::json!({})).unwrap();
    let start = Instant::now();
    // Two notifications at once: each plugin gets both, one after the other.
    let (h1, h2) = (h.clone(), h.clone());
    let (t1, t2) = (tick.clone(), tick.clone());
    tokio::join!(async move { h1.notify(&t1).await }, async move { h2.notify(&t2).await });
    let took = start.elapsed();
    assert_eq!(MAX_IN_FLIGHT.load(Ordering::SeqCst), 2, "two plugins ran at the same time, never one plugin twice");
    assert!(took >= Duration::from_millis(400), "calls into one plugin are serialized ({took:?})");
    assert!(took < Duration::from_millis(800), "different plugins run in parallel ({took:?})");
}

#[tokio::test]
async fn notification_failures_strike_but_http_failures_do_not() {
    let h = host();
    h.load(plugin("broken", "broken", r#""http.serve""#, r#"{"notify":[{"event":"tick"}]}"#, 0)).await.unwrap();
    let tick = Event::from_json("tick", serde_json::json!({})).unwrap();
    for _ in 0..3 {
        h.notify(&tick).await;
    }
    for i in 0..20 {
        // Distinct routes, so none is backed off: every request reaches the plugin.
        let req = HttpRequest { method: "GET".into(), path: format!("r{i}"), ..Default::default() };
        assert!(matches!(h.http_request("broken", &req).await, Err(HttpDispatchError::Failed { .. })));
    }
    let health = h.get("broken").unwrap().health();
    assert!(health.disabled.is_none(), "{:?}", health.disabled);
    assert_eq!((health.strikes, health.failures, health.http_failures), (3, 3, 20));
    h.notify(&tick).await;
    h.notify(&tick).await;
    let health = h.get("broken").unwrap().health();
    assert!(health.disabled.unwrap().contains("on_event"), "notifications still strike");
}

#[tokio::test]
async fn a_call_outside_the_grant_is_refused_at_run_time() {
    let h = host();
    h.load(plugin("sneaky", "sneaky", "", r#"{"notify":[{"event":"tick"}]}"#, 0)).await.unwrap();
    h.notify(&Event::from_json("tick", serde_json::json!({})).unwrap()).await;
    let err = h.get("sneaky").unwrap().health().last_error.unwrap();
    assert!(err.contains("without permission chat.send"), "{err}");
}

#[tokio::test]
async fn subscribers_get_a_tick_about_every_second_until_unloaded() {
    let h = Arc::new(host());
    let ticks = |slug: &str| -> Vec<u64> {
        let r = RECORDED.lock().unwrap();
        r.iter().filter(|(s, t, _)| s == slug && t == "tick").map(|(_, _, p)| p["now"].as_u64().unwrap()).collect()
    };
    h.load(plugin("ticker", "recorder", r#""events.emit""#, r#"{"notify":[{"event":"tick"}]}"#, 0)).await.unwrap();
    h.load(plugin("deaf", "recorder", "", r#"{"notify":[{"event":"chat.message.received"}]}"#, 0)).await.unwrap();
    assert!(h.services().timers.ticking("ticker") && !h.services().timers.ticking("deaf"));
    assert_eq!(h.services().timers.pending("ticker"), 0, "the tick is not one of the plugin's own timers");
    h.start_timers();
    tokio::time::sleep(Duration::from_millis(2400)).await;
    let got = ticks("ticker");
    assert_eq!(got.len(), 2, "two ticks in 2.4 s: {got:?}");
    assert!((800..1500).contains(&(got[1] - got[0])), "about a second apart: {got:?}");
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    assert!(wall - got[1] < 2000, "`now` is wall-clock ms: {got:?} vs {wall}");
    assert!(ticks("deaf").is_empty(), "a plugin not subscribed gets no tick");

    let p = h.get("ticker").unwrap();
    let err = PluginView { ctx: p.context(), call: &mut CallScope::default() }.emit_event("tick", "{}").unwrap_err();
    assert!(err.to_string().contains("plugins cannot emit it"), "{err}");

    h.unload("ticker");
    assert!(!h.services().timers.ticking("ticker"));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(ticks("ticker").len(), 2, "no tick after the unload");
}

#[tokio::test]
async fn plugins_may_not_emit_builtin_events() {
    let h = host();
    let p = h.load(plugin("spoofer", "none", r#""events.emit""#, "{}", 0)).await.unwrap();
    let mut call = CallScope::default();
    let mut view = PluginView { ctx: p.context(), call: &mut call };
    let err = view.emit_event("chat.message.received", "{}").unwrap_err();
    assert!(err.to_string().contains("built-in"), "{err}");
    assert!(view.emit_event("x.y", "not json").unwrap_err().to_string().contains("not JSON"));
}

#[tokio::test]
async fn chat_filter_and_http_serve_are_checked_against_the_grant() {
    use owncast_plugin_host::{HostCallError, Permission, Permissions};
    let h = host();
    // Declared, but the admin approved nothing: the filter is refused at load.
    let mut b = plugin("unapproved", "upper", r#""chat.filter""#, FILTER_CHAT, 0);
    b.approved = Some(Permissions::new([]));
    match h.load(b).await {
        Err(LoadError::UngrantedFilter {
            event,
            permission: Permission::ChatFilter,
            granted_by_manifest: true,
            ..
        }) => {
            assert_eq!(event, "chat.message.received")
        }
        Err(e) => panic!("expected an ungranted filter, got {e}"),
        Ok(_) => panic!("expected an ungranted filter, got a loaded plugin"),
    }
    assert!(h.filter_chain("chat.message.received").is_empty());
    // HTTP without http.serve: a typed refusal, through the same gate as host calls.
    h.load(plugin("quiet", "upper", "", r#"{"notify":[{"event":"tick"}]}"#, 0)).await.unwrap();
    let req = HttpRequest { method: "GET".into(), ..Default::default() };
    match h.http_request("quiet", &req).await {
        Err(HttpDispatchError::NotServing(HostCallError::Denied { permission: Permission::HttpServe, .. })) => {}
        other => panic!("expected a typed refusal, got {other:?}"),
    }
}
