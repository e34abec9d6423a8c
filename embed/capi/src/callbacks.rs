//! The embedder's callback table, and the [`Owncast`] and [`Observer`]
//! implementations that call through it.
//!
//! Every host call that only Owncast can answer becomes one call of
//! `OcpCallbacks::call` with a method name and JSON arguments; the answer
//! comes back as JSON written into an [`OcpReply`]. The method names, their
//! arguments and their answers are listed in [`METHODS`] (and in the header).

use owncast_plugin_host::dispatcher::Observer;
use owncast_plugin_host::event::Event;
use owncast_plugin_host::owncast::{Caller, ChatSend, Owncast};
use owncast_plugin_host::plugin::CallError;
use owncast_plugin_host::types::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};

thread_local! {
    /// Set while this thread is an embedder's thread running host work
    /// inline (inside `run_on`): callbacks from it go through [`relay`].
    static ON_CALLER: Cell<bool> = const { Cell::new(false) };
    /// Set while this thread runs an embedder callback.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread, while alive, as an embedder's thread running
/// host work (plugin code included) inline.
pub(crate) struct CallerThread(bool);

impl CallerThread {
    pub(crate) fn enter() -> CallerThread {
        CallerThread(ON_CALLER.replace(true))
    }
}

impl Drop for CallerThread {
    fn drop(&mut self) {
        ON_CALLER.set(self.0);
    }
}

/// Whether this thread is inside an embedder callback (the host refuses
/// to be called from one).
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.get()
}

/// Runs `f` on a thread of the host's blocking pool and waits for it.
///
/// Why: `run_on` runs host code on the embedder's thread (the filter chain,
/// the fan-out), and a callback made there must not enter the embedder
/// directly if it comes from plugin code: a guest call runs on a Wasmtime
/// stack, and entering Go from such a stack on a Go thread breaks cgo (Go
/// 1.19 aborts with "morestack on g0"). Each plugin call runs as a task of
/// its own on the host's workers today, so what takes this path are the
/// observer's calls; the rule holds whatever the host runs where. From a
/// thread the embedder did not create, its runtime sets the callback up
/// itself, which Go supports.
fn relay<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    // Only called inside `run_on`'s `block_on`, where the runtime is current.
    tokio::runtime::Handle::current().spawn_blocking(move || {
        let _ = tx.send(f());
    });
    rx.recv().expect("the callback relay thread ended without an answer")
}

/// The embedder's function and its `user_data`, copied out of [`Callbacks`]
/// so a relay thread can make the call.
#[derive(Clone, Copy)]
struct RawCall {
    user_data: *mut c_void,
    call: unsafe extern "C" fn(*mut c_void, *const c_char, *const u8, usize, *mut OcpReply) -> i32,
}

// SAFETY: the contract of `OcpCallbacks` is that `call` may be called from
// any thread with `user_data`.
unsafe impl Send for RawCall {}

impl RawCall {
    /// Makes the call on this thread: its status and the reply's bytes.
    fn run(self, method: &CString, args: &[u8]) -> (i32, Vec<u8>) {
        let mut reply = OcpReply { data: Vec::new() };
        let outer = IN_CALLBACK.replace(true);
        // SAFETY: the pointers are valid for the duration of the call, as the
        // contract says; `reply` outlives it.
        let rc = unsafe { (self.call)(self.user_data, method.as_ptr(), args.as_ptr(), args.len(), &mut reply) };
        IN_CALLBACK.set(outer);
        (rc, reply.data)
    }
}

/// Where a callback writes its answer (JSON on success, an error message
/// otherwise). Only valid during the callback it was passed to.
pub struct OcpReply {
    pub(crate) data: Vec<u8>,
}

/// One host call into the embedder: `method` (NUL-terminated ASCII) with its
/// JSON arguments (`args`, `args_len` bytes, not NUL-terminated). Write the
/// answer with `ocp_reply_set` and return 0, or write an error message and
/// return non-zero. Called from threads the host created, possibly several
/// at once, never from the embedder's own threads.
pub type OcpCallFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        method: *const c_char,
        args: *const u8,
        args_len: usize,
        reply: *mut OcpReply,
    ) -> i32,
>;

/// Called once, when the host no longer needs `user_data` (after
/// `ocp_host_free`, once the last call has returned).
pub type OcpReleaseFn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// What the embedder answers for: a function pointer and the pointer it is
/// called with. `call` may be NULL: the host then runs as if Owncast had no
/// chat, users or stream (reads answer empty, writes are dropped with a
/// warning).
#[repr(C)]
pub struct OcpCallbacks {
    /// Passed back to `call` and `release` untouched; the host never reads it.
    pub user_data: *mut c_void,
    pub call: OcpCallFn,
    pub release: OcpReleaseFn,
}

/// Method names, in the order of the `Owncast` trait, then the observer's.
pub const METHODS: &[&str] = &[
    "chat.send",
    "chat.history",
    "chat.clients",
    "chat.delete",
    "chat.kick",
    "upload",
    "stream.current",
    "stream.broadcaster",
    "server.info",
    "server.socials",
    "server.emotes",
    "server.federation",
    "server.tags",
    "video.config",
    "video.config.write",
    "notify.discord",
    "notify.browserPush",
    "notify.fediverse",
    "users.list",
    "users.get",
    "users.setEnabled",
    "users.banIp",
    "fediverse.post",
    "observe.emitted",
    "observe.failed",
    "observe.disabled",
];

/// The callback table, owned by the host; releases `user_data` when dropped.
pub struct Callbacks {
    user_data: *mut c_void,
    call: OcpCallFn,
    release: OcpReleaseFn,
}

// SAFETY: the contract of `OcpCallbacks` (documented in the header) is that
// `call` may be called from any thread, concurrently, with `user_data`.
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

impl Callbacks {
    pub fn new(c: &OcpCallbacks) -> Self {
        Callbacks { user_data: c.user_data, call: c.call, release: c.release }
    }

    /// Calls `method`; `Ok(None)` when the embedder has no `call`.
    pub fn invoke(&self, method: &str, args: &Value) -> Result<Option<Vec<u8>>, String> {
        let Some(call) = self.call else { return Ok(None) };
        let name = CString::new(method).expect("method names have no NUL");
        let args = serde_json::to_vec(args).expect("arguments serialize");
        let raw = RawCall { user_data: self.user_data, call };
        let (rc, data) = if ON_CALLER.get() { relay(move || raw.run(&name, &args)) } else { raw.run(&name, &args) };
        if rc == 0 {
            Ok(Some(data))
        } else {
            let msg = String::from_utf8_lossy(&data).into_owned();
            Err(if msg.is_empty() { format!("{method}: the embedder returned {rc}") } else { msg })
        }
    }

    /// Calls `method` and reads its answer as `T` (an empty answer is JSON
    /// `null`). Failures are logged and become `None`.
    fn get<T: DeserializeOwned>(&self, method: &str, args: Value) -> Option<T> {
        match self.invoke(method, &args) {
            Ok(None) => None,
            Ok(Some(data)) => {
                let data: &[u8] = if data.is_empty() { b"null" } else { &data };
                match serde_json::from_slice(data) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        tracing::warn!(method, "the embedder's answer is not valid: {e}");
                        None
                    }
                }
            }
            Err(e) => {
                tracing::warn!(method, "embedder callback failed: {e}");
                None
            }
        }
    }

    /// A call whose answer is not used.
    fn effect(&self, method: &str, args: Value) {
        match self.invoke(method, &args) {
            Ok(Some(_)) => {}
            Ok(None) => tracing::warn!(method, "dropped: the embedder has no callbacks"),
            Err(e) => tracing::warn!(method, "embedder callback failed: {e}"),
        }
    }

    /// A call that answers nothing or fails with a message the plugin sees.
    fn done(&self, method: &str, args: Value) -> Result<(), String> {
        match self.invoke(method, &args)? {
            Some(_) => Ok(()),
            None => Err(format!("{method}: not available in this embedding")),
        }
    }

    /// A call that answers a URL or fails with a message.
    fn url(&self, method: &str, args: Value) -> Result<UrlResult, String> {
        match self.invoke(method, &args)? {
            None => Err(format!("{method}: not available in this embedding")),
            Some(data) => {
                serde_json::from_slice(&data).map_err(|e| format!("{method}: the embedder's answer is not valid: {e}"))
            }
        }
    }
}

impl Drop for Callbacks {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: called once, after the last use of `user_data`.
            unsafe { release(self.user_data) }
        }
    }
}

fn from(c: &Caller<'_>) -> Value {
    json!({ "slug": c.slug, "botName": c.bot_name })
}

fn to_value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("wire records serialize")
}

impl Owncast for Callbacks {
    fn send_chat(&self, c: &Caller<'_>, message: ChatSend) {
        self.effect("chat.send", json!({ "from": from(c), "message": to_value(&message) }))
    }
    fn chat_history(&self, limit: u32) -> Vec<ChatMessage> {
        self.get("chat.history", json!({ "limit": limit })).unwrap_or_default()
    }
    fn chat_clients(&self) -> Vec<ChatClient> {
        self.get("chat.clients", json!({})).unwrap_or_default()
    }
    fn delete_message(&self, c: &Caller<'_>, message_id: &str) -> Result<(), String> {
        self.done("chat.delete", json!({ "from": from(c), "messageId": message_id }))
    }
    fn kick_client(&self, c: &Caller<'_>, client_id: u64) -> Result<(), String> {
        self.done("chat.kick", json!({ "from": from(c), "clientId": client_id }))
    }
    fn upload(&self, c: &Caller<'_>, name: &str, data: &[u8]) -> Result<UrlResult, String> {
        use base64::Engine;
        let data = base64::engine::general_purpose::STANDARD.encode(data);
        self.url("upload", json!({ "from": from(c), "name": name, "data": data }))
    }
    fn stream_current(&self) -> StreamInfo {
        self.get("stream.current", json!({})).unwrap_or_default()
    }
    fn stream_broadcaster(&self) -> Broadcaster {
        // `null` (no encoder) is the empty broadcaster plugins see as `{}`.
        self.get::<Option<Broadcaster>>("stream.broadcaster", json!({})).flatten().unwrap_or_default()
    }
    fn server_info(&self) -> ServerInfo {
        self.get("server.info", json!({})).unwrap_or_default()
    }
    fn server_socials(&self) -> Vec<SocialHandle> {
        self.get("server.socials", json!({})).unwrap_or_default()
    }
    fn server_emotes(&self) -> Vec<Emote> {
        self.get("server.emotes", json!({})).unwrap_or_default()
    }
    fn server_federation(&self) -> FederationInfo {
        self.get("server.federation", json!({})).unwrap_or_default()
    }
    fn server_tags(&self) -> Vec<String> {
        self.get("server.tags", json!({})).unwrap_or_default()
    }
    fn video_config(&self) -> VideoConfig {
        self.get("video.config", json!({})).unwrap_or_default()
    }
    fn write_video_config(&self, c: &Caller<'_>, update: &VideoConfigUpdate) -> OpResult {
        match self.invoke("video.config.write", &json!({ "from": from(c), "update": to_value(update) })) {
            Ok(None) => OpResult::err("video configuration is not writable in this embedding"),
            Ok(Some(data)) if data.is_empty() => OpResult::ok(),
            Ok(Some(data)) => serde_json::from_slice(&data).unwrap_or_else(|e| {
                OpResult::err(format!("video.config.write: the embedder's answer is not valid: {e}"))
            }),
            Err(e) => OpResult::err(e),
        }
    }
    fn notify_discord(&self, c: &Caller<'_>, content: &str) {
        self.effect("notify.discord", json!({ "from": from(c), "content": content }))
    }
    fn notify_browser_push(&self, c: &Caller<'_>, push: &BrowserPush) {
        self.effect("notify.browserPush", json!({ "from": from(c), "push": to_value(push) }))
    }
    fn notify_fediverse(&self, c: &Caller<'_>, n: &FediverseNotification) {
        // `content` (the body) for embedders that take text; the whole record too.
        self.effect("notify.fediverse", json!({ "from": from(c), "content": n.body, "notification": to_value(n) }))
    }
    fn users(&self) -> Vec<User> {
        self.get("users.list", json!({})).unwrap_or_default()
    }
    fn user(&self, id: &str) -> Option<User> {
        self.get::<Option<User>>("users.get", json!({ "id": id })).flatten()
    }
    fn set_user_enabled(&self, c: &Caller<'_>, id: &str, enabled: bool, reason: &str) -> Result<(), String> {
        self.done("users.setEnabled", json!({ "from": from(c), "id": id, "enabled": enabled, "reason": reason }))
    }
    fn ban_ip(&self, c: &Caller<'_>, ip: &str) -> Result<(), String> {
        self.done("users.banIp", json!({ "from": from(c), "ip": ip }))
    }
    fn fediverse_post(&self, c: &Caller<'_>, content: &str) -> Result<UrlResult, String> {
        self.url("fediverse.post", json!({ "from": from(c), "content": content }))
    }
}

/// Dispatch events the embedder may watch (`observe.*`); answers are ignored
/// and a missing or failing callback is not an error.
pub struct CallbackObserver(pub std::sync::Arc<Callbacks>);

impl CallbackObserver {
    fn tell(&self, method: &str, args: Value) {
        if let Err(e) = self.0.invoke(method, &args) {
            tracing::debug!(method, "observer callback failed: {e}");
        }
    }
}

impl Observer for CallbackObserver {
    fn emitted(&self, from: &str, event: &Event, depth: u32) {
        self.tell("observe.emitted", json!({ "plugin": from, "event": event.to_envelope(), "depth": depth }))
    }
    fn failed(&self, slug: &str, what: &str, error: &CallError) {
        self.tell("observe.failed", json!({ "plugin": slug, "call": what, "error": error.to_string() }))
    }
    fn disabled(&self, slug: &str, reason: &str) {
        self.tell("observe.disabled", json!({ "plugin": slug, "reason": reason }))
    }
}
