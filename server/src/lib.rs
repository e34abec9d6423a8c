//! The HTTP server: everything under `/plugins/<slug>/`, the host-owned
//! plugin endpoints, `GET /api/plugins/actions` and the admin API.
//!
//! One routing function ([`PluginServer::handle`] and the live server share
//! it) decides every request:
//!
//! | path | what |
//! | --- | --- |
//! | `/plugins/<slug>/_sse/<channel>` | server-sent events the plugin sends on `channel` (`http.sse`) |
//! | `/plugins/<slug>/<path>` | a file of the plugin's `public/` folder (GET/HEAD), else the plugin's `on_http_request` (`http.serve`) |
//! | `/api/plugins/<slug>/icon` | the plugin's `icon.png` (alias `/plugins/<slug>/_icon`); no permission needed, enabled plugins only (the admin sees any) |
//! | `/api/admin/plugins/<slug>/instructions` | its `INSTRUCTIONS.md`, admin only (alias `/plugins/<slug>/_instructions`) |
//! | `/api/plugins/actions` | every enabled plugin's action buttons |
//! | `/api/plugins/config` | every enabled plugin's page contributions, in the fields of Owncast's `/api/config` |
//! | `/api/admin/plugins...` | the admin API (see [`admin`]) |
//! | `/admin/plugins/` | the admin Plugins page (see [`admin_page`]) |
//! | [`ServerConfig::metrics_path`] (`/api/admin/metrics`) | every plugin's metrics, Prometheus text format |
//!
//! Paths matching the plugin's `admin.pages` globs (a page also covers what
//! lies beneath it) need admin authentication: HTTP Basic with user `admin`
//! and the configured password, or a bearer token. Request bodies over the
//! cap get 413; a plugin answer over the cap, or one that is not valid, gets
//! 502; a plugin that runs out of time gets 504. Every host-made error is
//! JSON `{"error": "<message>"}`.

// Handlers return early with a finished response as their `Err`; it is built
// once per refused request, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod admin_page;
mod auth;
pub mod capability;
pub mod csp;
pub mod envelope;
mod files;
pub mod headers;
pub mod limits;
pub mod origin;
mod page;
pub mod ratelimit;
mod sse;

pub use auth::{RequestAuth, UserResolver};
pub use limits::ConnectionLimits;
pub use ratelimit::LoginLimits;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use owncast_plugin_host::dispatcher::HttpDispatchError;
use owncast_plugin_host::host::{Host, LoadedPlugin};
use owncast_plugin_host::manifest::{glob_match, validate_slug, Manifest};
use owncast_plugin_host::permissions::Permission;
use owncast_plugin_host::plugin::CallError;
use owncast_plugin_host::runtime::Limits;
use owncast_plugin_host::types::{HttpRequest, HttpResponse};
use owncast_plugin_host::PluginAssets;
use owncast_plugin_manager::PluginManager;
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
    /// Connection caps, timeouts and the request-body memory budget ([`limits`]).
    pub limits: ConnectionLimits,
    /// How failed admin logins are throttled ([`ratelimit`]).
    pub logins: LoginLimits,
    /// Where the Prometheus text exposition of plugin metrics is served
    /// (`None`: nowhere).
    pub metrics_path: Option<String>,
    /// Serve the metrics without admin authentication (for a scraper on a
    /// private network); off by default.
    pub metrics_public: bool,
}

impl ServerConfig {
    pub fn new(limits: &Limits) -> Self {
        ServerConfig {
            admin_password: None,
            admin_tokens: Vec::new(),
            max_request_body: limits.http_body_bytes,
            max_response_body: limits.http_response_bytes,
            max_upload_bytes: 64 << 20,
            max_static_file_bytes: 32 << 20,
            sse_keep_alive: Duration::from_secs(15),
            limits: ConnectionLimits::default(),
            logins: LoginLimits::default(),
            metrics_path: Some("/api/admin/metrics".into()),
            metrics_public: false,
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
    gate: Arc<limits::Gate>,
    bodies: limits::BodyBudget,
    logins: ratelimit::LoginLimiter,
    page_keys: capability::PageKeys,
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
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn unauthorized(message: &str) -> Response<Bytes> {
    let mut r = error_response(StatusCode::UNAUTHORIZED, message);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Owncast\", charset=\"UTF-8\""));
    r
}

fn full_body(r: Response<Bytes>) -> Response<ResponseBody> {
    r.map(|b| Full::new(b).boxed_unsync())
}

impl PluginServer {
    /// Also starts the host's timers (see [`Host::start_timers`]).
    pub fn new(host: Arc<Host>, config: ServerConfig) -> Self {
        host.start_timers();
        let gate = limits::Gate::new(&config.limits);
        let bodies = limits::BodyBudget::new(config.limits.body_budget_bytes);
        let logins = ratelimit::LoginLimiter::new(config.logins.clone());
        let page_keys = capability::PageKeys::new();
        PluginServer {
            host,
            manager: None,
            config,
            users: None,
            extra: None,
            next_sse_id: AtomicU64::new(1),
            gate,
            bodies,
            logins,
            page_keys,
        }
    }
    /// Adds the admin API and lets the admin see icons and instructions of plugins not running.
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
    /// Connections open on the live server.
    pub fn open_connections(&self) -> usize {
        self.gate.open()
    }
    /// Bytes of request bodies being received or handled right now.
    pub fn body_bytes_in_flight(&self) -> usize {
        self.bodies.in_use()
    }

    /// Routes one request without a socket, through exactly the code the live
    /// server uses (the scenario runner's `http` steps come here). A
    /// [`RequestAuth`] in the request's extensions stands in for credentials;
    /// the network can never put one there. SSE answers with its headers and
    /// the opening comment only.
    pub async fn handle(&self, req: Request<Bytes>, remote: SocketAddr) -> Response<Bytes> {
        match self.handle_buffered(req, remote).await {
            Reply::Full(r) => r,
            Reply::Stream(r) => {
                let (parts, _stream) = r.into_parts();
                Response::from_parts(parts, Bytes::from_static(sse::OPENING))
            }
        }
    }

    /// [`handle`](Self::handle), but an SSE answer comes back as its live
    /// stream: for embedders that bring their own HTTP server and hand
    /// requests over with the body already read (the C ABI).
    pub async fn handle_streaming(&self, req: Request<Bytes>, remote: SocketAddr) -> Response<ResponseBody> {
        match self.handle_buffered(req, remote).await {
            Reply::Full(r) => full_body(r),
            Reply::Stream(r) => r,
        }
    }

    /// A request whose body is already read: credentials (or the
    /// [`RequestAuth`] in its extensions), body cap, then [`respond`](Self::respond).
    async fn handle_buffered(&self, req: Request<Bytes>, remote: SocketAddr) -> Reply {
        let (mut parts, body) = req.into_parts();
        let auth = match parts.extensions.remove::<RequestAuth>() {
            Some(a) => a,
            None => match self.authenticate(&parts, remote) {
                Ok(a) => a,
                Err(r) => return r.into(),
            },
        };
        if let Some(r) = self.before_body(&parts, &auth) {
            return r.into();
        }
        let cap = self.body_cap(&parts, &auth);
        if body.len() > cap {
            return too_large(cap).into();
        }
        self.respond(parts, body, remote, auth).await
    }

    /// Binds `addr` and serves until the returned handle is shut down.
    pub async fn bind(self: Arc<Self>, addr: SocketAddr) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        self.serve(listener)
    }

    /// Serves connections from `listener` on the current tokio runtime,
    /// within the connection caps and timeouts of [`ServerConfig::limits`].
    pub fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<RunningServer> {
        let addr = listener.local_addr()?;
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            let gate = self.gate.clone();
            loop {
                // A place first: at the cap the server stops accepting.
                let next = async {
                    let place = gate.reserve().await;
                    (place, listener.accept().await)
                };
                tokio::select! {
                    _ = stop_rx.changed() => break,
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                    (place, accepted) = next => {
                        let (stream, remote) = match accepted {
                            Ok(a) => a,
                            Err(e) => {
                                tracing::warn!("accepting a connection: {e}");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue;
                            }
                        };
                        let Some(slot) = gate.admit(remote.ip(), place) else {
                            tracing::debug!(%remote, "connection closed: the client is at its connection cap");
                            drop(stream);
                            continue;
                        };
                        conns.spawn(self.clone().connection(stream, remote, slot));
                    }
                }
            }
            conns.shutdown().await;
        });
        Ok(RunningServer { addr, stop: stop_tx, task })
    }

    /// Serves one connection over any byte stream, exactly as a connection
    /// accepted by [`serve`](Self::serve) (its place under the connection
    /// caps, its watchdog, HTTP/1.1 or HTTP/2): for the fuzzer, which feeds
    /// raw request bytes without a socket. Returns when the connection ends;
    /// a client over its connection cap is dropped at once.
    #[doc(hidden)]
    pub async fn serve_stream<S>(self: Arc<Self>, stream: S, remote: SocketAddr)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let place = self.gate.reserve().await;
        if let Some(slot) = self.gate.admit(remote.ip(), place) {
            self.connection(stream, remote, slot).await;
        }
    }

    /// One connection, HTTP/1.1 or HTTP/2 (prior knowledge), under its watchdog.
    async fn connection<S>(self: Arc<Self>, stream: S, remote: SocketAddr, _slot: limits::Slot)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let activity = limits::Activity::new();
        let io = hyper_util::rt::TokioIo::new(limits::Watched::new(stream, activity.clone()));
        let server = self.clone();
        let requests = activity.clone();
        let svc = hyper::service::service_fn(move |req| {
            let server = server.clone();
            let in_flight = requests.request();
            async move {
                let r = server.serve_one(req, remote).await;
                Ok::<_, Infallible>(r.map(|b| limits::Tracked::new(b, in_flight)))
            }
        });
        let l = &self.config.limits;
        let mut builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        // What a connection may buffer beyond its body's share (a request head must fit).
        builder.http1().max_buf_size(64 << 10);
        builder
            .http2()
            .max_concurrent_streams(l.max_h2_streams)
            .max_pending_accept_reset_streams(20)
            .max_local_error_reset_streams(64)
            .max_header_list_size(64 << 10);
        let conn = builder.serve_connection(io, svc);
        tokio::pin!(conn);
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%remote, "connection ended: {e}");
                }
            }
            why = activity.expired(l) => {
                tracing::debug!(%remote, ?why, "closing the connection: over its time limit");
                if why == limits::Expiry::Idle {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(1), conn.as_mut()).await;
                }
            }
        }
    }

    /// One request from the network: credentials, body cap and budget, then [`respond`](Self::respond).
    async fn serve_one(&self, req: Request<hyper::body::Incoming>, remote: SocketAddr) -> Response<ResponseBody> {
        let (parts, body) = req.into_parts();
        let auth = match self.authenticate(&parts, remote) {
            Ok(a) => a,
            Err(r) => return full_body(r),
        };
        if let Some(r) = self.before_body(&parts, &auth) {
            return full_body(r);
        }
        let cap = self.body_cap(&parts, &auth);
        let declared =
            parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap as u64) {
            return full_body(too_large(cap));
        }
        // The share of the body budget is held until the answer is ready.
        let (body, _share) = match self.bodies.read(body, declared, cap, &self.config.limits).await {
            Ok(b) => b,
            Err(limits::BodyError::TooLarge(cap)) => return full_body(too_large(cap)),
            Err(limits::BodyError::Busy) => {
                tracing::warn!(%remote, "request refused: request bodies in flight hold the whole body budget");
                let mut r = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is busy receiving other requests; try again",
                );
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return full_body(r);
            }
            Err(limits::BodyError::TimedOut) => {
                tracing::debug!(%remote, "request body timed out");
                let mut r = error_response(StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time");
                if parts.version < http::Version::HTTP_2 {
                    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                return full_body(r);
            }
            Err(limits::BodyError::Read(e)) => {
                return full_body(error_response(
                    StatusCode::BAD_REQUEST,
                    format!("could not read the request body: {e}"),
                ))
            }
        };
        match self.respond(parts, body, remote, auth).await {
            Reply::Full(r) => full_body(r),
            Reply::Stream(r) => r,
        }
    }

    /// The caller's credentials, or 429 while its address is locked out
    /// after failed admin logins ([`ratelimit`]).
    fn authenticate(&self, parts: &http::request::Parts, remote: SocketAddr) -> Result<RequestAuth, Response<Bytes>> {
        let user = self.users.as_ref().and_then(|u| u.resolve(parts));
        let presented = auth::presented(&self.config, &parts.headers);
        // A bearer token a viewer is recognized by is not an admin login attempt.
        let attempt = match presented {
            auth::Presented::None => false,
            auth::Presented::WrongBearer => user.is_none(),
            auth::Presented::Admin | auth::Presented::WrongBasic => true,
        };
        if attempt {
            if let Err(wait) = self.logins.check(remote.ip()) {
                let secs = wait.as_secs() + 1;
                let mut r = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("too many failed logins from this address; try again in {secs} s"),
                );
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                return Err(r);
            }
        }
        let admin = presented == auth::Presented::Admin;
        if admin {
            self.logins.succeeded(remote.ip());
        } else if attempt {
            let client = remote.ip();
            match self.logins.failed(client) {
                (failures, Some(d)) => tracing::warn!(
                    %client,
                    failures,
                    path = parts.uri.path(),
                    "failed admin login; credentials from this address are refused for {} s",
                    d.as_secs_f32()
                ),
                (failures, None) => tracing::warn!(%client, failures, path = parts.uri.path(), "failed admin login"),
            }
        }
        Ok(RequestAuth { admin, user })
    }

    /// Rejections that need no body (so an unauthenticated upload is refused
    /// before it is read): admin authentication, then the cross-site rules
    /// of [`origin`] for state-changing admin requests.
    fn before_body(&self, parts: &http::request::Parts, auth: &RequestAuth) -> Option<Response<Bytes>> {
        let path = parts.uri.path();
        let metrics = self.config.metrics_path.as_deref() == Some(path);
        let needs_admin = if metrics {
            !self.config.metrics_public
        } else {
            admin::is_admin_path(path) || admin_page::is_page_path(path)
        };
        if !needs_admin {
            return None;
        }
        if !auth.admin {
            return Some(unauthorized("admin authentication required"));
        }
        if origin::changes_state(&parts.method) {
            let upload = path.trim_end_matches('/') == admin::PLUGINS_PATH;
            let refusal =
                origin::cross_site(parts).or_else(|| origin::wrong_content_type(&parts.method, &parts.headers, upload));
            if let Some(why) = refusal {
                tracing::warn!(path, "admin request refused: {why}");
                return Some(error_response(StatusCode::FORBIDDEN, why));
            }
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
        if path == "/api/plugins/actions" || path == "/api/plugins/config" {
            if parts.method != Method::GET && parts.method != Method::HEAD {
                return method_not_allowed("GET, HEAD").into();
            }
            return if path.ends_with("actions") {
                page::actions(self)
            } else {
                page::config(self, auth.user.as_ref()).await
            }
            .into();
        }
        // `/api/plugins/<slug>/icon` (public).
        if let Some(slug) = path.strip_prefix("/api/plugins/").and_then(|r| r.strip_suffix("/icon")) {
            return self.host_file(&parts, slug, HostFile::Icon, auth.admin).into();
        }
        if self.config.metrics_path.as_deref() == Some(path.as_str()) {
            if parts.method != Method::GET && parts.method != Method::HEAD {
                return method_not_allowed("GET, HEAD").into();
            }
            let mut r = Response::new(Bytes::from(self.host.metrics_text()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            );
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return r.into();
        }
        if admin_page::is_page_path(&path) {
            return admin_page::serve(&path, &parts.method).into();
        }
        if admin::is_admin_path(&path) {
            return admin::handle(self, &parts, body).await;
        }
        if let Some(rest) = path.strip_prefix("/plugins/") {
            let slug = rest.split('/').next().unwrap_or_default();
            let extra = self.host.get(slug).map(|p| p.manifest.sandbox.clone()).unwrap_or_default();
            let mut reply = self.plugin_space(&parts, body, remote, auth, rest).await;
            match &mut reply {
                Reply::Full(r) => csp::protect(r, &parts.headers, &extra),
                Reply::Stream(r) => csp::protect(r, &parts.headers, &extra),
            }
            return reply;
        }
        error_response(StatusCode::NOT_FOUND, format!("no route for {path}")).into()
    }

    /// Assets of an enabled plugin, or for the admin, of any plugin the host
    /// runs or the manager knows.
    fn assets_of(&self, slug: &str, admin: bool) -> Option<PluginAssets> {
        match self.host.get(slug) {
            Some(p) if admin || p.is_enabled() => Some(p.assets.clone()),
            _ if admin => self.manager.as_ref().and_then(|m| m.assets(slug)),
            _ => None,
        }
    }

    /// A plugin's `icon.png` or `INSTRUCTIONS.md`: no permission needed;
    /// anonymous clients see only enabled plugins', the admin any installed
    /// one's (the admin UI shows both for disabled plugins).
    fn host_file(&self, parts: &http::request::Parts, slug: &str, which: HostFile, admin: bool) -> Response<Bytes> {
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return method_not_allowed("GET, HEAD");
        }
        let Some(assets) = validate_slug(slug).ok().and_then(|()| self.assets_of(slug, admin)) else {
            return error_response(StatusCode::NOT_FOUND, format!("no plugin `{}`", truncate(slug, 80)));
        };
        let (file, what) = match which {
            HostFile::Icon => (assets.icon, "icon (icon.png)"),
            HostFile::Instructions => (assets.instructions, "instructions (INSTRUCTIONS.md)"),
        };
        let missing = || error_response(StatusCode::NOT_FOUND, format!("plugin `{slug}` has no {what}"));
        let Some(file) = file else { return missing() };
        files::serve_confined(&file, &parts.headers, self.config.max_static_file_bytes).unwrap_or_else(missing)
    }

    async fn plugin_space(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
        remote: SocketAddr,
        mut auth: RequestAuth,
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
            r.headers_mut()
                .insert(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")));
            return r.into();
        };
        // `~<token>` right after the slug: an admin page's capability link ([`capability`]).
        let (sub, page_token) = match sub.split_once('/') {
            Some((first, rest)) if first.starts_with(capability::MARK) => (rest, Some(first)),
            None if sub.starts_with(capability::MARK) => ("", Some(sub)),
            _ => (sub, None),
        };
        let rel = match decode_path(sub) {
            Ok(p) => p,
            Err(m) => return error_response(StatusCode::BAD_REQUEST, m).into(),
        };
        let is_read = parts.method == Method::GET || parts.method == Method::HEAD;

        // Aliases of `/api/plugins/<slug>/icon` and
        // `/api/admin/plugins/<slug>/instructions`, with the same rules.
        if rel == "_icon" {
            return self.host_file(parts, slug, HostFile::Icon, auth.admin).into();
        }
        if rel == "_instructions" {
            if !auth.admin {
                return unauthorized(&format!(
                    "the instructions of plugin `{slug}` are for the admin: admin authentication required"
                ))
                .into();
            }
            return self.host_file(parts, slug, HostFile::Instructions, true).into();
        }

        let Some(plugin) = self.host.get(slug) else {
            if self.manager.as_ref().is_some_and(|m| m.knows(slug)) {
                return error_response(StatusCode::SERVICE_UNAVAILABLE, format!("plugin `{slug}` is not enabled"))
                    .into();
            }
            return error_response(StatusCode::NOT_FOUND, format!("no plugin `{slug}`")).into();
        };
        if !plugin.is_enabled() {
            return error_response(StatusCode::SERVICE_UNAVAILABLE, format!("plugin `{slug}` is disabled")).into();
        }
        let admin_page = is_admin_page(&plugin.manifest, &rel);
        // A capability link stands in for the admin's credentials on this plugin's admin pages only.
        let by_link = match page_token.map(|t| self.page_keys.check(slug, t)) {
            None => false,
            Some(capability::Check::Valid) => admin_page,
            Some(c) => {
                if c == capability::Check::Expired && is_read && wants_html(parts) {
                    return redirect(format!("/plugins/{slug}/{sub}"), parts.uri.query()).into();
                }
                return unauthorized("this admin page link is not valid or has expired; open the page again").into();
            }
        };
        if admin_page && !auth.admin && !by_link {
            return unauthorized(&format!(
                "/plugins/{slug}/{rel} is an admin page of plugin `{slug}`: admin authentication required"
            ))
            .into();
        }
        if by_link {
            auth.admin = true;
            if parts.method == Method::OPTIONS && parts.headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
                return capability::preflight(&parts.headers).into();
            }
        } else if admin_page && origin::changes_state(&parts.method) {
            if let Some(why) = origin::cross_site(parts) {
                return error_response(StatusCode::FORBIDDEN, why).into();
            }
        }
        // The admin's browser opening an admin page gets its capability link.
        if admin_page && page_token.is_none() && is_read && wants_html(parts) {
            return redirect(format!("/plugins/{slug}/{}/{sub}", self.page_keys.issue(slug)), parts.uri.query()).into();
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
            path: envelope::plugin_path(&rel),
            query: envelope::query_pairs(parts.uri.query()),
            headers: envelope::request_headers(&parts.headers),
            body,
            remote_addr: remote.ip().to_string(),
            authenticated: auth.authenticated(),
            user: auth.user,
        };
        match self.host.http_request(&slug, &req).await {
            Ok(resp) => self.plugin_response(&slug, resp),
            Err(HttpDispatchError::NoSuchPlugin(_)) => {
                error_response(StatusCode::NOT_FOUND, format!("no plugin `{slug}`"))
            }
            Err(HttpDispatchError::Disabled(_)) => {
                error_response(StatusCode::SERVICE_UNAVAILABLE, format!("plugin `{slug}` is disabled"))
            }
            Err(HttpDispatchError::NotServing(_)) => error_response(
                StatusCode::NOT_FOUND,
                format!("plugin `{slug}` does not serve HTTP (permission http.serve)"),
            ),
            Err(HttpDispatchError::Busy { .. }) => retry_after(
                error_response(StatusCode::SERVICE_UNAVAILABLE, format!("plugin `{slug}` is busy; try again")),
                1,
            ),
            Err(HttpDispatchError::BackingOff { retry_after: wait, .. }) => retry_after(
                error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("plugin `{slug}` keeps failing on this path; try again later"),
                ),
                wait.as_secs_f64().ceil() as u64,
            ),
            // A plugin without a handler answers as upstream's SDK does: 404, empty.
            Err(HttpDispatchError::NoHandler(_)) => {
                let mut r = Response::new(Bytes::new());
                *r.status_mut() = StatusCode::NOT_FOUND;
                r
            }
            Err(HttpDispatchError::Failed { error: CallError::Timeout(d), .. }) => error_response(
                StatusCode::GATEWAY_TIMEOUT,
                format!("plugin `{slug}` did not answer within {} ms", d.as_millis()),
            ),
            // The details (a trap's backtrace, the plugin's message) are for
            // the log and the admin (the plugin's last error), not the client.
            Err(HttpDispatchError::Failed { error: CallError::BadOutput(_), .. }) => {
                error_response(StatusCode::BAD_GATEWAY, format!("plugin `{slug}` answered with an invalid response"))
            }
            Err(HttpDispatchError::Failed { .. }) => error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("plugin `{slug}` failed to handle the request"),
            ),
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
        // Upstream takes a missing (zero) status as 200.
        let code = if resp.status == 0 { 200 } else { resp.status };
        let status = match StatusCode::from_u16(code) {
            Ok(s) if (200..=599).contains(&code) => s,
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
        // The host's own auth.gate session cookie (any a plugin set itself was
        // removed before the response got here).
        for v in owncast_plugin_host::capabilities::auth_gate::host_cookies(&resp.headers) {
            h.append(header::SET_COOKIE, v);
        }
        h.entry(header::CONTENT_TYPE).or_insert(HeaderValue::from_static("text/plain; charset=utf-8"));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        r
    }
}

fn retry_after(mut r: Response<Bytes>, secs: u64) -> Response<Bytes> {
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    r
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

/// A browser navigation (it accepts HTML).
fn wants_html(parts: &http::request::Parts) -> bool {
    parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// 307 to `path` (with the query, if any).
fn redirect(mut path: String, query: Option<&str>) -> Response<Bytes> {
    if let Some(q) = query {
        path.push('?');
        path.push_str(q);
    }
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    r.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&path).unwrap_or(HeaderValue::from_static("/")));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The host-owned files of a plugin.
#[derive(Clone, Copy)]
enum HostFile {
    Icon,
    Instructions,
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
/// admin pages: it matches a page's glob, as a file or as a directory (so
/// upstream's `/admin/*` covers `/admin/` and `/admin` too), or lies beneath
/// a page.
pub fn is_admin_page(manifest: &Manifest, rel: &str) -> bool {
    let rel = rel.trim_start_matches('/');
    manifest.admin_pages.iter().any(|p| {
        let pattern = p.path.trim_start_matches('/').trim_end_matches('/');
        if pattern.is_empty() {
            return true;
        }
        let rel = rel.trim_end_matches('/');
        glob_match(pattern, rel) || glob_match(pattern, &format!("{rel}/")) || glob_match(&format!("{pattern}/*"), rel)
    })
}
