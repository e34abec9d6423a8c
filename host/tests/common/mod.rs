//! Test support: a fake plugin kind that goes through the real host API, the
//! built guest plugins (examples/rust, host/tests/guests) and a host of the
//! hostile guest. The server's tests include this module too
//! (server/tests/common).
#![allow(dead_code)]

use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::context::{CallScope, PluginContext};
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::event::{Event, Verdict};
use owncast_plugin_host::owncast::{ChatSend, Owncast};
use owncast_plugin_host::plugin::{CallError, LoadError, LoadRequest, PluginCode, PluginInstance, PluginLoader};
use owncast_plugin_host::types::{self, ChatMessage};
use owncast_plugin_host::types::{ContentRequest, HttpRequest, HttpResponse, Registration};
use owncast_plugin_host::ui::ContentHook;
use owncast_plugin_host::{Host, HostBuilder, Limits, PluginBundle, Runtime, RuntimeConfig};
use owncast_plugin_testing::SimulatedOwncast;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

// ---- the fake plugin kind ---------------------------------------------------

/// Code of a fake plugin: `FAKE` followed by JSON `{slug, version,
/// permissions, registerFails?, noHttpHandler?, commands?, content?}` (what
/// `register()` reports; `content` maps a content export's name to what it
/// returns: text, in which `{slug}` and `{user}` are the request's, or
/// `"FAIL"` (fails) or `"SLOW"` (answers after 30 s)).
pub fn fake_code(slug: &str, version: &str, permissions: &[&str]) -> Vec<u8> {
    let mut b = b"FAKE".to_vec();
    b.extend(serde_json::to_vec(&json!({"slug": slug, "version": version, "permissions": permissions})).unwrap());
    b
}

pub fn fake_code_with(v: Value) -> Vec<u8> {
    let mut b = b"FAKE".to_vec();
    b.extend(serde_json::to_vec(&v).unwrap());
    b
}

pub fn manifest(slug: &str, version: &str, permissions: &[&str], extra: Value) -> Vec<u8> {
    let mut m = json!({"api": "1", "name": format!("Fake {slug}"), "slug": slug, "version": version, "permissions": permissions});
    if let (Some(o), Some(e)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec_pretty(&m).unwrap()
}

/// Every content export any fake plugin was asked for: `(slug, export)`.
pub static CONTENT_CALLS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// The bodies of the ordinary chat messages plugins sent through `sim`.
pub fn sent(sim: &SimulatedOwncast) -> Vec<String> {
    sim.effects()
        .chat
        .into_iter()
        .filter_map(|(_, m)| if let ChatSend::Message { body } = m { Some(body) } else { None })
        .collect()
}

/// Every event any fake plugin received: `(slug, event type, payload)`.
pub static EVENTS: Mutex<Vec<(String, String, Value)>> = Mutex::new(Vec::new());

pub fn events_of(slug: &str) -> Vec<(String, Value)> {
    EVENTS.lock().unwrap().iter().filter(|(s, _, _)| s == slug).map(|(_, t, p)| (t.clone(), p.clone())).collect()
}

pub struct FakeLoader;

impl PluginLoader for FakeLoader {
    fn kind(&self) -> &'static str {
        "fake"
    }
    fn recognizes(&self, bytes: &[u8], _file: &str) -> bool {
        bytes.starts_with(b"FAKE")
    }
    fn load(&self, req: LoadRequest<'_>) -> Result<Arc<dyn PluginCode>, LoadError> {
        let spec: Value = serde_json::from_slice(&req.bytes[4..])
            .map_err(|e| LoadError::Code { file: req.file.to_string(), message: format!("bad fake code: {e}") })?;
        Ok(Arc::new(FakeCode { spec }))
    }
}

struct FakeCode {
    spec: Value,
}

#[async_trait::async_trait]
impl PluginCode for FakeCode {
    async fn instantiate(
        &self,
        ctx: Arc<PluginContext>,
        deadline: Option<std::time::Instant>,
    ) -> Result<Box<dyn PluginInstance>, CallError> {
        Ok(Box::new(FakeInstance { spec: self.spec.clone(), ctx, call: CallScope::new(deadline) }))
    }
}

struct FakeInstance {
    spec: Value,
    ctx: Arc<PluginContext>,
    call: CallScope,
}

fn query_param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[async_trait::async_trait]
impl PluginInstance for FakeInstance {
    fn scope(&mut self) -> &mut CallScope {
        &mut self.call
    }
    async fn register(&mut self) -> Result<Registration, CallError> {
        if self.spec["registerFails"].as_bool() == Some(true) {
            return Err(CallError::Guest("register exploded".into()));
        }
        let s = |k: &str| self.spec[k].as_str().unwrap_or_default().to_string();
        Ok(Registration {
            slug: s("slug"),
            name: s("slug"),
            version: s("version"),
            permissions: self.spec["permissions"]
                .as_array()
                .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            subscriptions: Default::default(),
            commands: serde_json::from_value(self.spec["commands"].clone()).unwrap_or_default(),
        })
    }

    async fn content(
        &mut self,
        hook: ContentHook,
        request: Option<&ContentRequest>,
    ) -> Result<Option<String>, CallError> {
        CONTENT_CALLS.lock().unwrap().push((self.ctx.slug().to_string(), hook.export().to_string()));
        match self.spec["content"][hook.export()].as_str() {
            None => Ok(None),
            Some("FAIL") => Err(CallError::Trap(format!("{} failed", hook.export()))),
            Some("SLOW") => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(Some("late".into()))
            }
            Some(text) => {
                let slug = request.map(|r| r.slug.as_str()).unwrap_or_default();
                let user = request.and_then(|r| r.user.as_ref()).map(|u| u.display_name.as_str()).unwrap_or("guest");
                Ok(Some(text.replace("{slug}", slug).replace("{user}", user)))
            }
        }
    }

    async fn on_event(&mut self, event: &Event) -> Result<(), CallError> {
        EVENTS.lock().unwrap().push((
            self.ctx.slug().to_string(),
            event.event_type().to_string(),
            event.payload_json(),
        ));
        match event.event_type() {
            "fail" => Err(CallError::Trap("notification failed".into())),
            _ => Ok(()),
        }
    }

    async fn on_filter(&mut self, _event: &Event) -> Result<Verdict, CallError> {
        Ok(Verdict::Pass)
    }

    async fn on_http_request(&mut self, r: &HttpRequest) -> Result<HttpResponse, CallError> {
        if self.spec["noHttpHandler"] == true {
            // Like a legacy module that does not export `on_http_request`.
            return Err(CallError::MissingExport("on_http_request"));
        }
        let q = r.query.as_slice();
        let ok = |body: String| HttpResponse { status: 200, headers: vec![], body };
        match r.path.trim_start_matches('/') {
            "echo" => Ok(HttpResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: serde_json::to_string(r).unwrap(),
            }),
            "big" => Ok(ok("x".repeat(query_param(q, "n").unwrap().parse().unwrap()))),
            "status" => Ok(HttpResponse {
                status: query_param(q, "code").unwrap().parse().unwrap(),
                headers: vec![],
                body: "s".into(),
            }),
            "headers" => Ok(HttpResponse {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), "text/html; charset=utf-8".into()),
                    ("Set-Cookie".into(), "session=stolen".into()),
                    ("Connection".into(), "close".into()),
                    ("Transfer-Encoding".into(), "chunked".into()),
                    ("Keep-Alive".into(), "timeout=5".into()),
                    ("X-Accel-Redirect".into(), "/internal/secret".into()),
                    ("Cache-Control".into(), "max-age=60".into()),
                    ("Access-Control-Allow-Origin".into(), "*".into()),
                    ("Allow".into(), "GET".into()),
                    ("WWW-Authenticate".into(), "Basic realm=\"phish\"".into()),
                ],
                body: "<p>hi</p>".into(),
            }),
            // Answers what the request body (JSON `{status, headers: [[name, value]], body}`) says.
            "respond" => serde_json::from_str(&r.body).map_err(|e| CallError::Guest(format!("respond: {e}"))),
            "timeout" => Err(CallError::Timeout(Duration::from_millis(5000))),
            "fail" => Err(CallError::Trap("unreachable executed".into())),
            "sse" => {
                let n: usize = query_param(q, "n").unwrap_or("1").parse().unwrap();
                let ch = query_param(q, "ch").unwrap_or("live");
                let size: usize = query_param(q, "size").unwrap_or("8").parse().unwrap();
                let pad = "p".repeat(size);
                for i in 0..n {
                    self.ctx
                        .sse_send(ch, "tick", &format!("{i} {pad}"))
                        .map_err(|e| CallError::Guest(e.to_string()))?;
                }
                Ok(ok(format!("sent {n}")))
            }
            "config" => {
                Ok(ok(self.ctx.config_get(query_param(q, "key").unwrap()).unwrap_or_else(|| "undeclared".into())))
            }
            "version" => Ok(ok(self.spec["version"].as_str().unwrap_or_default().to_string())),
            _ => Ok(ok(format!("fake {} handled {} {}", self.ctx.slug(), r.method, r.path))),
        }
    }
}

// ---- hosts --------------------------------------------------------

pub fn host() -> Arc<Host> {
    Arc::new(
        Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
            .loader(Arc::new(FakeLoader))
            .build()
            .unwrap(),
    )
}

pub fn bundle(slug: &str, permissions: &[&str], extra: Value) -> PluginBundle {
    PluginBundle {
        manifest: manifest(slug, "1.0.0", permissions, extra),
        manifest_file: format!("{slug}.manifest.json"),
        code: fake_code(slug, "1.0.0", permissions),
        code_file: format!("{slug}.fake"),
        assets: Default::default(),
        approved: None,
    }
}

pub fn json_map(v: Value) -> BTreeMap<String, Value> {
    v.as_object().unwrap().clone().into_iter().collect()
}

// ---- built guests ---------------------------------------------------------------------

/// One engine for all tests of a binary (as in production: one per process).
pub fn runtime() -> Arc<Runtime> {
    static RT: OnceLock<Arc<Runtime>> = OnceLock::new();
    RT.get_or_init(|| Runtime::new(RuntimeConfig { max_instances: 100, ..Default::default() }).unwrap()).clone()
}

/// Whether tests may skip when a guest is not built: only when asked
/// explicitly with `OWNCAST_SKIP_MISSING_GUESTS=1`; by default a missing
/// guest fails the test, so nothing passes without running.
pub fn may_skip_missing_guests() -> bool {
    std::env::var("OWNCAST_SKIP_MISSING_GUESTS").is_ok_and(|v| v == "1")
}

/// A built guest plugin directory (`tools/build-rust-guests.sh`). A missing
/// one fails the test; `None` (test skipped) only with `OWNCAST_SKIP_MISSING_GUESTS=1`.
fn built(dir: &Path) -> Option<PluginBundle> {
    match PluginBundle::from_dir(dir) {
        Ok(b) => Some(b),
        Err(e) if may_skip_missing_guests() => {
            eprintln!("skipping: {e} (run tools/build-rust-guests.sh)");
            None
        }
        Err(e) => panic!("{e} (run tools/build-rust-guests.sh, or set OWNCAST_SKIP_MISSING_GUESTS=1 to skip)"),
    }
}

/// A Rust example from examples/rust.
pub fn example(name: &str) -> Option<PluginBundle> {
    built(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/rust").join(name))
}

/// A test-only guest from host/tests/guests.
pub fn test_guest(name: &str) -> Option<PluginBundle> {
    built(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../host/tests/guests").join(name))
}

/// Replaces the bundle's manifest (as JSON text).
pub fn with_manifest(mut b: PluginBundle, manifest: &str) -> PluginBundle {
    b.manifest = manifest.as_bytes().to_vec();
    b
}

// ---- the hostile guest -----------------------------------------------------------

pub fn msg(body: &str) -> Event {
    types::Event::ChatMessageReceived(ChatMessage { body: body.into(), ..Default::default() }).into()
}

/// A host with its own engine under `limits`, serving `owncast`, on the real network.
pub fn hostile_builder(limits: Limits, owncast: Arc<dyn Owncast>) -> HostBuilder {
    let rt = Runtime::new(RuntimeConfig { limits, max_instances: 8, ..Default::default() }).unwrap();
    Host::builder(owncast, Arc::new(NetworkOutbound)).runtime(rt)
}

pub async fn hostile_host(limits: Limits) -> Option<Host> {
    hostile_host_with(hostile_builder(limits, Arc::new(SimulatedOwncast::demo()))).await
}

pub async fn hostile_host_with(b: HostBuilder) -> Option<Host> {
    let bundle = test_guest("hostile")?;
    let h = b.build().unwrap();
    h.load(bundle).await.unwrap();
    Some(h)
}

pub fn failure(out: &owncast_plugin_host::dispatcher::FilterOutcome) -> String {
    match &out.steps[0].result {
        StepResult::Failed(e) => e.clone(),
        other => panic!("expected a failure, got {other:?}"),
    }
}
