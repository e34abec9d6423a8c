//! The `owncast_*` host functions (Extism's user namespace,
//! `extism:host/user`), each a translation: decode the arguments from kernel
//! memory, call the [`PluginContext`] method the WIT interface uses too,
//! encode the result into kernel memory.
//!
//! Arguments are `P` (a kernel offset holding a string or JSON; `0` reads as
//! empty) or `I` (a plain integer). Results are `P` (`0` = none/miss) or an
//! integer. Operations answer upstream's envelope, `{}` or `{"error": ...}`
//! (a refusal stays a refusal: the call fails). Each import is bound with the type the module declares, so the
//! variants found in the wild work: fewer arguments than the contract (the
//! missing ones read as `0`), no result where the contract has one (the
//! result is dropped), `i32` where the contract says `i64` and back.

use crate::kernel::KernelError;
use crate::state::{alloc_bytes, State};
use owncast_plugin_host::capabilities::log::Level;
use owncast_plugin_host::capabilities::sql::{ExecResult, QueryResult, SqlRequest};
use owncast_plugin_host::capabilities::users_register::{RegisterResult, UserRegistration};
use owncast_plugin_host::capabilities::PluginView;
use owncast_plugin_host::contract::{LegacyFunction, LegacyValue};
use owncast_plugin_host::permissions::for_legacy_function;
use owncast_plugin_host::types::{
    ActionButton, BrowserPush, FediverseNotification, OpResult, UrlResult, VideoConfigUpdate,
};
use owncast_plugin_host::Permission;
use owncast_plugin_host::{HostCallError, PluginContext};
use serde::Serialize;
use wasmtime::{Caller, FuncType, Linker, Val, ValType};

/// Extism's namespace for host functions an embedder adds.
pub const USER: &str = "extism:host/user";

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum A {
    /// A kernel offset (string, bytes or JSON).
    P,
    /// An integer passed by value, `i64` in the contract.
    I,
    /// An integer passed by value, `i32` in the contract (a limit, a flag).
    I32,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum R {
    Unit,
    P,
    /// An integer (`i64`, as every scalar of upstream's ABI).
    I64,
}

/// Decoded arguments.
pub struct In(Vec<Arg>);

enum Arg {
    Bytes(Option<Vec<u8>>),
    Int(i64),
}

impl In {
    fn bytes(&self, i: usize) -> Vec<u8> {
        match self.0.get(i) {
            Some(Arg::Bytes(Some(b))) => b.clone(),
            _ => Vec::new(),
        }
    }
    fn str(&self, i: usize) -> String {
        match self.0.get(i) {
            Some(Arg::Bytes(Some(b))) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        }
    }
    fn is_none(&self, i: usize) -> bool {
        matches!(self.0.get(i), Some(Arg::Bytes(None)) | None)
    }
    fn int(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Arg::Int(v)) => *v,
            _ => 0,
        }
    }
}

/// A result before encoding.
pub enum Out {
    Unit,
    /// `None` is offset 0.
    Bytes(Option<Vec<u8>>),
    Int(i64),
}

fn json<T: Serialize>(v: &T) -> Out {
    Out::Bytes(Some(serde_json::to_vec(v).expect("host records serialize")))
}

/// Upstream's operation-result envelope: `{}`, or `{"error": message}`.
fn envelope(r: Result<(), String>) -> Out {
    json(&match r {
        Ok(()) => serde_json::json!({}),
        Err(e) => serde_json::json!({ "error": e }),
    })
}

/// An operation's outcome as the envelope; a refusal (no permission, a host
/// outside `network.allowedHosts`) stays a refusal.
fn op(r: Result<(), HostCallError>) -> Result<Out, HostCallError> {
    match r {
        Ok(()) => Ok(envelope(Ok(()))),
        Err(HostCallError::Failed { message, .. }) => Ok(envelope(Err(message))),
        Err(refusal) => Err(refusal),
    }
}

/// An [`OpResult`] (`{ok, error?}` for components) as the envelope.
fn op_result(r: Result<OpResult, HostCallError>) -> Result<Out, HostCallError> {
    match r {
        Ok(o) if o.ok => Ok(envelope(Ok(()))),
        Ok(o) => Ok(envelope(Err(o.error.unwrap_or_else(|| "the operation failed".into())))),
        Err(e) => op(Err(e)),
    }
}

fn url_result(r: Result<UrlResult, String>) -> Out {
    match r {
        Ok(u) => json(&u),
        Err(e) => json(&serde_json::json!({ "error": e })),
    }
}

/// A JSON argument read as the record a host call takes; a wrong shape is a
/// failure naming the call, the expected shape and serde's field and type.
fn shaped<T: serde::de::DeserializeOwned>(
    c: &PluginContext,
    call: &str,
    shape: &str,
    v: serde_json::Value,
) -> Result<T, HostCallError> {
    serde_json::from_value(v).map_err(|e| c.failed(call, format!("expected {shape}: {e}")))
}

/// `owncast_log_*`: the message (UTF-8, invalid bytes replaced) to the server log.
fn log(c: &mut PluginView<'_>, level: Level, a: &In) -> Result<Out, HostCallError> {
    c.log_to_server(level, &a.str(0));
    Ok(Out::Unit)
}

type Run = fn(&mut PluginView<'_>, &In) -> Result<Out, HostCallError>;

/// Where a linked `owncast_*` function's permission is checked.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum CallGate {
    /// At load, by what the module imports (a self-contained module): the
    /// function is linked only if the grant covers it.
    Linked,
    /// On each call, against the calling plugin's grant (modules linked to
    /// every function: built on the JS engine, or a shared engine whose
    /// plugins differ in their grants).
    EachCall,
}

pub struct HostFn {
    pub name: &'static str,
    pub args: &'static [A],
    pub ret: R,
    /// The JSON shape of the arguments, where they are not the WIT
    /// function's parameters one to one (the wire-protocol document derives
    /// the others from WIT).
    pub input: Option<&'static str>,
    /// The JSON shape of the result, where it is not the WIT result's.
    pub output: Option<&'static str>,
    run: Run,
}

use A::{I, I32, P};

/// `Some` of an optional shape.
macro_rules! shape {
    () => {
        None
    };
    ($s:literal) => {
        Some($s)
    };
}

macro_rules! host_fns {
    ($( $name:literal ($($a:ident),*) -> $r:ident $(input $input:literal)? $(output $output:literal)? = $run:expr; )*) => {
        /// Every `owncast_*` function of the contract, with its canonical
        /// signature (and its JSON shapes where WIT's do not say them).
        pub const HOST_FUNCTIONS: &[HostFn] = &[
            $( HostFn {
                name: $name,
                args: &[$($a),*],
                ret: R::$r,
                input: shape!($($input)?),
                output: shape!($($output)?),
                run: $run,
            }, )*
        ];
    };
}

host_fns! {
    // ambient: every plugin gets these
    "owncast_timer_set"(I, I, I) -> I64 = |c, a| Ok(Out::Int(c.timer_set(a.int(0) as u64, a.int(1) as u64, a.int(2) == 1) as i64));
    "owncast_timer_clear"(I) -> Unit = |c, a| {
        c.timer_clear(a.int(0) as u64);
        Ok(Out::Unit)
    };
    // A key the manifest does not declare, or one with no value and no default, is 0.
    "owncast_config_get"(P) -> P = |c, a| Ok(Out::Bytes(c.config_get(&a.str(0)).filter(|v| v != "null").map(String::into_bytes)));
    "owncast_asset_read"(P) -> P = |c, a| Ok(Out::Bytes(c.asset_read(&a.str(0))));
    "owncast_log_info"(P) -> Unit input "`message`: text (the level is the function's)" = |c, a| log(c, Level::Info, a);
    "owncast_log_warning"(P) -> Unit input "`message`: text (the level is the function's)" = |c, a| log(c, Level::Warn, a);
    "owncast_log_error"(P) -> Unit input "`message`: text (the level is the function's)" = |c, a| log(c, Level::Error, a);
    // chat.send
    "owncast_send_chat"(P) -> Unit = |c, a| c.chat_send(&a.str(0)).map(|_| Out::Unit);
    "owncast_send_chat_action"(P) -> Unit = |c, a| c.chat_send_action(&a.str(0)).map(|_| Out::Unit);
    "owncast_send_chat_system"(P) -> Unit = |c, a| c.chat_send_system(&a.str(0)).map(|_| Out::Unit);
    "owncast_send_chat_to"(I, P) -> Unit = |c, a| c.chat_send_to(a.int(0) as u64, &a.str(1)).map(|_| Out::Unit);
    // chat.history
    "owncast_chat_history"(I32) -> P = |c, a| c.chat_history(a.int(0).clamp(0, u32::MAX as i64) as u32).map(|v| json(&v));
    "owncast_chat_clients"() -> P = |c, _| c.chat_clients().map(|v| json(&v));
    // chat.moderate
    "owncast_delete_message"(P) -> P output "`{}`, or `{error}`" = |c, a| op(c.delete_message(&a.str(0)));
    "owncast_kick_client"(I) -> P output "`{}`, or `{error}`" = |c, a| op(c.kick_client(a.int(0) as u64));
    // storage.kv
    "owncast_kv_get"(P) -> P = |c, a| c.kv_get(&a.str(0)).map(|v| Out::Bytes(v.map(String::into_bytes)));
    "owncast_kv_set"(P, P) -> P output "`{}`, or `{error}`" = |c, a| op(c.kv_set(&a.str(0), &a.str(1)));
    // storage.upload
    "owncast_storage_upload"(P, P) -> P = |c, a| c.upload(&a.str(0), &a.bytes(1)).map(url_result);
    // storage.fs
    "owncast_fs_read"(P) -> P = |c, a| c.fs_read(&a.str(0)).map(Out::Bytes);
    "owncast_fs_write"(P, P) -> P output "`{}`, or `{error}`" = |c, a| op_result(c.fs_write(&a.str(0), &a.bytes(1)));
    "owncast_fs_list"(P) -> P = |c, a| c.fs_list(&a.str(0)).map(|v| json(&v));
    "owncast_fs_delete"(P) -> P output "`{}`, or `{error}`" = |c, a| op_result(c.fs_delete(&a.str(0)));
    "owncast_fs_exists"(P) -> I64 = |c, a| c.fs_exists(&a.str(0)).map(|b| Out::Int(b as i64));
    // storage.sql: a request that is not one is a failed call the plugin sees.
    "owncast_sql_exec"(P) -> P input "`{sql, params?}`" output "`{rowsAffected, lastInsertId}`, or `{error}`" = |c, a| match SqlRequest::from_json(&a.bytes(0)) {
        Ok(req) => c.sql_exec(&req).map(|r| json(&r)),
        Err(e) => Ok(json(&ExecResult { error: Some(e), ..Default::default() })),
    };
    "owncast_sql_query"(P) -> P input "`{sql, params?, maxRows?}`" output "`{columns, rows, truncated?}` (rows: arrays of values in `columns` order), or `{error}`" = |c, a| match SqlRequest::from_json(&a.bytes(0)) {
        Ok(req) => c.sql_query(&req).map(|r| json(&r)),
        Err(e) => Ok(json(&QueryResult { error: Some(e), ..Default::default() })),
    };
    // events.emit
    "owncast_emit_event"(P, P) -> Unit = |c, a| {
        let payload = if a.is_none(1) { "null".to_string() } else { a.str(1) };
        c.emit_event(&a.str(0), &payload).map(|_| Out::Unit)
    };
    // server.read
    "owncast_stream_current"() -> P = |c, _| c.stream_current().map(|v| json(&v));
    "owncast_stream_broadcaster"() -> P = |c, _| c.stream_broadcaster().map(|v| json(&v));
    "owncast_server_info"() -> P = |c, _| c.server_info().map(|v| json(&v));
    "owncast_server_socials"() -> P = |c, _| c.server_socials().map(|v| json(&v));
    "owncast_server_emotes"() -> P = |c, _| c.server_emotes().map(|v| json(&v));
    "owncast_server_federation"() -> P = |c, _| c.server_federation().map(|v| json(&v));
    "owncast_server_tags"() -> P = |c, _| c.server_tags().map(|v| json(&v));
    // videoconfig.read / videoconfig.write
    "owncast_video_config_read"() -> P = |c, _| c.video_config_read().map(|v| json(&v));
    "owncast_video_config_write"(P) -> P output "`{}`, or `{error}`" = |c, a| {
        match serde_json::from_slice::<VideoConfigUpdate>(&a.bytes(0)) {
            Ok(update) => op_result(c.video_config_write(&update)),
            Err(e) => Ok(envelope(Err(format!("not a video configuration update: {e}")))),
        }
    };
    // notifications.send
    "owncast_notify_discord"(P) -> Unit = |c, a| c.notify_discord(&a.str(0)).map(|_| Out::Unit);
    "owncast_notify_browser_push"(P) -> Unit input "`BrowserPush` `{title, body?, url?}`, or plain text (the title)" = |c, a| {
        let text = a.str(0);
        // `{title, body?, url?}`, or plain text as the title (as upstream's SDK sends a string).
        let push = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v @ serde_json::Value::Object(_)) => shaped::<BrowserPush>(c, "notifications.notify-browser-push", "{title, body?, url?}", v)?,
            _ => BrowserPush { title: text, body: None, url: None },
        };
        c.notify_browser_push(&push).map(|_| Out::Unit)
    };
    "owncast_notify_fediverse"(P) -> Unit = |c, a| {
        let call = "notifications.notify-fediverse";
        let value = serde_json::from_slice::<serde_json::Value>(&a.bytes(0)).map_err(|e| c.failed(call, format!("not JSON: {e}")))?;
        let notification = shaped::<FediverseNotification>(c, call, "{type, body, image?, link?}", value)?;
        c.notify_fediverse(&notification).map(|_| Out::Unit)
    };
    // users.read
    "owncast_users_list"() -> P = |c, _| c.users_list().map(|v| json(&v));
    "owncast_user_get"(P) -> P = |c, a| c.user_get(&a.str(0)).map(|v| v.map(|u| json(&u)).unwrap_or(Out::Bytes(None)));
    // users.moderate
    "owncast_user_set_enabled"(P, I32, P) -> P output "`{}`, or `{error}`" = |c, a| op(c.user_set_enabled(&a.str(0), a.int(1) != 0, &a.str(2)));
    "owncast_ban_ip"(P) -> P output "`{}`, or `{error}`" = |c, a| op(c.ban_ip(&a.str(0)));
    // users.register: `{authId, displayName?, scopes?, ...}` in, `{userId}` or `{error}` out.
    "owncast_users_register"(P) -> P output "`{userId}`, or `{error}`" = |c, a| match serde_json::from_slice::<UserRegistration>(&a.bytes(0)) {
        Ok(req) => c.users_register(&req).map(|r| json(&RegisterResult::from(r))),
        Err(e) => Ok(json(&RegisterResult::from(Err(format!("invalid request: {e}"))))),
    };
    // auth.gate: `{userId, ttl?}` in, `{}` or `{error}` out.
    "owncast_auth_grant_session"(P) -> P input "`{userId, ttl?}` (ttl in seconds)" output "`{}`, or `{error}`" = |c, a| {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Grant {
            user_id: String,
            #[serde(default)]
            ttl: u64,
        }
        let outcome = match serde_json::from_slice::<Grant>(&a.bytes(0)) {
            Ok(g) => c.auth_grant_session(&g.user_id, Some(g.ttl))?,
            Err(e) => Err(format!("invalid request: {e}")),
        };
        Ok(envelope(outcome))
    };
    "owncast_auth_end_session"() -> Unit = |c, _| c.auth_end_session().map(|_| Out::Unit);
    // fediverse.post
    "owncast_fediverse_post"(P) -> P = |c, a| c.fediverse_post(&a.str(0)).map(url_result);
    // http.sse
    "owncast_sse_send"(P, P, P) -> Unit = |c, a| {
        let event = if a.is_none(1) { "message".to_string() } else { a.str(1) };
        c.sse_send(&a.str(0), &event, &a.str(2)).map(|_| Out::Unit)
    };
    // ui.modify
    "owncast_add_actions"(P) -> P input "`ActionButton[]`, or one `ActionButton`" output "`{}`, or `{error}`" = |c, a| {
        // A list of buttons, or one button.
        let text = a.bytes(0);
        let parsed = serde_json::from_slice::<Vec<ActionButton>>(&text)
            .or_else(|_| serde_json::from_slice::<ActionButton>(&text).map(|b| vec![b]));
        match parsed {
            Ok(buttons) => op_result(c.add_actions(buttons)),
            Err(e) => Ok(envelope(Err(format!("not a list of action buttons: {e}")))),
        }
    };
    "owncast_clear_actions"(P) -> P input "one ignored argument (pass 0)" output "`{}`, or `{error}`" = |c, _| op_result(c.clear_actions());
}

pub fn find(name: &str) -> Option<&'static HostFn> {
    HOST_FUNCTIONS.iter().find(|f| f.name == name)
}

impl HostFn {
    /// The contract's signature, e.g. `(i64, i64) -> i64`: every argument
    /// and result an `i64`, as upstream's wire protocol has them (it has no
    /// `i32` host imports; [`HostFn::accepts`] takes the `i32` variants too).
    pub fn signature(&self) -> String {
        // Offsets, ids, delays and timer_set's repeat flag are i64; a limit
        // and a flag i32 (upstream's engine.d.ts); every result i64.
        let args: Vec<&str> = self.args.iter().map(|a| if *a == A::I32 { "i32" } else { "i64" }).collect();
        let ret = if self.ret == R::Unit { "" } else { " -> i64" };
        format!("({}){ret}", args.join(", "))
    }

    /// This function as the wire-protocol document describes it
    /// (`owncast-plugin contract --md`).
    pub fn wire(&self) -> LegacyFunction {
        let value = |a: &A| match a {
            A::P => LegacyValue::Offset,
            A::I => LegacyValue::I64,
            A::I32 => LegacyValue::I32,
        };
        LegacyFunction {
            name: self.name,
            signature: self.signature(),
            args: self.args.iter().map(value).collect(),
            result: match self.ret {
                R::Unit => LegacyValue::Unit,
                R::P => LegacyValue::Offset,
                R::I64 => LegacyValue::I64,
            },
            input: self.input,
            output: self.output,
        }
    }

    /// Whether a module may import this function with type `ty`: integer
    /// parameters, no more than the contract has; at most one integer result.
    pub fn accepts(&self, ty: &FuncType) -> bool {
        let int = |t: &ValType| matches!(t, ValType::I32 | ValType::I64);
        ty.params().len() <= self.args.len()
            && ty.params().all(|t| int(&t))
            && ty.results().len() <= 1
            && ty.results().all(|t| int(&t))
    }

    /// The permission this function needs, from the declarations
    /// ([`for_legacy_function`]); `None` for the ambient ones.
    pub fn permission(&self) -> Option<Permission> {
        for_legacy_function(self.name).ok().flatten()
    }

    /// Defines this function in `linker` with the type the module declares.
    /// `gate` says whether each call is checked against the calling plugin's grant.
    pub fn define(&'static self, linker: &mut Linker<State>, ty: FuncType, gate: CallGate) -> wasmtime::Result<()> {
        let result_is_i32 = matches!(ty.results().next(), Some(ValType::I32));
        let needs = match gate {
            CallGate::Linked => None,
            CallGate::EachCall => self.permission(),
        };
        linker.func_new(USER, self.name, ty, move |mut caller, params, results| {
            self.call(&mut caller, params, results, result_is_i32, needs)
        })?;
        Ok(())
    }

    fn call(
        &self,
        caller: &mut Caller<'_, State>,
        params: &[Val],
        results: &mut [Val],
        result_is_i32: bool,
        needs: Option<Permission>,
    ) -> wasmtime::Result<()> {
        // The call-time gate, before any argument is read. Typed, so a
        // refusal reaches the dispatcher as `CallError::Refused`.
        if let Some(permission) = needs {
            caller.data().ctx.require(permission, self.name).map_err(wasmtime::Error::new)?;
        }
        let mut args = Vec::with_capacity(self.args.len());
        for (i, kind) in self.args.iter().enumerate() {
            let raw = match params.get(i) {
                Some(Val::I64(v)) => *v,
                Some(Val::I32(v)) => *v as u32 as i64,
                _ => 0,
            };
            args.push(match kind {
                A::I | A::I32 => Arg::Int(raw),
                A::P => {
                    let block =
                        caller.data().kernel.block(self.name, raw as u64).map_err(|e| kernel_trap(self.name, i, e))?;
                    Arg::Bytes(block.map(<[u8]>::to_vec))
                }
            });
        }
        // Typed, so a refusal reaches the dispatcher as `CallError::Refused`.
        let state = caller.data_mut();
        let mut view = PluginView { ctx: &state.ctx, call: &mut state.call };
        let out = (self.run)(&mut view, &In(args)).map_err(|e| wasmtime::Error::new(e).context(self.name))?;
        let Some(slot) = results.first_mut() else { return Ok(()) };
        let value: i64 = match out {
            Out::Unit | Out::Bytes(None) => 0,
            Out::Int(v) => v,
            Out::Bytes(Some(b)) => {
                alloc_bytes(caller, &b).map_err(|e| wasmtime::Error::msg(format!("{}: {e}", self.name)))? as i64
            }
        };
        *slot = if result_is_i32 { Val::I32(value as i32) } else { Val::I64(value) };
        Ok(())
    }
}

fn kernel_trap(name: &str, arg: usize, e: KernelError) -> wasmtime::Error {
    wasmtime::Error::msg(format!("{name}: argument {}: {e}", arg + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use owncast_plugin_host::permissions::{CAPABILITIES, LEGACY_NAMES};

    #[test]
    fn every_contract_function_is_implemented_and_gated() {
        for (_, _, name) in LEGACY_NAMES {
            assert!(find(name).is_some(), "{name} is in the contract but has no implementation");
        }
        for f in HOST_FUNCTIONS {
            assert!(for_legacy_function(f.name).is_ok(), "{} is not in the contract", f.name);
        }
        assert_eq!(LEGACY_NAMES.len(), HOST_FUNCTIONS.len());
        let gated: Vec<&str> = CAPABILITIES.iter().flat_map(|c| c.legacy_functions()).collect();
        let ambient: Vec<&str> =
            HOST_FUNCTIONS.iter().map(|f| f.name).filter(|n| for_legacy_function(n) == Ok(None)).collect();
        assert_eq!(
            ambient,
            [
                "owncast_timer_set",
                "owncast_timer_clear",
                "owncast_config_get",
                "owncast_asset_read",
                "owncast_log_info",
                "owncast_log_warning",
                "owncast_log_error"
            ]
        );
        assert_eq!(gated.len() + ambient.len(), HOST_FUNCTIONS.len());
    }

    #[test]
    fn variants_in_the_wild_are_accepted() {
        let engine = wasmtime::Engine::default();
        let add = find("owncast_add_actions").unwrap();
        assert!(add.accepts(&FuncType::new(&engine, [ValType::I64], [])));
        let clear = find("owncast_clear_actions").unwrap();
        assert!(clear.accepts(&FuncType::new(&engine, [], [])));
        assert!(clear.accepts(&FuncType::new(&engine, [], [ValType::I64])));
        assert!(!clear.accepts(&FuncType::new(&engine, [ValType::I64, ValType::I64], [])));
        assert!(!add.accepts(&FuncType::new(&engine, [ValType::F64], [])));
        assert_eq!(find("owncast_send_chat_to").unwrap().signature(), "(i64, i64)");
        assert_eq!(find("owncast_chat_history").unwrap().signature(), "(i32) -> i64");
        assert_eq!(find("owncast_timer_set").unwrap().signature(), "(i64, i64, i64) -> i64");
        assert_eq!(find("owncast_delete_message").unwrap().signature(), "(i64) -> i64");
    }
}
