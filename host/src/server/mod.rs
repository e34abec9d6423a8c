//! The HTTP server: everything under `/plugins/<slug>/`, the host-owned
//! plugin endpoints, `GET /api/plugins/actions` and the admin API.
//!
//! One routing function ([`PluginServer::handle`] and the live server share
//! it) decides every request:
//!
//! | path | what |
//! | --- | --- |
//! | `/plugins/<slug>/_icon`, `/plugins/<slug>/_instructions` | the plugin's `icon.png` and `INSTRUCTIONS.md`; no permission needed |
//! | `/plugins/<slug>/_sse/<channel>` | server-sent events the plugin sends on `channel` (`http.sse`) |
//! | `/plugins/<slug>/<path>` | a file of the plugin's `public/` folder (GET/HEAD), else the plugin's `on_http_request` (`http.serve`) |
//! | `/api/plugins/actions` | every plugin's action buttons |
//! | `/api/admin/plugins...` | the admin API (see [`admin`]) |
//!
//! Paths matching the plugin's `admin.pages` globs (a page also covers what
//! lies beneath it) need admin authentication: HTTP Basic with user `admin`
//! and the configured password, or a bearer token. Request bodies over the
//! cap get 413; a plugin answer over the cap, or one that is not valid, gets
//! 502; a plugin that runs out of time gets 504. Every host-made error is
//! JSON `{"error": "<message>"}`.

pub mod admin;
mod auth;
mod files;
pub mod headers;
mod sse;

pub use auth::{RequestAuth, UserResolver};

use crate::dispatcher::HttpDispatchError;
use crate::host::{Host, LoadedPlugin, PluginAssets};
use crate::manager::PluginManager;
use crate::manifest::{glob_match, validate_slug, Manifest};
use crate::permissions::Permission;
use crate::plugin::CallError;
use crate::runtime::Limits;
use crate::types::{HttpRequest, HttpResponse};
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, Limited};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The body type of live responses (buffered, or a stream for SSE).
pub type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

/// How the server behaves; [`ServerConfig::new`] takes the body caps from the
/// runtime's limits.
#[derive(Clone)]
pub struct ServerConfig {
    /// Password of the `admin` user (HTTP Basic), Owncast's convention.
    pub admin_password: Option<String>,
    /// Bearer tokens that also grant admin access.
    pub admin_tokens: Vec<String>,
    /// Largest request body a plugin (or the host) accepts; 413 beyond it.
    pub max_request_body: usize,
    /// Largest body a plugin may answer with; 502 beyond it.
    pub max_response_body: usize,
    /// Largest `.ocpkg` the admin API accepts.
    pub max_upload_bytes: usize,
    /// Largest file served from a plugin's `public/` folder.
    pub max_static_file_bytes: u64,
    /// How often an idle SSE stream gets a keep-alive comment.
    pub sse_keep_alive: Duration,
}

impl ServerConfig {
    pub fn new(limits: &Limits) -> Self {
        ServerConfig {
            admin_password: None,
            admin_tokens: Vec::new(),
            max_request_body: limits.http_body_bytes,
            max_response_body: limits.http_body_bytes,
            max_upload_bytes: 64 << 20,
            max_static_file_bytes: 32 << 20,
            sse_keep_alive: Duration::from_secs(15),
        }
    }
    pub fn admin_password(mut self, p: impl Into<String>) -> Self {
        self.admin_password = Some(p.into());
        self
    }
    pub fn admin_token(mut self, t: impl Into<String>) -> Self {
        self.admin_tokens.push(t.into());
        self
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::new(&Limits::default())
    }
}

/// Routes the embedding application adds in front of the plugin routes (the
/// dev server's page and endpoints).
#[async_trait::async_trait]
pub trait ExtraRoutes: Send + Sync + 'static {
    /// Answers the request, or `None` to let the plugin server route it.
    async fn route(&self, parts: &http::request::Parts, body: &Bytes, remote: SocketAddr) -> Option<Response<Bytes>>;
}

/// The plugin HTTP server. Cheap to share: wrap it in an `Arc`.
pub struct PluginServer {
    host: Arc<Host>,
    manager: Option<Arc<PluginManager>>,
    config: ServerConfig,
    users: Option<Arc<dyn UserResolver>>,
    extra: Option<Arc<dyn ExtraRoutes>>,
    next_sse_id: AtomicU64,
}

/// A response that is either complete or a stream.
pub(crate) enum Reply {
    Full(Response<Bytes>),
    Stream(Response<ResponseBody>),
}

impl From<Response<Bytes>> for Reply {
    fn from(r: Response<Bytes>) -> Self {
        Reply::Full(r)
    }
}

/// A host-made JSON error: `{"error": message}`.
pub fn error_response(status: StatusCode, message: impl std::fmt::Display) -> Response<Bytes> {
    json_response(status, &serde_json::json!({ "error": message.to_string() }))
}

pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(serde_json::to_vec(value).unwrap_or_default()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn unauthorized(message: &str) -> Response<Bytes> {
    let mut r = error_response(StatusCode::UNAUTHORIZED, message);
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Owncast\", charset=\"UTF-8\""));
    r
}

fn full_body(r: Response<Bytes>) -> Response<ResponseBody> {
    r.map(|b| Full::new(b).boxed_unsync())
}

impl PluginServer {
    pub fn new(host: Arc<Host>, config: ServerConfig) -> Self {
        PluginServer { host, manager: None, config, users: None, extra: None, next_sse_id: AtomicU64::new(1) }
    }
    /// Adds the admin API and lets disabled plugins' icons and instructions be served.
    pub fn with_manager(mut self, m: Arc<PluginManager>) -> Self {
        self.manager = Some(m);
        self
    }
    /// How a viewer's own (non-admin) Owncast authentication is recognized.
    pub fn with_user_resolver(mut self, u: Arc<dyn UserResolver>) -> Self {
        self.users = Some(u);
        self
    }
    pub fn with_extra_routes(mut self, e: Arc<dyn ExtraRoutes>) -> Self {
        self.extra = Some(e);
        self
    }
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }
    pub fn manager(&self) -> Option<&Arc<PluginManager>> {
        self.manager.as_ref()
    }
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Routes one request without a socket, through exactly the code the live
    /// server uses (the scenario runner's `http` steps come here). A
    /// [`RequestAuth`] in the request's extensions stands in for credentials;
    /// the network can never put one there. SSE answers with its headers and
    /// the opening comment only.
    pub async fn handle(&self, req: Request<Bytes>, remote: SocketAddr) -> Response<Bytes> {
        let (mut parts, body) = req.into_parts();
        let auth = match parts.extensions.remove::<RequestAuth>() {
            Some(a) => a,
            None => self.authenticate(&parts),
        };
        if let Some(r) = self.before_body(&parts, &auth) {
            return r;
        }
        let cap = self.body_cap(&parts, &auth);
        if body.len() > cap {
            return too_large(cap);
        }
        match self.respond(parts, body, remote, auth).await {
            Reply::Full(r) => r,
            Reply::Stream(r) => {
                let (parts, _stream) = r.into_parts();
                Response::from_parts(parts, Bytes::from_static(sse::OPENING))
            }
        }
    }

    /// Binds `addr` and serves until the returned handle is shut down.
    pub async fn bind(self: Arc<Self>, addr: SocketAddr) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        self.serve(listener)
    }

    /// Serves connections from `listener` on the current tokio runtime.
    pub fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<RunningServer> {
        let addr = listener.local_addr()?;
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = stop_rx.changed() => break,
                    accepted = listener.accept() => {
                        let (stream, remote) = match accepted {
                            Ok(a) => a,
                            Err(e) => {
                                tracing::warn!("accepting a connection: {e}");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue;
                            }
                        };
                        let server = self.clone();
                        conns.spawn(async move {
                            let svc = hyper::service::service_fn(move |req| {
                                let server = server.clone();
                                async move { Ok::<_, Infallible>(server.serve_one(req, remote).await) }
                            });
                            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                            if let Err(e) = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await {
                                tracing::debug!(%remote, "connection ended: {e}");
                            }
                        });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
            conns.shutdown().await;
        });
        Ok(RunningServer { addr, stop: stop_tx, task })
    }

    /// One request from the network: credentials, body cap, then [`respond`](Self::respond).
    async fn serve_one(&self, req: Request<hyper::body::Incoming>, remote: SocketAddr) -> Response<ResponseBody> {
        let (parts, body) = req.into_parts();
        let auth = self.authenticate(&parts);
        if let Some(r) = self.before_body(&parts, &auth) {
            return full_body(r);
        }
        let cap = self.body_cap(&parts, &auth);
        let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap as u64) {
            return full_body(too_large(cap));
        }
        let body = match Limited::new(body, cap).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => return full_body(too_large(cap)),
            Err(e) => return full_body(error_response(StatusCode::BAD_REQUEST, format!("could not read the request body: {e}"))),
        };
        match self.respond(parts, body, remote, auth).await {
            Reply::Full(r) => full_body(r),
            Reply::Stream(r) => r,
        }
    }

    /// The caller's credentials.
    fn authenticate(&self, parts: &http::request::Parts) -> RequestAuth {
        let admin = auth::is_admin(&self.config, &parts.headers);
        let user = self.users.as_ref().and_then(|u| u.resolve(parts));
        RequestAuth { admin, user }
    }

    /// Rejections that need no body (so an unauthenticated upload is refused
    /// before it is read).
    fn before_body(&self, parts: &http::request::Parts, auth: &RequestAuth) -> Option<Response<Bytes>> {
        if admin::is_admin_path(parts.uri.path()) && !auth.admin {
            return Some(unauthorized("admin authentication required"));
        }
        None
    }

    fn body_cap(&self, parts: &http::request::Parts, auth: &RequestAuth) -> usize {
        if auth.admin && parts.method == Method::POST && parts.uri.path().trim_end_matches('/') == admin::PLUGINS_PATH {
            self.config.max_upload_bytes
        } else {
            self.config.max_request_body
        }
    }

    /// The router shared by the live server and [`handle`](Self::handle).
    async fn respond(&self, parts: http::request::Parts, body: Bytes, remote: SocketAddr, auth: RequestAuth) -> Reply {
        if let Some(extra) = &self.extra {
            if let Some(r) = extra.route(&parts, &body, remote).await {
                return r.into();
            }
        }
        let path = parts.uri.path().to_string();
        if path == "/api/plugins/actions" {
            if parts.method != Method::GET && parts.method != Method::HEAD {
                return method_not_allowed("GET, HEAD").into();
            }
            return self.actions().into();
        }
        if admin::is_admin_path(&path) {
            return admin::handle(self, &parts, body).await.into();
        }
        if let Some(rest) = path.strip_prefix("/plugins/") {
            return self.plugin_space(&parts, body, remote, auth, rest).await;
        }
        error_response(StatusCode::NOT_FOUND, format!("no route for {path}")).into()
    }

    fn actions(&self) -> Response<Bytes> {
        let list: Vec<serde_json::Value> = self
            .host
            .services()
            .actions
            .all()
            .into_iter()
            .filter(|(slug, _)| self.host.get(slug).is_some_and(|p| p.is_enabled()))
            .map(|(slug, a)| {
                let mut v = serde_json::to_value(&a).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("plugin".into(), slug.into());
                }
                v
            })
            .collect();
        json_response(StatusCode::OK, &serde_json::Value::Array(list))
    }

    /// Assets of a plugin the host runs, else of one the manager knows.
    fn assets_of(&self, slug: &str) -> Option<PluginAssets> {
        if let Some(p) = self.host.get(slug) {
            return Some(p.assets.clone());
        }
        self.manager.as_ref().and_then(|m| m.assets(slug))
    }

    async fn plugin_space(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
        remote: SocketAddr,
        auth: RequestAuth,
        rest: &str,
    ) -> Reply {
        let (slug, sub) = match rest.split_once('/') {
            Some((s, r)) => (s, Some(r)),
            None => (rest, None),
        };
        if validate_slug(slug).is_err() {
            return error_response(StatusCode::NOT_FOUND, format!("no plugin `{}`", truncate(slug, 80))).into();
        }
        let Some(sub) = sub else {
            // `/plugins/<slug>` → `/plugins/<slug>/`, so relative links in pages work.
            let mut to = format!("/plugins/{slug}/");
            if let Some(q) = parts.uri.query() {
                to.push('?');
                to.push_str(q);
            }
            let mut r = Response::new(Bytes::new());
            *r.status_mut() = StatusCode::PERMANENT_REDIRECT;
            r.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")));
            return r.into();
        };
        let rel = match decode_path(sub) {
            Ok(p) => p,
            Err(m) => return error_response(StatusCode::BAD_REQUEST, m).into(),
        };
        let is_read = parts.method == Method::GET || parts.method == Method::HEAD;

        // Host-owned endpoints that need no permission and work while disabled.
        if rel == "_icon" || rel == "_instructions" {
            if !is_read {
                return method_not_allowed("GET, HEAD").into();
            }
            let Some(assets) = self.assets_of(slug) else {
                return error_response(StatusCode::NOT_FOUND, format!("no plugin `{slug}`")).into();
            };
            let (file, what) = if rel == "_icon" {
                (assets.icon, "icon (icon.png)")
            } else {
                (assets.instructions, "instructions (INSTRUCTIONS.md)")
            };
            let Some(file) = file else {
                return error_response(StatusCode::NOT_FOUND, format!("plugin `{slug}` has no {what}")).into();
            };
            return files::serve_file(&file, &parts.headers, self.config.max_static_file_bytes).into();
        }

        let Some(plugin) = self.host.get(slug) else {
            if self.manager.as_ref().is_some_and(|m| m.knows(slug)) {
                return error_response(StatusCode::SERVICE_UNAVAILABLE, format!("plugin `{slug}` is not enabled")).into();
            }
            return error_response(StatusCode::NOT_FOUND, format!("no plugin `{slug}`")).into();
        };
        if !plugin.is_enabled() {
            return error_response(StatusCode::SERVICE_UNAVAILABLE, format!("plugin `{slug}` is disabled")).into();
        }
        if is_admin_page(&plugin.manifest, &rel) && !auth.admin {
            return unauthorized(&format!("/plugins/{slug}/{rel} is an admin page of plugin `{slug}`: admin authentication required")).into();
        }
        if let Some(channel) = rel.strip_prefix("_sse/") {
            if !is_read {
                return method_not_allowed("GET").into();
            }
            return sse::open(self, &plugin, channel, remote);
        }
        if is_read {
            if let Some(dir) = &plugin.assets.public_dir {
                if let Some(r) = files::serve_public(dir, &rel, &parts.headers, self.config.max_static_file_bytes) {
                    return r.into();
                }
            }
        }
        self.to_plugin(&plugin, parts, body, remote, auth, rel).await.into()
    }

    async fn to_plugin(
        &self,
        plugin: &Arc<LoadedPlugin>,
        parts: &http::request::Parts,
        body: Bytes,
        remote: SocketAddr,
        auth: RequestAuth,
        rel: String,
    ) -> Response<Bytes> {
        let slug = plugin.slug().to_string();
        if !plugin.grants().contains(Permission::HttpServe) {
            return error_response(
                StatusCode::NOT_FOUND,
                format!("plugin `{slug}` has no file /{rel} and does not serve HTTP (permission http.serve)"),
            );
        }
        let body = match String::from_utf8(body.to_vec()) {
            Ok(b) => b,
            Err(_) => {
                return error_response(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "request body is not UTF-8 text; plugins receive bodies as text",
                )
            }
        };
        let req = HttpRequest {
            method: parts.method.to_string(),
            path: rel,
            query: parts.uri.query().unwrap_or("").to_string(),
            headers: headers::request_headers(&parts.headers),
            body,
            remote_addr: remote.ip().to_string(),
            authenticated: auth.authenticated(),
            user: auth.user,
        };
        match self.host.http_request(&slug, &req).await {
            Ok(resp) => self.plugin_response(&slug, resp),
            Err(HttpDispatchError::NoSuchPlugin(_)) => error_response(StatusCode::NOT_FOUND, format!("no plugin `{slug}`")),
            Err(HttpDispatchError::Disabled(_)) => {
                error_response(StatusCode::SERVICE_UNAVAILABLE, format!("plugin `{slug}` is disabled"))
            }
            Err(HttpDispatchError::NotServing(_)) => error_response(
                StatusCode::NOT_FOUND,
                format!("plugin `{slug}` does not serve HTTP (permission http.serve)"),
            ),
            Err(HttpDispatchError::Failed { error: CallError::Timeout(d), .. }) => error_response(
                StatusCode::GATEWAY_TIMEOUT,
                format!("plugin `{slug}` did not answer within {} ms", d.as_millis()),
            ),
            Err(HttpDispatchError::Failed { error, .. }) => {
                error_response(StatusCode::BAD_GATEWAY, format!("plugin `{slug}` failed: {error}"))
            }
        }
    }

    /// Checks and filters a plugin's answer.
    fn plugin_response(&self, slug: &str, resp: HttpResponse) -> Response<Bytes> {
        let cap = self.config.max_response_body;
        if resp.body.len() > cap {
            return error_response(
                StatusCode::BAD_GATEWAY,
                format!("plugin `{slug}` answered with a {}-byte body; the limit is {cap} bytes", resp.body.len()),
            );
        }
        let status = match StatusCode::from_u16(resp.status) {
            Ok(s) if (200..=599).contains(&resp.status) => s,
            _ => {
                return error_response(
                    StatusCode::BAD_GATEWAY,
                    format!("plugin `{slug}` answered with status {}, which is not between 200 and 599", resp.status),
                )
            }
        };
        let mut r = Response::new(Bytes::from(resp.body));
        *r.status_mut() = status;
        let (kept, dropped) = headers::response_headers(&resp.headers);
        if !dropped.is_empty() {
            tracing::debug!(plugin = %slug, ?dropped, "response headers not in the allowlist were dropped");
        }
        *r.headers_mut() = kept;
        let h = r.headers_mut();
        h.entry(header::CONTENT_TYPE).or_insert(HeaderValue::from_static("text/plain; charset=utf-8"));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        r
    }
}

/// The handle of a running server.
pub struct RunningServer {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// Stops accepting and closes every connection.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
    /// Waits until the server stops (it only stops when shut down or on panic).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

fn too_large(cap: usize) -> Response<Bytes> {
    error_response(StatusCode::PAYLOAD_TOO_LARGE, format!("request body is over the {cap}-byte limit"))
}

pub(crate) fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut r = error_response(StatusCode::METHOD_NOT_ALLOWED, format!("method not allowed here (allowed: {allow})"));
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Percent-decodes the part of the path after `/plugins/<slug>/` and refuses
/// anything that could leave the plugin's folder.
pub fn decode_path(raw: &str) -> Result<String, String> {
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
    let path = String::from_utf8(bytes).map_err(|_| "path is not valid UTF-8 once decoded".to_string())?;
    if path.contains(['\\', '\0']) {
        return Err("path may not contain backslashes or NUL".into());
    }
    if path.split('/').any(|seg| seg == ".." || seg == ".") {
        return Err("path may not contain `.` or `..` segments".into());
    }
    Ok(path)
}

/// Whether `rel` (a path relative to the plugin's URL space) is one of its
/// admin pages: it matches a page's glob, or lies beneath a page.
pub fn is_admin_page(manifest: &Manifest, rel: &str) -> bool {
    let rel = rel.trim_start_matches('/');
    manifest.admin_pages.iter().any(|p| {
        let pattern = p.path.trim_start_matches('/').trim_end_matches('/');
        if pattern.is_empty() {
            return true;
        }
        let rel = rel.trim_end_matches('/');
        glob_match(pattern, rel) || glob_match(&format!("{pattern}/*"), rel)
    })
}
