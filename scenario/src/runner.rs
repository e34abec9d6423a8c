use super::format::{
    self, BrowserPushExpect, Case, ChatToExpect, Expect, FediversePostExpect, FilterExpect, HttpStep,
    UserModerationExpect,
};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use owncast_plugin_host::capabilities::sse::SseHub;
use owncast_plugin_host::capabilities::timer::TIMER_FIRE;
use owncast_plugin_host::dispatcher::{Observer, StepResult};
use owncast_plugin_host::event::Event;
use owncast_plugin_host::kv::{KvStore, MemoryStore};
use owncast_plugin_host::manifest::Manifest;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::plugin::PluginLoader;
use owncast_plugin_host::runtime::Runtime;
use owncast_plugin_host::types::CommandInfo;
use owncast_plugin_host::ui::{content_request, ContentHook};
use owncast_plugin_host::{Host, PluginBundle};
use owncast_plugin_server::{PluginServer, RequestAuth, ServerConfig};
use owncast_plugin_testing::{CannedOutbound, SimulatedData, SimulatedOwncast};
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
    /// The manifest's warnings (checks beyond upstream's it fails).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
        let mut report =
            PluginReport { dir: dir.display().to_string(), error: None, warnings: Vec::new(), cases: Vec::new() };
        let bundle = match PluginBundle::from_dir(dir) {
            Ok(b) => b,
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        };
        if let Ok(m) = Manifest::parse(&bundle.manifest, &bundle.manifest_file) {
            report.warnings = m.warnings.iter().map(ToString::to_string).collect();
        }
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
            broadcaster: g.broadcaster.clone().unwrap_or_default(),
            server: g.server.clone().unwrap_or_default(),
            socials: g.socials.clone(),
            emotes: g.emotes.clone(),
            federation: g.federation.clone().unwrap_or_default(),
            tags: g.tags.clone(),
            video_config: g.video_config.clone().unwrap_or_default(),
            chat_history: g.chat_history.clone(),
            chat_clients: g.chat_clients.clone(),
            users: g.users.clone(),
            mock_urls: true,
        }));
        let kv = Arc::new(MemoryStore::default());
        for (k, v) in &g.kv {
            if let Err(e) = kv.set(&format!("plugins.kv.{}.{k}", manifest.slug), v) {
                return vec![format!("given.kv.{k}: {e}")];
            }
        }
        let outbound = Arc::new(CannedOutbound::new(g.http_responses.clone()));
        let recorder = Arc::new(Recorder { slug: manifest.slug.clone(), ..Default::default() });
        let sse = Arc::new(SseHub::recording());
        let data_dir = std::env::temp_dir().join(format!(
            "owncast-scenario-{}-{}",
            std::process::id(),
            CASE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut builder = Host::builder(sim.clone(), outbound.clone())
            .runtime(self.runtime.clone())
            .kv(kv.clone())
            .observer(recorder.clone())
            .sse(sse.clone())
            .manual_timers()
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
            Ok(plugin) => {
                for (i, step) in case.events.iter().enumerate() {
                    if let Err(f) = run_step(&server, &manifest.slug, step, i).await {
                        failures.push(f);
                    }
                }
                let effects = Effects {
                    slug: &manifest.slug,
                    commands: &plugin.commands,
                    sim: &sim,
                    kv: &*kv,
                    outbound: &outbound,
                    recorder: &recorder,
                    sse: &sse,
                };
                check_expect(&case.expect, &effects, &mut failures);
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
        // As given: a legacy plugin sees every field of the payload.
        let event = Event::new(t, &step.payload);
        if t == TIMER_FIRE {
            host.deliver(slug, &event).await;
        } else {
            host.notify(&event).await;
        }
        return Ok(());
    }
    if let Some(a) = &step.auth_check {
        let verdict = host.auth_check(a.user.as_ref()).await.map_err(|e| format!("{at}: authCheck: {e}"))?;
        if let Some(e) = &a.expect {
            if !optional_eq(&e.action, &verdict.action) {
                return Err(format!("{at}: authCheck action: expected {:?}, got {:?}", e.action, verdict.action));
            }
            if !optional_eq(&e.reason, &verdict.reason) {
                return Err(format!("{at}: authCheck reason: expected {:?}, got {:?}", e.reason, verdict.reason));
            }
        }
        return Ok(());
    }
    if let Some(ms) = step.advance_timers {
        host.advance_timers(ms).await.map_err(|e| format!("{at}: advanceTimers: {e}"))?;
        return Ok(());
    }
    if let Some(t) = &step.filter {
        let event = Event::new(t, &step.payload);
        let outcome = host.filter(event.clone()).await;
        return match &step.expect {
            Some(expect) => check_filter(&at, expect, &event, &outcome),
            None => Ok(()),
        };
    }
    if let Some(h) = &step.http {
        return run_http(server, slug, h, &at).await;
    }
    let content = [
        (&step.tab_content, ContentHook::TabContent, "tabContent"),
        (&step.page_content, ContentHook::PageContent, "pageContent"),
        (&step.page_styles, ContentHook::PageStyles, "pageStyles"),
        (&step.page_scripts, ContentHook::PageScripts, "pageScripts"),
    ];
    for (content_step, hook, key) in content {
        if let Some(c) = content_step {
            return run_content(host, slug, hook, c, &format!("{at}.{key}")).await;
        }
    }
    Ok(())
}

/// Calls a content export as upstream's runner does (directly, a missing
/// export answering `""`) and compares what it returned.
async fn run_content(
    host: &Host,
    slug: &str,
    hook: ContentHook,
    step: &format::ContentStep,
    at: &str,
) -> Result<(), String> {
    let request = hook.takes_request().then(|| content_request(&step.slug, step.user.as_ref()));
    let text = host.call_content(slug, hook, request).await.map_err(|e| format!("{at} (slug {:?}): {e}", step.slug))?;
    let Some(e) = &step.expect else { return Ok(()) };
    if !e.body.is_empty() && e.body != text {
        return Err(format!("{at}: body\n  expected: {:?}\n  actual:   {text:?}", e.body));
    }
    if !e.body_contains.is_empty() && !text.contains(&e.body_contains) {
        return Err(format!("{at}: body does not contain {:?}\n  body: {text:?}", e.body_contains));
    }
    Ok(())
}

/// Each expected command against the registered one of its name.
fn check_commands(want: &[format::CommandExpect], got: &[CommandInfo], failures: &mut Vec<String>) {
    for w in want {
        let Some(g) = got.iter().find(|g| g.name == w.name) else {
            let names: Vec<&str> = got.iter().map(|g| g.name.as_str()).collect();
            failures.push(format!("expect.commands: no registered command named {:?} (registered: {names:?})", w.name));
            continue;
        };
        let at = format!("expect.commands[{:?}]", w.name);
        let text = |field: &str, want: &str, got: Option<&str>| {
            (!want.is_empty() && Some(want) != got).then(|| format!("{at}.{field}: expected {want:?}, got {got:?}"))
        };
        failures.extend(text("prefix", &w.prefix, g.prefix.as_deref()));
        failures.extend(text("description", &w.description, g.description.as_deref()));
        failures.extend(text("usage", &w.usage, g.usage.as_deref()));
        let aliases = g.aliases.clone().unwrap_or_default();
        if w.aliases.as_ref().is_some_and(|a| *a != aliases) {
            failures.push(format!("{at}.aliases: expected {:?}, got {aliases:?}", w.aliases.as_ref().unwrap()));
        }
        let flags = [
            ("modOnly", w.mod_only, g.mod_only.unwrap_or(false)),
            ("caseSensitive", w.case_sensitive, g.case_sensitive.unwrap_or(false)),
        ];
        for (field, want, got) in flags {
            if want != got {
                failures.push(format!("{at}.{field}: expected {want}, got {got}"));
            }
        }
        let cooldown = g.cooldown_ms.unwrap_or(0);
        if w.cooldown_ms != cooldown {
            failures.push(format!("{at}.cooldownMs: expected {}, got {cooldown}", w.cooldown_ms));
        }
    }
}

/// Upstream's semantics: `pass` = allowed with the payload unchanged,
/// `modify` = allowed (the payload, if given, contained in the result),
/// `drop` = dropped (the reason, if given, equal).
fn check_filter(
    at: &str,
    expect: &FilterExpect,
    input: &Event,
    outcome: &owncast_plugin_host::dispatcher::FilterOutcome,
) -> Result<(), String> {
    let failed: Vec<String> = outcome
        .steps
        .iter()
        .filter_map(|s| match &s.result {
            StepResult::Failed(e) => Some(format!("{}: {e}", s.slug)),
            _ => None,
        })
        .collect();
    let note =
        if failed.is_empty() { String::new() } else { format!(" (filters that failed open: {})", failed.join("; ")) };
    let got = outcome.event.payload_json();
    match (expect.action.as_str(), &outcome.dropped) {
        ("drop", None) => Err(format!("{at}: expected drop, got pass (payload {}){note}", compact(&got))),
        ("pass" | "modify", Some((_, reason))) => {
            Err(format!("{at}: expected {}, got drop with reason {reason:?}{note}", expect.action))
        }
        ("drop", Some((_, reason))) => match &expect.reason {
            Some(want) => {
                let ok = match format::regex_of(want) {
                    Some(re) => regex::Regex::new(re).map(|r| r.is_match(reason)).unwrap_or(false),
                    None => want == reason,
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("{at}: expected drop reason {want:?}, got {reason:?}"))
                }
            }
            None => Ok(()),
        },
        ("pass", None) => {
            if outcome.event != *input {
                return Err(format!("{at}: expected pass with the payload unchanged, got {}{note}", compact(&got)));
            }
            check_payload(at, expect, &got, &note)
        }
        _ => check_payload(at, expect, &got, &note),
    }
}

fn check_payload(at: &str, expect: &FilterExpect, got: &Value, note: &str) -> Result<(), String> {
    match &expect.payload {
        Some(want) if !json_contains(want, got) => Err(format!(
            "{at}: payload differs{note}\n  expected (subset): {}\n  actual:            {}",
            compact(want),
            compact(got)
        )),
        _ => Ok(()),
    }
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
    let mut req = req
        .body(bytes::Bytes::from(body))
        .map_err(|e| format!("{at}: {} {}: not a valid request: {e}", h.method, h.path))?;
    // As upstream's runner: a request with a user counts as authenticated.
    req.extensions_mut().insert(RequestAuth { admin: h.authenticated || h.user.is_some(), user: h.user.clone() });
    let resp = server.handle(req, std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let Some(e) = &h.expect else { return Ok(()) };
    let status = resp.status().as_u16();
    let headers = owncast_plugin_host::capabilities::http_outbound::header_pairs(resp.headers());
    let body = String::from_utf8_lossy(resp.body()).into_owned();
    if let Some(want) = e.status.filter(|s| *s != 0) {
        if status != want {
            return Err(format!(
                "{at}: {} {}: expected status {want}, got {status} (body: {})",
                h.method,
                h.path,
                truncate(&body)
            ));
        }
    }
    for (k, v) in &e.headers {
        let got = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
        if got != Some(v.as_str()) {
            return Err(format!("{at}: header {k}: expected {v:?}, got {got:?}"));
        }
    }
    if let Some(want) = &e.body {
        let ok = match want {
            Value::String(s) => s.is_empty() || *s == body,
            v => serde_json::from_str::<Value>(&body).map(|got| json_contains(v, &got)).unwrap_or(false),
        };
        if !ok {
            return Err(format!("{at}: body differs\n  expected: {}\n  actual:   {}", compact(want), truncate(&body)));
        }
    }
    if let Some(want) = e.body_contains.as_deref().filter(|s| !s.is_empty()) {
        if !body.contains(want) {
            return Err(format!("{at}: body does not contain {want:?}\n  actual: {}", truncate(&body)));
        }
    }
    Ok(())
}

/// Where a case's effects are read from.
struct Effects<'a> {
    slug: &'a str,
    /// The chat commands the plugin registered.
    commands: &'a [CommandInfo],
    sim: &'a SimulatedOwncast,
    kv: &'a dyn KvStore,
    outbound: &'a CannedOutbound,
    recorder: &'a Recorder,
    sse: &'a SseHub,
}

/// Compares a whole list; `describe` renders both sides for the message.
fn check_list<W, G>(
    failures: &mut Vec<String>,
    name: &str,
    want: &Option<Vec<W>>,
    got: &[G],
    matches: impl Fn(&W, &G) -> bool,
    describe: impl Fn(&[W], &[G]) -> (Value, Value),
) {
    let Some(want) = want else { return };
    if want.len() == got.len() && want.iter().zip(got).all(|(w, g)| matches(w, g)) {
        return;
    }
    let (w, g) = describe(want, got);
    failures.push(format!("expect.{name} differs\n  expected: {}\n  actual:   {}", compact(&w), compact(&g)));
}

/// [`check_list`] for lists whose entries serialize.
fn check_json_list<W: Serialize, G: Serialize>(
    failures: &mut Vec<String>,
    name: &str,
    want: &Option<Vec<W>>,
    got: &[G],
    matches: impl Fn(&W, &G) -> bool,
) {
    check_list(failures, name, want, got, matches, |w, g| (json!(w), json!(g)));
}

/// A field that upstream checks only when the expectation sets it.
fn optional_eq(want: &str, got: &str) -> bool {
    want.is_empty() || want == got
}

fn check_expect(e: &Expect, fx: &Effects<'_>, failures: &mut Vec<String>) {
    let sim = fx.sim.effects();
    let chat = |f: fn(&ChatSend) -> Option<Value>| -> Vec<Value> {
        sim.chat.iter().filter(|(s, _)| s == fx.slug).filter_map(|(_, m)| f(m)).collect()
    };
    let text = |want: &String, got: &Value| got.as_str() == Some(want.as_str());
    check_json_list(
        failures,
        "chatSends",
        &e.chat_sends,
        &chat(|m| if let ChatSend::Message { body } = m { Some(json!(body)) } else { None }),
        text,
    );
    check_json_list(
        failures,
        "chatActions",
        &e.chat_actions,
        &chat(|m| if let ChatSend::Action { body } = m { Some(json!(body)) } else { None }),
        text,
    );
    check_json_list(
        failures,
        "chatSystems",
        &e.chat_systems,
        &chat(|m| if let ChatSend::System { html } = m { Some(json!(html)) } else { None }),
        text,
    );
    let chat_to: Vec<ChatToExpect> = sim
        .chat
        .iter()
        .filter(|(s, _)| s == fx.slug)
        .filter_map(|(_, m)| {
            if let ChatSend::To { client_id, body } = m {
                Some(ChatToExpect { client_id: *client_id, text: body.clone() })
            } else {
                None
            }
        })
        .collect();
    check_json_list(failures, "chatTo", &e.chat_to, &chat_to, |w, g| w == g);
    check_json_list(failures, "deletedMessages", &e.deleted_messages, &sim.deleted_messages, |w, g| w == g);
    check_json_list(failures, "kickedClients", &e.kicked_clients, &sim.kicked_clients, |w, g| w == g);
    check_json_list(failures, "discordPosts", &e.discord_posts, &sim.discord_posts, |w, g| w == g);
    let pushes: Vec<BrowserPushExpect> = sim
        .browser_pushes
        .iter()
        .map(|p| {
            let v = json!(p);
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            BrowserPushExpect { title: field("title"), body: field("body"), url: field("url") }
        })
        .collect();
    check_json_list(failures, "browserPushes", &e.browser_pushes, &pushes, |w, g| w == g);
    let posts: Vec<FediversePostExpect> =
        sim.fediverse_notifications.iter().map(|n| fediverse_post(&json!(n))).collect();
    check_json_list(failures, "fediversePosts", &e.fediverse_posts, &posts, |w, g| w == g);
    check_json_list(failures, "fediverseOutbox", &e.fediverse_outbox, &sim.fediverse_outbox, |w, g| w == g);
    let moderations: Vec<UserModerationExpect> = sim
        .user_changes
        .iter()
        .map(|(id, enabled, reason)| UserModerationExpect {
            user_id: id.clone(),
            enabled: *enabled,
            reason: reason.clone(),
        })
        .collect();
    check_json_list(failures, "userModerations", &e.user_moderations, &moderations, |w, g| w == g);
    check_json_list(failures, "bannedIPs", &e.banned_ips, &sim.banned_ips, |w, g| w == g);
    check_list(
        failures,
        "userRegistrations",
        &e.user_registrations,
        &sim.user_registrations,
        |w, g| {
            w.auth_id == g.auth_id
                && w.display_name.as_ref().is_none_or(|d| *d == g.display_name)
                && w.scopes.as_ref().is_none_or(|s| *s == g.scopes)
                && w.profile_url.as_ref().is_none_or(|u| *u == g.profile_url)
                && w.handle.as_ref().is_none_or(|h| *h == g.handle)
                && w.public.is_none_or(|p| p == g.is_public)
        },
        |w, g| {
            (
                json!(w
                    .iter()
                    .map(|r| {
                        json!({"authId": r.auth_id, "displayName": r.display_name, "scopes": r.scopes,
                            "profileUrl": r.profile_url, "handle": r.handle, "public": r.public})
                    })
                    .collect::<Vec<_>>()),
                json!(g),
            )
        },
    );
    check_list(
        failures,
        "sessionGrants",
        &e.session_grants,
        &sim.session_grants,
        |w, (user, ttl)| w.user_id == *user && (w.ttl == 0 || w.ttl == *ttl),
        |w, g| {
            let w: Vec<Value> = w.iter().map(|s| json!({"userId": s.user_id, "ttl": s.ttl})).collect();
            let g: Vec<Value> = g.iter().map(|(u, t)| json!({"userId": u, "ttl": t})).collect();
            (json!(w), json!(g))
        },
    );
    if e.session_clears != 0 && e.session_clears != sim.session_clears {
        failures.push(format!("expect.sessionClears: expected {}, got {}", e.session_clears, sim.session_clears));
    }
    check_list(
        failures,
        "uploads",
        &e.uploads,
        &sim.uploads,
        |w, (name, data)| {
            w.name == *name
                && optional_eq(&w.body, &String::from_utf8_lossy(data))
                && w.body_base64.as_ref().is_none_or(|b| *b == BASE64.encode(data))
        },
        |w, g| {
            let w: Vec<Value> =
                w.iter().map(|u| json!({"name": u.name, "body": u.body, "bodyBase64": u.body_base64})).collect();
            let g: Vec<Value> = g
                .iter()
                .map(|(n, d)| json!({"name": n, "body": String::from_utf8_lossy(d), "bodyBase64": BASE64.encode(d)}))
                .collect();
            (json!(w), json!(g))
        },
    );
    check_json_list(failures, "logs", &e.logs, &sim.logs, |w, g| {
        w.plugin == g.plugin && w.level == g.level.name() && w.message == g.message
    });
    check_json_list(failures, "videoConfigWrites", &e.video_config_writes, &sim.video_config_writes, |w, g| {
        json!(w) == json!(g)
    });
    let emits = fx.recorder.emits.lock().unwrap().clone();
    check_list(
        failures,
        "emits",
        &e.emits,
        &emits,
        |w, g| {
            g["eventType"] == w.event_type.as_str()
                && w.payload.as_ref().is_none_or(|p| json_contains(p, &g["payload"]))
        },
        |w, g| {
            (
                json!(w.iter().map(|e| json!({"eventType": e.event_type, "payload": e.payload})).collect::<Vec<_>>()),
                json!(g),
            )
        },
    );
    check_list(
        failures,
        "httpRequests",
        &e.http_requests,
        &fx.outbound.requests(),
        |w, g| {
            w.url == g.url
                && (w.method.is_empty() || w.method.eq_ignore_ascii_case(&g.method))
                && optional_eq(&w.body, &String::from_utf8_lossy(&g.body))
        },
        |w, g| {
            let w: Vec<Value> = w.iter().map(|r| json!({"url": r.url, "method": r.method, "body": r.body})).collect();
            (json!(w), json!(g))
        },
    );
    let frames: Vec<_> = fx.sse.sent().into_iter().filter(|f| f.slug == fx.slug).collect();
    check_list(
        failures,
        "sseSends",
        &e.sse_sends,
        &frames,
        |w, g| w.channel == g.channel && optional_eq(&w.event, &g.frame.event) && optional_eq(&w.data, &g.frame.data),
        |w, g| {
            let w: Vec<Value> =
                w.iter().map(|s| json!({"channel": s.channel, "event": s.event, "data": s.data})).collect();
            let g: Vec<Value> =
                g.iter().map(|s| json!({"channel": s.channel, "event": s.frame.event, "data": s.frame.data})).collect();
            (json!(w), json!(g))
        },
    );
    if let Some(want) = &e.commands {
        check_commands(want, fx.commands, failures);
    }
    if let Some(want) = &e.kv {
        for (k, v) in want {
            // As upstream: a key that was never set reads as "".
            let got = fx.kv.get(&format!("plugins.kv.{}.{k}", fx.slug)).ok().flatten().unwrap_or_default();
            if got != *v {
                failures.push(format!("expect.kv.{k}: expected {v:?}, got {got:?}"));
            }
        }
    }
}

/// A fediverse notification as upstream's `{type, body, image, link}`;
/// plain text is the body.
fn fediverse_post(v: &Value) -> FediversePostExpect {
    let parsed = match v {
        Value::String(s) => serde_json::from_str::<Value>(s).ok().filter(Value::is_object),
        o @ Value::Object(_) => Some(o.clone()),
        _ => None,
    };
    match parsed {
        Some(o) => {
            let field = |k: &str| o[k].as_str().unwrap_or_default().to_string();
            FediversePostExpect { kind: field("type"), body: field("body"), image: field("image"), link: field("link") }
        }
        None => FediversePostExpect {
            kind: String::new(),
            body: v.as_str().unwrap_or_default().to_string(),
            image: String::new(),
            link: String::new(),
        },
    }
}

/// Whether `want` is contained in `got`: objects by key (extra keys in `got`
/// allowed), arrays element by element with equal length, scalars equal.
pub fn json_contains(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            w.iter().all(|(k, wv)| g.get(k).map(|gv| json_contains(wv, gv)).unwrap_or(wv.is_null()))
        }
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
