//! `owncast-plugin serve <dir>`: a local dev server for one plugin.
//!
//! The plugin runs in the real host behind the real HTTP server, so
//! `/plugins/<slug>/...` behaves as it will in Owncast; around it:
//!
//! - `/_dev/`: a page to chat as a viewer, send any event, watch the
//!   plugin's chat output, and preview its pages;
//! - `/_dev/api/state` (GET), `/_dev/api/chat` (POST `{user, body}`),
//!   `/_dev/api/event` (POST `{eventType, payload}`), `/_dev/api/reload` (POST);
//! - upstream's dev routes: `/_dev/chat` (POST `{user, body}` answers
//!   `{allowed, reason, message}`; GET answers `{messages}`, the chat so far)
//!   and `/_dev/event` (POST `{type, payload}` answers `{dispatched}`);
//! - a watcher: when sources change it runs the build command, and when the
//!   manifest or the built code changes it reloads the plugin (a failed load
//!   keeps the previous version running and shows the error).
//!
//! The target is a plugin directory or a `.ocpkg` package (unpacked into a
//! temporary directory, not watched). It listens on `--listen`, else on
//! 127.0.0.1:`$PORT` when PORT is set, else on 127.0.0.1:8080.
//!
//! Host data (stream, server, users...) is simulated; the admin password is
//! Owncast's default, `abc123`, unless `--admin-password` says otherwise.

use crate::{setup, style};
use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::dispatcher::StepResult;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::types::{self, ChatMessage, ChatUser};
use owncast_plugin_host::{Host, PluginBundle};
use owncast_plugin_manager::package::{read_package, PackageLimits};
use owncast_plugin_server::{error_response, ExtraRoutes, PluginServer, ServerConfig};
use owncast_plugin_testing::SimulatedOwncast;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const PAGE: &str = include_str!("page.html");
/// Lines of chat kept for the page.
const MAX_LINES: usize = 500;

#[derive(clap::Args)]
pub struct Args {
    /// The plugin directory (plugin.manifest.json and the built code), or a
    /// `.ocpkg` package.
    dir: PathBuf,
    /// Address to listen on. Default: 127.0.0.1:$PORT when PORT is set, else 127.0.0.1:8080.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Command run (in the plugin directory, by `sh -c`) when sources change.
    /// Default: what `owncast-plugin build` runs (`python3 -m owncast_plugin
    /// build .` for src/plugin.py, `npm run build` for a package.json build script).
    #[arg(long)]
    build: Option<String>,
    /// Do not watch files.
    #[arg(long)]
    no_watch: bool,
    /// Password of the `admin` user for the plugin's admin pages.
    #[arg(long, default_value = "abc123")]
    admin_password: String,
}

/// One line of the dev chat.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    seq: u64,
    /// `viewer`, `plugin`, `dropped`, `event`, `system`.
    kind: &'static str,
    name: String,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Default)]
struct DevState {
    lines: Vec<Line>,
    seq: u64,
    /// Bumped on every successful (re)load.
    generation: u64,
    load_error: Option<String>,
    build_error: Option<String>,
    building: bool,
}

impl DevState {
    fn push(&mut self, kind: &'static str, name: &str, text: &str, note: Option<String>) {
        self.seq += 1;
        self.lines.push(Line { seq: self.seq, kind, name: name.to_string(), text: text.to_string(), note });
        if self.lines.len() > MAX_LINES {
            self.lines.remove(0);
        }
    }
}

struct Dev {
    dir: PathBuf,
    host: Arc<Host>,
    state: Arc<Mutex<DevState>>,
    slug: Mutex<Option<String>>,
    admin_password: String,
    next_message: Mutex<u64>,
}

/// RFC 3339 UTC of `t` (seconds precision).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn json_ok(v: &Value) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(v.to_string()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

impl Dev {
    /// Loads (or reloads) the plugin from its directory; on failure the
    /// running version stays.
    async fn reload(&self) -> Result<(), String> {
        let result = async {
            let bundle = PluginBundle::from_dir(&self.dir).map_err(|e| e.to_string())?;
            let plugin = self.host.prepare(bundle).await.map_err(|e| e.to_string())?;
            style::print_warnings(&plugin.warnings);
            let slug = plugin.slug().to_string();
            let old = self.slug.lock().unwrap().replace(slug.clone());
            if let Some(old) = old.filter(|o| *o != slug) {
                self.host.unload(&old);
            }
            self.host.install(plugin);
            Ok::<_, String>(slug)
        }
        .await;
        let mut st = self.state.lock().unwrap();
        match result {
            Ok(slug) => {
                st.generation += 1;
                st.load_error = None;
                let g = st.generation;
                st.push("system", "dev server", &format!("loaded {slug} (load #{g})"), None);
                println!("  {} {slug} (load #{g})", style::green("loaded"));
                Ok(())
            }
            Err(e) => {
                println!("  {} {e}", style::red("load failed:"));
                st.load_error = Some(e.clone());
                st.push("system", "dev server", &format!("load failed: {e}"), None);
                Err(e)
            }
        }
    }

    fn state_json(&self, since: u64) -> Value {
        let slug = self.slug.lock().unwrap().clone();
        let plugin = slug.as_deref().and_then(|s| self.host.get(s)).map(|p| {
            json!({
                "slug": p.slug(),
                "name": p.manifest.name,
                "version": p.manifest.version,
                "description": p.manifest.description,
                "kind": p.kind,
                "permissions": p.grants(),
                "enabled": p.is_enabled(),
                "health": p.health(),
                "url": format!("/plugins/{}/", p.slug()),
                "adminPages": p.manifest.admin_pages.iter().map(|a| json!({"title": a.title, "url": format!("/plugins/{}/{}", p.slug(), a.path.trim_start_matches('/'))})).collect::<Vec<_>>(),
                "hasPublic": p.assets.public_dir.is_some(),
                "subscriptions": p.subscriptions,
            })
        });
        let st = self.state.lock().unwrap();
        json!({
            "plugin": plugin,
            "generation": st.generation,
            "loadError": st.load_error,
            "buildError": st.build_error,
            "building": st.building,
            "admin": {"user": "admin", "password": self.admin_password},
            "lines": st.lines.iter().filter(|l| l.seq > since).collect::<Vec<_>>(),
            "seq": st.seq,
        })
    }

    /// `/_dev/api/chat`: the dev page's form of a chat message.
    async fn chat(&self, body: &Bytes) -> Response<Bytes> {
        match self.viewer_says(body).await {
            Ok(ChatOutcome::Dropped { by, reason, failures }) => {
                json_ok(&json!({"action": "drop", "by": by, "reason": reason, "failures": failures}))
            }
            Ok(ChatOutcome::Shown { modified, message, failures, .. }) => json_ok(
                &json!({"action": if modified { "modify" } else { "pass" }, "message": message, "failures": failures}),
            ),
            Err(r) => r,
        }
    }

    /// Upstream's `POST /_dev/chat`: `{allowed, reason, message}`.
    async fn upstream_chat(&self, body: &Bytes) -> Response<Bytes> {
        match self.viewer_says(body).await {
            Ok(ChatOutcome::Dropped { reason, .. }) => json_ok(&json!({"allowed": false, "reason": reason})),
            Ok(ChatOutcome::Shown { message, .. }) => {
                json_ok(&json!({"allowed": true, "reason": "", "message": message}))
            }
            Err(r) => r,
        }
    }

    /// Upstream's `GET /_dev/chat`: what viewers and the plugin said, oldest first.
    fn chat_log(&self) -> Response<Bytes> {
        let st = self.state.lock().unwrap();
        let messages: Vec<Value> = st
            .lines
            .iter()
            .filter(|l| l.kind == "viewer" || l.kind == "plugin")
            .map(|l| json!({"user": l.name, "body": l.text, "fromPlugin": l.kind == "plugin"}))
            .collect();
        json_ok(&json!({"messages": messages}))
    }

    /// A viewer's chat message through the filter chain, then to the
    /// notification handlers when it is not dropped.
    async fn viewer_says(&self, body: &Bytes) -> Result<ChatOutcome, Response<Bytes>> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| error_response(StatusCode::BAD_REQUEST, format!("body must be JSON {{user, body}}: {e}")))?;
        let name = v["user"].as_str().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("viewer").to_string();
        let text = v["body"].as_str().unwrap_or_default().to_string();
        if text.trim().is_empty() {
            return Err(error_response(StatusCode::BAD_REQUEST, "say something: `body` is empty"));
        }
        let n = {
            let mut n = self.next_message.lock().unwrap();
            *n += 1;
            *n
        };
        let id_part: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let msg = ChatMessage {
            id: format!("dev-{n}"),
            user: Some(ChatUser { id: format!("u-{id_part}"), display_name: name.clone(), ..Default::default() }),
            body: text.clone(),
            timestamp: rfc3339(SystemTime::now()),
            client_id: Some(n),
        };
        let outcome = self.host.filter(Event::from(types::Event::ChatMessageReceived(msg))).await;
        let failed: Vec<String> = outcome
            .steps
            .iter()
            .filter_map(|s| {
                if let StepResult::Failed(e) = &s.result {
                    Some(format!("{} failed open: {e}", s.slug))
                } else {
                    None
                }
            })
            .collect();
        if let Some((by, reason)) = &outcome.dropped {
            self.state.lock().unwrap().push("dropped", &name, &text, Some(format!("dropped by {by}: {reason}")));
            return Ok(ChatOutcome::Dropped { by: by.to_string(), reason: reason.to_string(), failures: failed });
        }
        let shown = match outcome.event.typed() {
            Ok(types::Event::ChatMessageReceived(m)) => m.body,
            _ => text.clone(),
        };
        let modified = shown != text;
        let mut note = modified.then(|| format!("modified by a filter (sent: {text})"));
        if !failed.is_empty() {
            note = Some(failed.join("; "));
        }
        self.state.lock().unwrap().push("viewer", &name, &shown, note);
        self.host.notify(&outcome.event).await;
        Ok(ChatOutcome::Shown { modified, message: outcome.event.payload_json(), failures: failed })
    }

    /// `/_dev/api/event` (`{eventType, payload}`) and upstream's `/_dev/event`
    /// (`{type, payload}`, answered with `{dispatched}`).
    async fn event(&self, body: &Bytes, upstream: bool) -> Response<Bytes> {
        let key = if upstream { "type" } else { "eventType" };
        let v: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return error_response(StatusCode::BAD_REQUEST, format!("body must be JSON {{{key}, payload}}: {e}"))
            }
        };
        let Some(t) = v[key].as_str().filter(|t| !t.trim().is_empty()) else {
            return error_response(StatusCode::BAD_REQUEST, format!("`{key}` is required"));
        };
        // Kept as given (legacy plugins see every field), but checked against
        // the event's record first so an author sees a mistake here.
        let event = match Event::from_json(t, v.get("payload").cloned().unwrap_or(json!({}))) {
            Ok(e) => e,
            Err(e) => return error_response(StatusCode::BAD_REQUEST, e),
        };
        self.state.lock().unwrap().push("event", t, &event.payload_json().to_string(), None);
        self.host.notify(&event).await;
        json_ok(&if upstream { json!({"dispatched": t}) } else { json!({"delivered": t}) })
    }
}

/// What became of a viewer's chat message.
enum ChatOutcome {
    Dropped { by: String, reason: String, failures: Vec<String> },
    Shown { modified: bool, message: Value, failures: Vec<String> },
}

struct DevRoutes(Arc<Dev>);

#[async_trait::async_trait]
impl ExtraRoutes for DevRoutes {
    async fn route(&self, parts: &http::request::Parts, body: &Bytes, _remote: SocketAddr) -> Option<Response<Bytes>> {
        let dev = &self.0;
        let path = parts.uri.path();
        let m = &parts.method;
        let r = match (m, path) {
            (&Method::GET, "/") => {
                let mut r = Response::new(Bytes::new());
                *r.status_mut() = StatusCode::FOUND;
                r.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/_dev/"));
                r
            }
            (&Method::GET, "/_dev" | "/_dev/") => {
                let mut r = Response::new(Bytes::from_static(PAGE.as_bytes()));
                r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            (&Method::GET, "/_dev/api/state") => {
                let since =
                    parts.uri.query().and_then(|q| q.strip_prefix("since=")).and_then(|s| s.parse().ok()).unwrap_or(0);
                json_ok(&dev.state_json(since))
            }
            (&Method::POST, "/_dev/api/chat") => dev.chat(body).await,
            (&Method::POST, "/_dev/api/event") => dev.event(body, false).await,
            (&Method::POST, "/_dev/chat") => dev.upstream_chat(body).await,
            (&Method::GET, "/_dev/chat") => dev.chat_log(),
            (&Method::POST, "/_dev/event") => dev.event(body, true).await,
            (&Method::POST, "/_dev/api/reload") => match dev.reload().await {
                Ok(()) => json_ok(&json!({"ok": true})),
                Err(e) => error_response(StatusCode::UNPROCESSABLE_ENTITY, e),
            },
            (_, p) if p == "/_dev" || p.starts_with("/_dev/") => {
                error_response(StatusCode::NOT_FOUND, format!("no dev route {m} {p}"))
            }
            _ => return None,
        };
        Some(r)
    }
}

/// The build command for a directory, if there is an obvious one (what
/// `owncast-plugin build` would run: the Python SDK for `src/plugin.py`,
/// else package.json's build script).
fn default_build(dir: &Path) -> Option<String> {
    let python = std::env::var("OWNCAST_PYTHON").unwrap_or_else(|_| "python3".into());
    crate::build::detect(dir, &python).ok().map(|c| c.shell_line())
}

/// `(path, length, modified)` of the files in `dir`, minus folders that are
/// never sources.
fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, (u64, Option<SystemTime>)>, depth: usize) {
    const SKIP: &[&str] = &["node_modules", "target", ".git", "dist", "__tests__", "public", "assets"];
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() && depth < 6 && !SKIP.contains(&name.as_str()) => snapshot(&path, out, depth + 1),
            Ok(t) if t.is_file() && !name.ends_with(".wasm") && !name.ends_with(".ocpkg") => {
                if let Ok(m) = e.metadata() {
                    out.insert(path, (m.len(), m.modified().ok()));
                }
            }
            _ => {}
        }
    }
}

/// What a reload depends on: the manifest and the built code.
fn outputs(dir: &Path) -> Option<(Vec<u8>, String, u64, Option<SystemTime>)> {
    let b = PluginBundle::from_dir(dir).ok()?;
    let m = std::fs::metadata(&b.code_file).ok()?;
    Some((b.manifest, b.code_file, m.len(), m.modified().ok()))
}

async fn run_build(dev: &Dev, cmd: &str) -> bool {
    println!("  {} {cmd}", style::cyan("building:"));
    dev.state.lock().unwrap().building = true;
    let out = tokio::process::Command::new("sh").arg("-c").arg(cmd).current_dir(&dev.dir).output().await;
    let mut st = dev.state.lock().unwrap();
    st.building = false;
    match out {
        Ok(o) if o.status.success() => {
            st.build_error = None;
            true
        }
        Ok(o) => {
            let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            let tail: String =
                text.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
            println!("  {} ({})\n{tail}", style::red("build failed"), o.status);
            st.build_error = Some(format!("`{cmd}` failed ({}):\n{tail}", o.status));
            st.push("system", "dev server", "build failed (see the banner)", None);
            false
        }
        Err(e) => {
            st.build_error = Some(format!("could not run `{cmd}`: {e}"));
            false
        }
    }
}

/// What the watcher compares against: source files and the built outputs.
struct Baseline {
    sources: BTreeMap<PathBuf, (u64, Option<SystemTime>)>,
    built: Option<(Vec<u8>, String, u64, Option<SystemTime>)>,
}

impl Baseline {
    /// Taken before the server announces itself, so a change made right after
    /// the announcement is never mistaken for the starting state.
    fn take(dir: &Path) -> Self {
        let mut sources = BTreeMap::new();
        snapshot(dir, &mut sources, 0);
        Baseline { sources, built: outputs(dir) }
    }
}

async fn watch(dev: Arc<Dev>, build: Option<String>, baseline: Baseline) {
    let Baseline { mut sources, mut built } = baseline;
    let mut tick = tokio::time::interval(Duration::from_millis(400));
    loop {
        tick.tick().await;
        let mut now = BTreeMap::new();
        snapshot(&dev.dir, &mut now, 0);
        if now != sources {
            if let Some(cmd) = &build {
                run_build(&dev, cmd).await;
                // What the build itself wrote does not count as a new change.
                now.clear();
                snapshot(&dev.dir, &mut now, 0);
            }
            sources = now;
        }
        let out = outputs(&dev.dir);
        if out.is_some() && out != built {
            println!("  {} reloading", style::cyan("changed:"));
            let _ = dev.reload().await;
            built = out;
        }
    }
}

/// `--listen`, else 127.0.0.1:$PORT when PORT is set, else 127.0.0.1:8080.
fn listen_address(listen: Option<SocketAddr>, port: Option<String>) -> anyhow::Result<SocketAddr> {
    if let Some(l) = listen {
        return Ok(l);
    }
    let port: u16 = match port.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => p.parse().map_err(|_| anyhow::anyhow!("PORT={p:?} is not a port number (1-65535)"))?,
        None => 8080,
    };
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}

/// A `.ocpkg` target unpacked into `into` (the plugin directory to serve).
fn unpack(package: &Path, into: &Path) -> anyhow::Result<PathBuf> {
    let bytes = std::fs::read(package).map_err(|e| anyhow::anyhow!("{}: {e}", package.display()))?;
    let pkg = read_package(&bytes, &package.display().to_string(), &PackageLimits::default())?;
    let dir = into.join("package");
    pkg.extract(&dir)?;
    Ok(dir)
}

/// Removes the dev server's data folder (its unpacked package, the plugin's
/// stores) however `run` ends: a shutdown, or an error after it was made.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let listen = listen_address(a.listen, std::env::var("PORT").ok())?;
    let data_dir = std::env::temp_dir().join(format!("owncast-plugin-serve-{}", std::process::id()));
    let _data_dir_removed = RemoveOnDrop(data_dir.clone());
    let package = a.dir.is_file() && a.dir.extension().is_some_and(|e| e == "ocpkg");
    let dir = if package {
        unpack(&a.dir, &data_dir)?
    } else {
        a.dir.canonicalize().map_err(|e| anyhow::anyhow!("{}: {e}", a.dir.display()))?
    };
    let state = Arc::new(Mutex::new(DevState::default()));
    let chat_state = state.clone();
    let sim = SimulatedOwncast::demo().on_chat(move |_slug, bot, m| {
        let (text, note) = match m {
            ChatSend::Message { body } => (body.clone(), None),
            ChatSend::Action { body } => (body.clone(), Some("action".to_string())),
            ChatSend::System { html } => (html.clone(), Some("system message (HTML)".to_string())),
            ChatSend::To { client_id, body } => (body.clone(), Some(format!("only to client {client_id}"))),
        };
        chat_state.lock().unwrap().push("plugin", bot, &text, note);
    });
    let mut builder =
        Host::builder(Arc::new(sim), Arc::new(NetworkOutbound)).runtime(setup::runtime()?).data_dir(&data_dir);
    for l in setup::loaders() {
        builder = builder.loader(l);
    }
    let host = Arc::new(builder.build()?);
    let dev = Arc::new(Dev {
        dir: dir.clone(),
        host: host.clone(),
        state,
        slug: Mutex::new(None),
        admin_password: a.admin_password.clone(),
        next_message: Mutex::new(0),
    });
    let no_watch = a.no_watch || package;
    let build = if package { None } else { a.build.clone().or_else(|| default_build(&dir)) };
    if let (Some(cmd), false) = (&build, outputs(&dir).is_some()) {
        run_build(&dev, cmd).await;
    }
    let _ = dev.reload().await;

    let config = ServerConfig::new(host.runtime().limits()).admin_password(a.admin_password.clone());
    let server = Arc::new(PluginServer::new(host.clone(), config).with_extra_routes(Arc::new(DevRoutes(dev.clone()))));
    let running = server.bind(listen).await.map_err(|e| anyhow::anyhow!("listening on {listen}: {e}"))?;
    let baseline = (!no_watch).then(|| Baseline::take(&dir));
    let base = format!("http://{}", running.local_addr());
    let slug = dev.slug.lock().unwrap().clone().unwrap_or_else(|| "<slug>".into());
    println!("{} {}", style::bold("Dev server for"), a.dir.display());
    println!("  dev page     {}", style::cyan(&format!("{base}/_dev/")));
    println!("  plugin       {base}/plugins/{slug}/");
    println!("  admin pages  user admin, password {}", a.admin_password);
    println!("  drive chat   curl -XPOST {base}/_dev/chat -d '{{\"user\":\"alice\",\"body\":\"hi\"}}'");
    println!("  drive events curl -XPOST {base}/_dev/event -d '{{\"type\":\"stream.started\",\"payload\":{{}}}}'");
    match (&build, no_watch) {
        (_, true) if package => println!("  serving a package: not watching files"),
        (_, true) => println!("  not watching files"),
        (Some(cmd), false) => println!("  watching; sources rebuild with `{cmd}`, new builds reload"),
        (None, false) => println!("  watching; new builds reload (pass --build CMD to rebuild on source changes)"),
    }
    println!("  Ctrl-C stops.");
    if let Some(baseline) = baseline {
        tokio::spawn(watch(dev.clone(), build, baseline));
    }
    crate::run::shutdown_signal().await;
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn listen_address_honours_port() {
        let addr = |l: Option<&str>, p: Option<&str>| {
            super::listen_address(l.map(|l| l.parse().unwrap()), p.map(String::from))
        };
        assert_eq!(addr(None, None).unwrap().to_string(), "127.0.0.1:8080");
        assert_eq!(addr(None, Some("8765")).unwrap().to_string(), "127.0.0.1:8765");
        assert_eq!(addr(Some("0.0.0.0:9000"), Some("8765")).unwrap().to_string(), "0.0.0.0:9000");
        assert!(addr(None, Some("eighty")).unwrap_err().to_string().contains("PORT=\"eighty\""));
    }

    #[test]
    fn rfc3339() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_201);
        assert_eq!(super::rfc3339(t), "2024-01-01T00:00:01Z");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400); // leap day 2000
        assert_eq!(super::rfc3339(t), "2000-02-29T00:00:00Z");
    }
}
