use super::format::{self, Case, Expect, FilterExpect, HttpStep};
use crate::capabilities::http_outbound::CannedOutbound;
use crate::dispatcher::{Observer, StepResult};
use crate::host::{Host, PluginBundle};
use crate::kv::{KvStore, MemoryStore};
use crate::manifest::Manifest;
use crate::owncast::{ChatSend, SimulatedData, SimulatedOwncast};
use crate::plugin::PluginLoader;
use crate::runtime::Runtime;
use crate::server::{PluginServer, RequestAuth, ServerConfig};
use crate::types::Event;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One case's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub file: String,
    pub name: String,
    pub passed: bool,
    /// Readable expected-vs-actual differences.
    pub failures: Vec<String>,
    pub millis: u128,
}

/// One plugin directory's results.
#[derive(Debug, Clone, Serialize)]
pub struct PluginReport {
    pub dir: String,
    /// Set when the plugin or a scenario file could not be read at all.
    pub error: Option<String>,
    pub cases: Vec<CaseReport>,
}

impl PluginReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed() + usize::from(self.error.is_some())
    }
}

/// Runs scenario files against built plugins.
pub struct ScenarioRunner {
    runtime: Arc<Runtime>,
    loaders: Vec<Arc<dyn PluginLoader>>,
}

#[derive(Default)]
struct Recorder {
    slug: String,
    emits: Mutex<Vec<Value>>,
}

impl Observer for Recorder {
    fn emitted(&self, from: &str, event: &Event, _depth: u32) {
        if from == self.slug {
            self.emits.lock().unwrap().push(json!({"eventType": event.event_type(), "payload": event.payload_json()}));
        }
    }
}

static CASE_COUNTER: AtomicU64 = AtomicU64::new(0);

impl ScenarioRunner {
    /// `loaders` are the extra plugin kinds (components are built in).
    pub fn new(runtime: Arc<Runtime>, loaders: Vec<Arc<dyn PluginLoader>>) -> Self {
        ScenarioRunner { runtime, loaders }
    }

    /// Runs every `__tests__/*.test.json` of a plugin directory.
    pub async fn run_dir(&self, dir: &Path) -> PluginReport {
        let mut report = PluginReport { dir: dir.display().to_string(), error: None, cases: Vec::new() };
        let bundle = match PluginBundle::from_dir(dir) {
            Ok(b) => b,
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        };
        let tests = dir.join("__tests__");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&tests)
            .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with(".test.json")).collect())
            .unwrap_or_default();
        files.sort();
        if files.is_empty() {
            report.error = Some(format!("{}: no *.test.json scenario files", tests.display()));
            return report;
        }
        for file in files {
            let cases = match format::parse_file(&file) {
                Ok(c) => c,
                Err(e) => {
                    report.error = Some(e.to_string());
                    return report;
                }
            };
            for case in cases {
                let start = Instant::now();
                let failures = self.run_case(&bundle, &case).await;
                report.cases.push(CaseReport {
                    file: file.display().to_string(),
                    name: case.name.clone(),
                    passed: failures.is_empty(),
                    failures,
                    millis: start.elapsed().as_millis(),
                });
            }
        }
        report
    }

    /// Runs one case on a fresh host; returns the failures (empty = passed).
    pub async fn run_case(&self, bundle: &PluginBundle, case: &Case) -> Vec<String> {
        let manifest = match Manifest::parse(&bundle.manifest, &bundle.manifest_file) {
            Ok(m) => m,
            Err(e) => return vec![e.to_string()],
        };
        let g = &case.given;
        let sim = Arc::new(SimulatedOwncast::new(SimulatedData {
            stream: g.stream.clone().unwrap_or_default(),
            broadcaster: g.broadcaster.clone(),
            server: g.server.clone().unwrap_or_default(),
            video_config: g.video_config.clone().unwrap_or_default(),
            chat_history: g.chat_history.clone(),
            chat_clients: g.chat_clients.clone(),
            users: g.users.clone(),
            ..Default::default()
        }));
        let kv = Arc::new(MemoryStore::default());
        for (k, v) in &g.kv {
            let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            if let Err(e) = kv.set(&format!("plugins.kv.{}.{k}", manifest.slug), &v) {
                return vec![format!("given.kv.{k}: {e}")];
            }
        }
        let outbound = Arc::new(CannedOutbound::new(g.http_responses.clone()));
        let recorder = Arc::new(Recorder { slug: manifest.slug.clone(), ..Default::default() });
        let data_dir = std::env::temp_dir().join(format!(
            "owncast-scenario-{}-{}",
            std::process::id(),
            CASE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut builder = Host::builder()
            .runtime(self.runtime.clone())
            .owncast(sim.clone())
            .kv(kv.clone())
            .outbound(outbound.clone())
            .observer(recorder.clone())
            .data_dir(&data_dir);
        for l in &self.loaders {
            builder = builder.loader(l.clone());
        }
        let host = match builder.build() {
            Ok(h) => Arc::new(h),
            Err(e) => return vec![format!("host: {e:#}")],
        };
        // `http` steps go through the server production uses.
        let server = PluginServer::new(host.clone(), ServerConfig::new(host.runtime().limits()));
        if !g.config.is_empty() {
            let values = g.config.clone().into_iter().collect();
            if let Err(e) = host.services().config.set(&manifest, &values) {
                return vec![format!("given.config: {e}")];
            }
        }
        let mut failures = Vec::new();
        match host.load(bundle.clone()).await {
            Ok(_) => {
                for (i, step) in case.events.iter().enumerate() {
                    if let Err(f) = run_step(&server, &manifest.slug, step, i).await {
                        failures.push(f);
                    }
                }
                check_expect(&case.expect, &manifest.slug, &sim, &*kv, &outbound, &recorder, &mut failures);
            }
            Err(e) => failures.push(format!("load failed: {e}")),
        }
        let _ = std::fs::remove_dir_all(&data_dir);
        failures
    }
}

async fn run_step(server: &PluginServer, slug: &str, step: &format::Step, i: usize) -> Result<(), String> {
    let host = server.host();
    let at = format!("events[{i}]");
    if let Some(t) = &step.event {
        let event = Event::from_json(t, step.payload.clone()).map_err(|e| format!("{at}: {e}"))?;
        host.notify(&event).await;
        return Ok(());
    }
    if let Some(t) = &step.filter {
        let event = Event::from_json(t, step.payload.clone()).map_err(|e| format!("{at}: {e}"))?;
        let outcome = host.filter(event.clone()).await;
        let expect = step.expect.as_ref().expect("checked by the parser");
        return check_filter(&at, expect, &event, &outcome);
    }
    if let Some(h) = &step.http {
        return run_http(server, slug, h, &at).await;
    }
    Ok(())
}

fn check_filter(at: &str, expect: &FilterExpect, input: &Event, outcome: &crate::dispatcher::FilterOutcome) -> Result<(), String> {
    let failed: Vec<String> = outcome
        .steps
        .iter()
        .filter_map(|s| match &s.result {
            StepResult::Failed(e) => Some(format!("{}: {e}", s.slug)),
            _ => None,
        })
        .collect();
    let note = if failed.is_empty() { String::new() } else { format!(" (filters that failed open: {})", failed.join("; ")) };
    let (action, reason) = match &outcome.dropped {
        Some((_, r)) => ("drop", Some(r.clone())),
        None if outcome.event != *input => ("modify", None),
        None => ("pass", None),
    };
    if action != expect.action {
        let extra = reason.as_deref().map(|r| format!(" with reason {r:?}")).unwrap_or_default();
        return Err(format!("{at}: expected action {}, got {action}{extra}{note}", expect.action));
    }
    if let Some(want) = &expect.reason {
        let got = reason.clone().unwrap_or_default();
        let ok = match format::regex_of(want) {
            Some(re) => regex::Regex::new(re).map(|r| r.is_match(&got)).unwrap_or(false),
            None => *want == got,
        };
        if !ok {
            return Err(format!("{at}: expected reason {want}, got {got:?}"));
        }
    }
    if let Some(want) = &expect.payload {
        let got = outcome.event.payload_json();
        if !json_contains(want, &got) {
            return Err(format!("{at}: payload differs\n  expected (subset): {}\n  actual:            {}", compact(want), compact(&got)));
        }
    }
    Ok(())
}

async fn run_http(server: &PluginServer, slug: &str, h: &HttpStep, at: &str) -> Result<(), String> {
    let body = match &h.body {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let uri = format!("/plugins/{slug}/{}", h.path.trim_start_matches('/'));
    let mut req = http::Request::builder().method(h.method.as_str()).uri(&uri);
    for (k, v) in &h.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut req = req.body(bytes::Bytes::from(body)).map_err(|e| format!("{at}: {} {}: not a valid request: {e}", h.method, h.path))?;
    req.extensions_mut().insert(RequestAuth { admin: h.authenticated, user: h.user.clone() });
    let resp = server.handle(req, std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let status = resp.status().as_u16();
    let headers = crate::capabilities::http_outbound::header_pairs(resp.headers());
    let body = String::from_utf8_lossy(resp.body()).into_owned();
    let e = &h.expect;
    if status != e.status {
        return Err(format!("{at}: {} {}: expected status {}, got {status} (body: {})", h.method, h.path, e.status, truncate(&body)));
    }
    for (k, v) in &e.headers {
        let got = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
        if got != Some(v.as_str()) {
            return Err(format!("{at}: header {k}: expected {v:?}, got {got:?}"));
        }
    }
    if let Some(want) = &e.body {
        let ok = match want {
            Value::String(s) => *s == body,
            v => serde_json::from_str::<Value>(&body).map(|got| json_contains(v, &got)).unwrap_or(false),
        };
        if !ok {
            return Err(format!("{at}: body differs\n  expected: {}\n  actual:   {}", compact(want), truncate(&body)));
        }
    }
    Ok(())
}

fn check_expect(
    e: &Expect,
    slug: &str,
    sim: &SimulatedOwncast,
    kv: &dyn KvStore,
    outbound: &CannedOutbound,
    recorder: &Recorder,
    failures: &mut Vec<String>,
) {
    let fx = sim.effects();
    let mine = |f: fn(&ChatSend) -> Option<String>| -> Vec<String> {
        fx.chat.iter().filter(|(s, _)| s == slug).filter_map(|(_, m)| f(m)).collect()
    };
    let mut exact = |name: &str, want: &Option<Vec<String>>, got: Vec<String>| {
        if let Some(want) = want {
            if *want != got {
                failures.push(format!("expect.{name} differs\n  expected: {}\n  actual:   {}", compact(&json!(want)), compact(&json!(got))));
            }
        }
    };
    exact("chatSends", &e.chat_sends, mine(|m| if let ChatSend::Message { body } = m { Some(body.clone()) } else { None }));
    exact("chatActions", &e.chat_actions, mine(|m| if let ChatSend::Action { body } = m { Some(body.clone()) } else { None }));
    exact("chatSystems", &e.chat_systems, mine(|m| if let ChatSend::System { html } = m { Some(html.clone()) } else { None }));
    exact("deletedMessages", &e.deleted_messages, fx.deleted_messages.clone());
    exact("discordPosts", &e.discord_posts, fx.discord_posts.clone());
    exact("fediverseOutbox", &e.fediverse_outbox, fx.fediverse_outbox.clone());

    let mut subsets = |name: &str, want: &Option<Vec<Value>>, got: Vec<Value>| {
        if let Some(want) = want {
            let ok = want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| json_contains(w, g));
            if !ok {
                failures.push(format!("expect.{name} differs\n  expected: {}\n  actual:   {}", compact(&json!(want)), compact(&json!(got))));
            }
        }
    };
    subsets("emits", &e.emits, recorder.emits.lock().unwrap().clone());
    subsets("httpRequests", &e.http_requests, outbound.requests().iter().map(|r| json!(r)).collect());
    subsets("browserPushes", &e.browser_pushes, fx.browser_pushes.iter().map(|p| json!(p)).collect());
    subsets("videoConfigWrites", &e.video_config_writes, fx.video_config_writes.iter().map(|p| json!(p)).collect());

    if let Some(want) = &e.kv {
        for (k, v) in want {
            let got = kv.get(&format!("plugins.kv.{slug}.{k}")).ok().flatten();
            let ok = match (v, &got) {
                (Value::Null, None) => true,
                (Value::String(s), Some(g)) => s == g,
                (v, Some(g)) => serde_json::from_str::<Value>(g).map(|g| g == *v).unwrap_or(false),
                _ => false,
            };
            if !ok {
                failures.push(format!("expect.kv.{k}: expected {}, got {}", compact(v), got.map(|g| format!("{g:?}")).unwrap_or("nothing".into())));
            }
        }
    }
}

/// Whether `want` is contained in `got`: objects by key (extra keys in `got`
/// allowed), arrays element by element with equal length, scalars equal.
pub fn json_contains(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, wv)| g.get(k).map(|gv| json_contains(wv, gv)).unwrap_or(wv.is_null())),
        (Value::Array(w), Value::Array(g)) => w.len() == g.len() && w.iter().zip(g).all(|(a, b)| json_contains(a, b)),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => want == got,
    }
}

fn compact(v: &Value) -> String {
    truncate(&v.to_string())
}

fn truncate(s: &str) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

