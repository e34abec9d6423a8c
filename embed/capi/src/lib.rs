//! A C ABI over the Owncast plugin host, for embedding it in Owncast (a Go
//! server, through cgo) or any other program that can call C.
//!
//! The whole host is here: the plugin manager over a plugins folder (load,
//! enable, disable, approve, reload), the filter chain and the notification
//! fan-out, plugin HTTP and the admin API (through the same router the
//! standalone server uses), and a table of callbacks for what only Owncast
//! knows. Payloads cross as the wire protocol's JSON.
//!
//! Conventions, for every function:
//! - Handles (`OcpHost`, `OcpResponse`, `OcpCancel`) are opaque; each has one
//!   free function and must not be used after it.
//! - A function that can fail returns an `OCP_*` status and writes into its
//!   `out` buffer: the result on `OCP_OK`, else a UTF-8 error message. The
//!   caller owns that buffer and frees it with [`ocp_buf_free`], whatever the
//!   status. Input buffers are borrowed for the duration of the call only.
//! - No Rust panic crosses the boundary: one is caught and returned as
//!   `OCP_PANIC` with its message.
//! - `OcpHost` is thread safe: any number of threads may call it at once.
//!   Plugin code runs on the calling thread; callbacks come from threads
//!   the host created. A callback must not call back into the host (that
//!   is refused with `OCP_PANIC`).

mod callbacks;
mod config;
mod http;

/// The host's own allocations (not Owncast's) go to jemalloc, as in the
/// `owncast-plugin` binary: with glibc's per-thread arenas the memory a
/// busy host frees stays resident and RSS creeps up under churn (hostile
/// plugins replaced after every trap); jemalloc hands it back. Its symbols
/// are prefixed, so the embedder's own `malloc` is untouched.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub use callbacks::{OcpCallFn, OcpCallbacks, OcpReleaseFn, OcpReply, METHODS};
pub use http::{ocp_http, ocp_response_free, ocp_response_next, OcpResponse};

use callbacks::{CallbackObserver, Callbacks};
use config::Config;
use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::dispatcher::{FilterOutcome, StepResult};
use owncast_plugin_host::event::Event;
use owncast_plugin_host::kv::RedbStore;
use owncast_plugin_host::{Host, Runtime};
use owncast_plugin_manager::{ManagerConfig, ManagerError, PluginManager, Status};
use owncast_plugin_server::{PluginServer, ServerConfig};
use serde::Deserialize;
use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Success; the `out` buffer holds the result.
pub const OCP_OK: i32 = 0;
/// The operation failed; `out` holds the message.
pub const OCP_ERROR: i32 = 1;
/// An argument was not valid (a NULL handle, bad JSON, a bad event); `out` holds the message.
pub const OCP_INVALID: i32 = 2;
/// The host panicked (also: a callback called back into the host); it was
/// caught and `out` holds the panic message.
pub const OCP_PANIC: i32 = 3;
/// The caller's `OcpCancel` fired before the call finished.
pub const OCP_CANCELLED: i32 = 4;
/// The caller's `timeout_ms` passed before the call finished.
pub const OCP_DEADLINE: i32 = 5;
/// No such plugin.
pub const OCP_NOT_FOUND: i32 = 6;
/// `ocp_response_next`: the body is complete.
pub const OCP_END: i32 = 7;
/// `ocp_response_next`: no data arrived within `wait_ms`; call again.
pub const OCP_PENDING: i32 = 8;

/// A byte buffer the host allocated and the caller owns: free it with
/// [`ocp_buf_free`]. `ptr` is never NULL once written by the host (an empty
/// buffer has `len` 0).
#[repr(C)]
pub struct OcpBuf {
    pub ptr: *mut u8,
    pub len: usize,
}

impl OcpBuf {
    fn from_vec(v: Vec<u8>) -> OcpBuf {
        let b = v.into_boxed_slice();
        let len = b.len();
        OcpBuf { ptr: Box::into_raw(b) as *mut u8, len }
    }
}

/// Frees a buffer the host returned. NULL `ptr` is allowed (nothing happens).
///
/// # Safety
/// `buf` must come from this library and not have been freed.
#[no_mangle]
pub unsafe extern "C" fn ocp_buf_free(buf: OcpBuf) {
    if !buf.ptr.is_null() {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(buf.ptr, buf.len)));
    }
}

/// Writes `len` bytes at `data` as a callback's answer (replacing any
/// earlier one). The host copies them.
///
/// # Safety
/// `reply` must be the one passed to the running callback; `data` must point
/// to `len` readable bytes (or be NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn ocp_reply_set(reply: *mut OcpReply, data: *const u8, len: usize) {
    if let Some(r) = reply.as_mut() {
        r.data.clear();
        if !data.is_null() && len > 0 {
            r.data.extend_from_slice(std::slice::from_raw_parts(data, len));
        }
    }
}

/// Why a call failed: a status and a message.
pub(crate) struct Fail {
    code: i32,
    message: String,
}

impl Fail {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Fail {
        Fail { code, message: message.into() }
    }
    pub(crate) fn invalid(message: impl Into<String>) -> Fail {
        Fail::new(OCP_INVALID, message)
    }
}

fn panic_message(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs one entry point: catches panics and writes the result or the error
/// message into `out` (when not NULL). Returns the status.
pub(crate) fn entry(out: *mut OcpBuf, f: impl FnOnce() -> Result<Vec<u8>, Fail>) -> i32 {
    let (code, bytes) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => (OCP_OK, v),
        Ok(Err(fail)) => (fail.code, fail.message.into_bytes()),
        Err(p) => {
            let msg = format!("the plugin host panicked: {}", panic_message(&*p));
            // Dropping the payload could itself panic; that must not unwind out either.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(p)));
            (OCP_PANIC, msg.into_bytes())
        }
    };
    if !out.is_null() {
        // SAFETY: the caller passes a writable OcpBuf or NULL.
        unsafe { out.write(OcpBuf::from_vec(bytes)) };
    }
    code
}

/// Borrows `len` bytes at `ptr` (NULL allowed when `len` is 0).
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Fail> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Fail::invalid(format!("{what}: NULL pointer with length {len}")));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str, Fail> {
    std::str::from_utf8(bytes(ptr, len, what)?).map_err(|_| Fail::invalid(format!("{what} is not UTF-8")))
}

/// A running host.
pub struct OcpHost {
    rt: Arc<tokio::runtime::Runtime>,
    host: Arc<Host>,
    manager: Arc<PluginManager>,
    server: Arc<PluginServer>,
    /// Fired by `ocp_host_free`: open response bodies end.
    shutdown: Arc<OcpCancel>,
}

pub(crate) unsafe fn host_ref<'a>(h: *const OcpHost) -> Result<&'a OcpHost, Fail> {
    h.as_ref().ok_or_else(|| Fail::invalid("NULL host"))
}

/// Cancels calls in progress: pass it to a call, fire it from another thread.
pub struct OcpCancel {
    fired: AtomicBool,
    notify: tokio::sync::Notify,
}

impl OcpCancel {
    fn new() -> OcpCancel {
        OcpCancel { fired: AtomicBool::new(false), notify: tokio::sync::Notify::new() }
    }
    fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }
    pub(crate) async fn wait(&self) {
        loop {
            let n = self.notify.notified();
            if self.fired.load(Ordering::Acquire) {
                return;
            }
            n.await;
        }
    }
}

/// A new cancellation token. Thread safe; free it with [`ocp_cancel_free`]
/// once no call uses it and no thread will fire it.
#[no_mangle]
pub extern "C" fn ocp_cancel_new() -> *mut OcpCancel {
    Box::into_raw(Box::new(OcpCancel::new()))
}

/// Fires the token: every call waiting on it returns `OCP_CANCELLED` (the
/// plugin call itself runs on to its own deadline in the background, and
/// its result is discarded). Firing twice is harmless.
///
/// # Safety
/// `cancel` must be a live token from [`ocp_cancel_new`] (or NULL).
#[no_mangle]
pub unsafe extern "C" fn ocp_cancel_fire(cancel: *const OcpCancel) {
    if let Some(c) = cancel.as_ref() {
        c.fire();
    }
}

/// Frees a token.
///
/// # Safety
/// `cancel` must come from [`ocp_cancel_new`], not be in use and not be freed yet (NULL is allowed).
#[no_mangle]
pub unsafe extern "C" fn ocp_cancel_free(cancel: *mut OcpCancel) {
    if !cancel.is_null() {
        drop(Box::from_raw(cancel));
    }
}

/// Runs `fut` on the calling thread (the C ABI adds no thread hand-off of
/// its own: each plugin call in it is a task on the host's workers, as from
/// Rust), unless `cancel` fires or `timeout_ms` (0: none) passes first;
/// then `fut` moves to the runtime's worker threads and runs on there
/// (plugin calls are never abandoned halfway, so an instance is never left
/// mid-call), its result dropped.
///
/// While it runs here, callbacks into the embedder go through a host
/// thread (see `callbacks::relay`).
///
/// A callback calling back into the host is a contract violation: it panics
/// (the caller gets `OCP_PANIC`).
pub(crate) fn run_on<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    timeout_ms: u32,
    cancel: Option<&OcpCancel>,
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T, Fail> {
    assert!(!callbacks::in_callback(), "a callback called back into the host (the host does not nest calls)");
    let mut fut = Box::pin(fut);
    let ended = {
        let _caller = callbacks::CallerThread::enter();
        rt.block_on(async {
            let deadline = async {
                if timeout_ms == 0 {
                    std::future::pending::<()>().await
                } else {
                    tokio::time::sleep(Duration::from_millis(timeout_ms.into())).await
                }
            };
            let cancelled = async {
                match cancel {
                    Some(c) => c.wait().await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                biased;
                v = &mut fut => Ok(v),
                _ = cancelled => Err(Fail::new(OCP_CANCELLED, "cancelled")),
                _ = deadline => Err(Fail::new(OCP_DEADLINE, format!("no answer within {timeout_ms} ms"))),
            }
        })
    };
    if ended.is_err() {
        drop(rt.spawn(fut));
    }
    ended
}

impl OcpHost {
    /// [`run_on`] this host's runtime.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        timeout_ms: u32,
        cancel: *const OcpCancel,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, Fail> {
        // SAFETY: the caller passes a live token or NULL, per the contract.
        run_on(&self.rt, timeout_ms, unsafe { cancel.as_ref() }, fut)
    }
}

fn install_logging(filter: &str) {
    use tracing_subscriber::EnvFilter;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .try_init();
}

fn build(config: &[u8], callbacks: Callbacks) -> Result<OcpHost, Fail> {
    let callbacks = Arc::new(callbacks);
    let cfg = Config::parse(config).map_err(Fail::invalid)?;
    if let Some(f) = &cfg.log {
        install_logging(f);
    }
    let err = |what: &str, e: &dyn std::fmt::Display| Fail::new(OCP_ERROR, format!("{what}: {e}"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.worker_threads.unwrap_or(2).max(1))
        .thread_name("owncast-plugins")
        .enable_all()
        .build()
        .map_err(|e| err("starting the host's threads", &e))?;
    let _guard = rt.enter();
    std::fs::create_dir_all(&cfg.data_dir).map_err(|e| err(&cfg.data_dir.display().to_string(), &e))?;
    let kv_file = cfg.data_dir.join("kv.redb");
    let kv = RedbStore::open(&kv_file).map_err(|e| err(&kv_file.display().to_string(), &e))?;
    let runtime = Runtime::new(cfg.runtime_config()).map_err(|e| err("starting the WebAssembly runtime", &e))?;
    let mut extism = ExtismLoader::new();
    if let Some(engine) = &cfg.js_engine {
        let bytes = std::fs::read(engine).map_err(|e| err(&format!("jsEngine {}", engine.display()), &e))?;
        extism = extism.with_shared_engine("js", bytes);
    }
    let host = Host::builder(callbacks.clone(), Arc::new(NetworkOutbound))
        .runtime(runtime)
        .kv(Arc::new(kv))
        .observer(Arc::new(CallbackObserver(callbacks)))
        .data_dir(cfg.data_dir.join("plugin-storage"))
        .migrate_storage_from(cfg.data_dir.join("plugin-data"))
        .loader(Arc::new(extism))
        .build()
        .map_err(|e| err("building the host", &e))?;
    let host = Arc::new(host);
    let mut mc = ManagerConfig::new(&cfg.plugins_dir);
    mc.state_file = cfg.state_file.clone().unwrap_or_else(|| cfg.data_dir.join("plugins.json"));
    mc.work_dir = cfg.data_dir.join("ocpkg");
    let manager = PluginManager::new(host.clone(), mc).map_err(|e| err("plugins folder", &e))?;
    drop(_guard);
    let (m, enable_all) = (manager.clone(), cfg.enable_all);
    run_on(&rt, 0, None, async move {
        m.rescan().await;
        if enable_all {
            for p in m.list() {
                if p.status != Status::Enabled {
                    if let Err(e) = m.approve(&p.slug, None).await {
                        tracing::warn!(plugin = %p.slug, "enableAll: {e}");
                    }
                }
            }
        }
    })?;
    let mut sc = ServerConfig::new(host.runtime().limits());
    sc.admin_password = cfg.admin_password.clone().filter(|p| !p.is_empty());
    sc.admin_tokens = cfg.admin_tokens.clone();
    let server = Arc::new(PluginServer::new(host.clone(), sc).with_manager(manager.clone()));
    Ok(OcpHost { rt: Arc::new(rt), host, manager, server, shutdown: Arc::new(OcpCancel::new()) })
}

/// Creates a host from its JSON configuration (`pluginsDir`, `dataDir`, and
/// optionally `stateFile`, `adminPassword`, `adminTokens`, `enableAll`,
/// `jsEngine`, `cacheDir`, `workerThreads`, `limits`, `log`; see
/// docs/EMBEDDING.md), scans the plugins folder and starts the plugins the
/// admin enabled and approved.
///
/// `callbacks` is copied; may be NULL (no embedder: reads answer empty). Its
/// `release` is called exactly once, also when creation fails.
/// On `OCP_OK`, `*host_out` is the new host and `*err` an empty buffer; else
/// `*host_out` is NULL and `*err` the message. Free `*err` either way.
///
/// # Safety
/// `config` must point to `config_len` readable bytes; `host_out` and `err`
/// must be writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_host_new(
    config: *const u8,
    config_len: usize,
    callbacks: *const OcpCallbacks,
    host_out: *mut *mut OcpHost,
    err: *mut OcpBuf,
) -> i32 {
    if !host_out.is_null() {
        host_out.write(std::ptr::null_mut());
    }
    let cbs = match callbacks.as_ref() {
        Some(c) => Callbacks::new(c),
        None => Callbacks::new(&OcpCallbacks { user_data: std::ptr::null_mut(), call: None, release: None }),
    };
    entry(err, || {
        if host_out.is_null() {
            return Err(Fail::invalid("host_out is NULL"));
        }
        let config = bytes(config, config_len, "config")?;
        let h = build(config, cbs)?;
        host_out.write(Box::into_raw(Box::new(h)));
        Ok(Vec::new())
    })
}

/// Shuts the host down: unloads every plugin (open SSE streams end), waits
/// up to 5 s for calls in progress, and frees it. `ocp_response_next` on a
/// response still open returns `OCP_END`. Must not be called while other
/// threads still use the handle, nor from a callback.
///
/// # Safety
/// `host` must come from [`ocp_host_new`] and not be freed yet (NULL is allowed).
#[no_mangle]
pub unsafe extern "C" fn ocp_host_free(host: *mut OcpHost) {
    if host.is_null() {
        return;
    }
    let r = catch_unwind(AssertUnwindSafe(|| {
        let h = Box::from_raw(host);
        h.shutdown.fire();
        for p in h.host.plugins() {
            h.host.unload(p.slug());
        }
        let OcpHost { rt, host, manager, server, shutdown: _ } = *h;
        drop((server, manager, host));
        if let Ok(rt) = Arc::try_unwrap(rt) {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }));
    if let Err(p) = r {
        tracing::error!("shutting the plugin host down panicked: {}", panic_message(&*p));
    }
}

/// The legacy envelope `{"eventType": ..., "payload": {...}}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    event_type: String,
    #[serde(default)]
    payload: serde_json::Value,
}

fn parse_event(json: &[u8]) -> Result<Event, Fail> {
    let env: Envelope = serde_json::from_slice(json)
        .map_err(|e| Fail::invalid(format!("event: not a {{\"eventType\", \"payload\"}} object: {e}")))?;
    // As given: legacy plugins see every field; a component that needs the
    // typed record reports a payload that does not fit it.
    Ok(Event::new(&env.event_type, &env.payload))
}

/// The outcome as JSON: `{"result": "pass"|"modified"|"dropped", "event"?:
/// <envelope after the chain>, "dropped": {"plugin", "reason"} | null,
/// "steps": [{"plugin", "result": "pass"|"modified"|"dropped"|"failed",
/// "reason"?, "error"?}]}`. `event` is left out when the result is `pass`
/// (the event is the one the caller gave), which spares both sides a copy
/// of the payload on the common path.
fn outcome_json(o: &FilterOutcome) -> Vec<u8> {
    use serde_json::json;
    let modified = o.steps.iter().any(|s| s.result == StepResult::Modified);
    let result = if o.dropped.is_some() {
        "dropped"
    } else if modified {
        "modified"
    } else {
        "pass"
    };
    let steps: Vec<serde_json::Value> = o
        .steps
        .iter()
        .map(|s| match &s.result {
            StepResult::Pass => json!({ "plugin": s.slug, "result": "pass" }),
            StepResult::Modified => json!({ "plugin": s.slug, "result": "modified" }),
            StepResult::Dropped(r) => json!({ "plugin": s.slug, "result": "dropped", "reason": r }),
            StepResult::Failed(e) => json!({ "plugin": s.slug, "result": "failed", "error": e }),
        })
        .collect();
    let dropped = o.dropped.as_ref().map(|(p, r)| json!({ "plugin": p, "reason": r }));
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(b"{\"result\":\"");
    out.extend_from_slice(result.as_bytes());
    out.push(b'"');
    if result != "pass" {
        out.extend_from_slice(b",\"event\":");
        out.extend_from_slice(&o.event.envelope_bytes());
    }
    out.extend_from_slice(b",\"dropped\":");
    serde_json::to_writer(&mut out, &dropped).expect("JSON values serialize");
    out.extend_from_slice(b",\"steps\":");
    serde_json::to_writer(&mut out, &steps).expect("JSON values serialize");
    out.push(b'}');
    out
}

/// Runs the filter chain for one event (a legacy envelope, `event_len`
/// bytes of JSON) and writes the outcome JSON (see docs/EMBEDDING.md):
/// pass, the modified event, or dropped with the reason and the plugin.
/// Filters fail open: a plugin that traps or times out is a `failed` step,
/// not an error. `timeout_ms` (0: none) and `cancel` (NULL: none) bound the
/// wait. Thread safe.
///
/// # Safety
/// `host` must be live; `event` must point to `event_len` readable bytes;
/// `cancel` must be live or NULL; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_filter(
    host: *const OcpHost,
    event: *const u8,
    event_len: usize,
    timeout_ms: u32,
    cancel: *const OcpCancel,
    out: *mut OcpBuf,
) -> i32 {
    entry(out, || {
        let h = host_ref(host)?;
        let event = parse_event(bytes(event, event_len, "event")?)?;
        let host = h.host.clone();
        let outcome = h.run(timeout_ms, cancel, async move { host.filter(event).await })?;
        Ok(outcome_json(&outcome))
    })
}

/// Fans one event out to every plugin subscribed to it, concurrently, then
/// the events they emit; returns when all have run (or at `timeout_ms` /
/// `cancel`, the fan-out finishing in the background). `*out` is empty on
/// success. Thread safe.
///
/// # Safety
/// As [`ocp_filter`].
#[no_mangle]
pub unsafe extern "C" fn ocp_notify(
    host: *const OcpHost,
    event: *const u8,
    event_len: usize,
    timeout_ms: u32,
    cancel: *const OcpCancel,
    out: *mut OcpBuf,
) -> i32 {
    entry(out, || {
        let h = host_ref(host)?;
        let event = parse_event(bytes(event, event_len, "event")?)?;
        let host = h.host.clone();
        h.run(timeout_ms, cancel, async move { host.notify(&event).await })?;
        Ok(Vec::new())
    })
}

/// Every installed plugin with its status (`enabled`, `disabled`,
/// `needs-approval`, `failed`, `auto-disabled`), permissions, approvals and
/// health: a JSON array, as the admin API lists them. Thread safe.
///
/// # Safety
/// `host` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_plugins(host: *const OcpHost, out: *mut OcpBuf) -> i32 {
    entry(out, || {
        let h = host_ref(host)?;
        Ok(serde_json::to_vec(&h.manager.list()).expect("plugin info serializes"))
    })
}

/// [`ocp_plugin_manage`]: enable a plugin whose permissions are approved.
pub const OCP_OP_ENABLE: u32 = 1;
/// [`ocp_plugin_manage`]: disable a plugin (and remember it).
pub const OCP_OP_DISABLE: u32 = 2;
/// [`ocp_plugin_manage`]: approve the permissions the plugin's manifest
/// declares and enable it (the admin's approval, persisted in the state file).
pub const OCP_OP_APPROVE: u32 = 3;
/// [`ocp_plugin_manage`]: read the plugin's files again and restart it if enabled.
pub const OCP_OP_RELOAD: u32 = 4;

/// Applies `op` (`OCP_OP_ENABLE`, `OCP_OP_DISABLE`, `OCP_OP_APPROVE`,
/// `OCP_OP_RELOAD`) to the plugin `slug`; `*out` is its info JSON after
/// (as one element of [`ocp_plugins`]). `OCP_NOT_FOUND` when there is no
/// such plugin, `OCP_INVALID` for another `op`. Thread safe.
///
/// # Safety
/// `host` must be live; `slug` must point to `slug_len` bytes of UTF-8; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_plugin_manage(
    host: *const OcpHost,
    op: u32,
    slug: *const u8,
    slug_len: usize,
    out: *mut OcpBuf,
) -> i32 {
    entry(out, || {
        let h = host_ref(host)?;
        let slug = text(slug, slug_len, "slug")?.to_string();
        if !(OCP_OP_ENABLE..=OCP_OP_RELOAD).contains(&op) {
            return Err(Fail::invalid(format!("op {op} is not an OCP_OP_* operation")));
        }
        let m = h.manager.clone();
        let r = h.run(0, std::ptr::null(), async move {
            match op {
                OCP_OP_ENABLE => m.enable(&slug).await,
                OCP_OP_DISABLE => m.disable(&slug).await,
                OCP_OP_APPROVE => m.approve(&slug, None).await,
                _ => m.reload(&slug).await,
            }
        })?;
        match r {
            Ok(info) => Ok(serde_json::to_vec(&info).expect("plugin info serializes")),
            Err(e @ ManagerError::NotFound(_)) => Err(Fail::new(OCP_NOT_FOUND, e.to_string())),
            Err(e) => Err(Fail::new(OCP_ERROR, e.to_string())),
        }
    })
}

/// Scans the plugins folder again (new, changed and removed plugins);
/// `*out` is the plugin list as [`ocp_plugins`] writes it.
///
/// # Safety
/// `host` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_rescan(host: *const OcpHost, out: *mut OcpBuf) -> i32 {
    entry(out, || {
        let h = host_ref(host)?;
        let m = h.manager.clone();
        h.run(0, std::ptr::null(), async move { m.rescan().await })?;
        Ok(serde_json::to_vec(&h.manager.list()).expect("plugin info serializes"))
    })
}

/// The callback methods this host may call (`OcpCallbacks::call`), as a
/// JSON array of names: lets an embedder check that it answers every one.
///
/// # Safety
/// `out` must be writable.
#[no_mangle]
pub unsafe extern "C" fn ocp_callback_methods(out: *mut OcpBuf) -> i32 {
    entry(out, || Ok(serde_json::to_vec(METHODS).expect("names serialize")))
}

/// The name of a status code, for messages.
#[no_mangle]
pub extern "C" fn ocp_status_name(status: i32) -> *const std::ffi::c_char {
    let s: &'static std::ffi::CStr = match status {
        OCP_OK => c"ok",
        OCP_ERROR => c"error",
        OCP_INVALID => c"invalid argument",
        OCP_PANIC => c"host panic",
        OCP_CANCELLED => c"cancelled",
        OCP_DEADLINE => c"deadline exceeded",
        OCP_NOT_FOUND => c"not found",
        OCP_END => c"end",
        OCP_PENDING => c"pending",
        _ => c"unknown status",
    };
    s.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let mut out = OcpBuf { ptr: std::ptr::null_mut(), len: 0 };
        let rc = entry(&mut out, || panic!("boom {}", 42));
        assert_eq!(rc, OCP_PANIC);
        let msg = unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec();
        unsafe { ocp_buf_free(out) };
        assert_eq!(String::from_utf8(msg).unwrap(), "the plugin host panicked: boom 42");
    }

    #[test]
    fn bad_config_names_the_field() {
        let e = Config::parse(br#"{"pluginsDir": "p", "dataDir": "d", "limits": {"filterDeadline": 5}}"#).unwrap_err();
        assert!(e.contains("unknown field `filterDeadline`"), "{e}");
        let e = Config::parse(br#"{"dataDir": "d"}"#).unwrap_err();
        assert!(e.contains("missing field `pluginsDir`"), "{e}");
        let e = Config::parse(br#"{"pluginsDir": "p", "dataDir": ""}"#).unwrap_err();
        assert!(e.contains("`dataDir` is empty"), "{e}");
    }

    #[test]
    fn events_must_be_envelopes() {
        assert!(parse_event(br#"{"eventType":"chat.message.received","payload":{"body":"hi"}}"#).is_ok());
        let e = parse_event(br#"{"body":"hi"}"#).err().unwrap();
        assert_eq!(e.code, OCP_INVALID);
        assert!(e.message.contains("eventType"), "{}", e.message);
        // A payload is kept as given (legacy plugins see it whole); only a
        // component, which needs the typed record, gets an error naming the field.
        let Ok(e) = parse_event(br#"{"eventType":"chat.message.received","payload":{"body":5,"cmd":"x"}}"#) else {
            panic!("kept as given")
        };
        assert_eq!(e.payload_json()["cmd"], "x");
        let err = e.typed().unwrap_err().to_string();
        assert!(err.contains("chat.message.received") && err.contains("body"), "{err}");
    }
}
