//! Why a host call or a guest call failed (used by the context, the
//! plugin abstraction and the metrics alike, so it depends on none of them).

use crate::permissions::Permission;
use std::time::Duration;
use wasmtime::Trap;

/// A host call the plugin may not make, or one that failed in the host.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HostCallError {
    #[error("plugin {slug} called {call} without permission {permission}")]
    Denied { slug: String, call: String, permission: Permission },
    /// An outbound request to a host outside the manifest's `network.allowedHosts`.
    #[error("plugin {slug}: {call}: host {host} is not in network.allowedHosts")]
    HostNotAllowed { slug: String, call: String, host: String },
    #[error("plugin {slug}: {call}: {message}")]
    Failed { slug: String, call: String, message: String },
}

/// Why a guest call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("trapped: {0}")]
    Trap(String),
    /// The plugin called the host outside its grant (the guest trapped).
    #[error("refused: {0}")]
    Refused(HostCallError),
    /// The plugin reported an error (an exception, `error_set`, a panic message).
    #[error("plugin error: {0}")]
    Guest(String),
    #[error("invalid output: {0}")]
    BadOutput(String),
    #[error("could not create an instance: {0}")]
    Instantiate(String),
    #[error("plugin does not export `{0}`")]
    MissingExport(&'static str),
    /// The plugin was busy with other calls and this one could not start
    /// within its deadline (counted from its arrival).
    #[error("could not start within {0:?}: the plugin is busy with another call")]
    Busy(Duration),
    /// A filter skipped: the plugin's call in progress had run this long
    /// already ([`crate::Limits::filter_stall`]).
    #[error("skipped: the plugin has been busy with another call for {0:?}")]
    Stalled(Duration),
    /// The plugin was busy and this many HTTP requests were already waiting for it.
    #[error("the plugin is busy and {0} requests are already waiting for it")]
    QueueFull(usize),
    /// The event does not fit the record a component needs (the plugin was
    /// not called; this is not the plugin's failure).
    #[error("not delivered: {0}")]
    BadInput(String),
}

impl CallError {
    /// Classifies a Wasmtime error from a guest call with deadline `deadline`:
    /// an epoch interruption is a timeout, a host call outside the grant a
    /// refusal, anything else a trap (see [`CallError::from_wasmtime_output`]).
    pub fn from_wasmtime(deadline: Duration, e: wasmtime::Error) -> CallError {
        CallError::from_wasmtime_output(deadline, e, "")
    }

    /// As [`CallError::from_wasmtime`], for a call during which the guest
    /// wrote `stderr` (one line, see [`crate::logpipe::CallOutput::take`]).
    /// A trap's message is what an admin can act on: for an abort (a Rust
    /// panic ends in `unreachable`) what the guest wrote, its panic message;
    /// for other traps the trap, then what it wrote; either way followed by
    /// the guest function it happened in (from the component's name section):
    /// `panicked at src/lib.rs:30:20: index out of bounds: ... at buggy_filter::on_filter`.
    pub fn from_wasmtime_output(deadline: Duration, e: wasmtime::Error, stderr: &str) -> CallError {
        if let Some(Trap::Interrupt) = e.downcast_ref::<Trap>() {
            return CallError::Timeout(deadline);
        }
        match e.downcast_ref::<HostCallError>() {
            Some(refusal @ (HostCallError::Denied { .. } | HostCallError::HostNotAllowed { .. })) => {
                CallError::Refused(refusal.clone())
            }
            _ => CallError::Trap(trap_message(&e, stderr)),
        }
    }

    /// Whether the instance's state can no longer be trusted, so the host must
    /// replace it before the next call.
    pub fn poisons_instance(&self) -> bool {
        !matches!(
            self,
            CallError::MissingExport(_)
                | CallError::Busy(_)
                | CallError::Stalled(_)
                | CallError::QueueFull(_)
                | CallError::BadInput(_)
        )
    }

    /// Whether the call never started because the plugin was busy: not the
    /// plugin's failure (no strike).
    pub fn is_busy(&self) -> bool {
        matches!(self, CallError::Busy(_) | CallError::Stalled(_) | CallError::QueueFull(_))
    }
}

/// The message of a trap (see [`CallError::from_wasmtime_output`]).
fn trap_message(e: &wasmtime::Error, stderr: &str) -> String {
    let backtrace = e.downcast_ref::<wasmtime::WasmBacktrace>();
    // The error's chain without the backtrace (its frame we name below).
    let frames = backtrace.map(|b| b.to_string());
    let cause = e.chain().map(|c| c.to_string()).filter(|c| Some(c) != frames.as_ref()).collect::<Vec<_>>().join(": ");
    let mut msg = match e.downcast_ref::<Trap>() {
        Some(Trap::UnreachableCodeReached) if !stderr.is_empty() => stderr.to_string(),
        _ if stderr.is_empty() => cause,
        _ => format!("{cause}; stderr: {stderr}"),
    };
    if let Some(f) = backtrace.and_then(guest_function) {
        msg.push_str(" at ");
        msg.push_str(&f);
    }
    msg
}

/// The innermost frame of `bt` that is the plugin's own code: named (the
/// component kept its name section) and not Rust's panic and abort machinery.
fn guest_function(bt: &wasmtime::WasmBacktrace) -> Option<String> {
    const MACHINERY: &[&str] = &[
        "std::",
        "core::",
        "alloc::",
        "panic_abort::",
        "<std::",
        "<core::",
        "<alloc::",
        "__rust",
        "rust_panic",
        "abort",
    ];
    bt.frames().iter().find_map(|frame| {
        // `{:#}`: without the hashes and crate disambiguators mangling adds.
        let name = format!("{:#}", rustc_demangle::demangle(frame.func_name()?));
        (!MACHINERY.iter().any(|m| name.starts_with(m))).then(|| export_name(&name).unwrap_or(name))
    })
}

/// The WIT export a wit-bindgen export shim stands for
/// (`..::_export_on_filter_cabi::<..>` is `on-filter`): whether the
/// compiler inlined the plugin's function into the shim or not, the admin
/// sees the same name.
fn export_name(frame: &str) -> Option<String> {
    let shim = frame.split("::").find_map(|seg| seg.strip_prefix("_export_"))?;
    let export = shim.split("_cabi").next().filter(|_| shim.contains("_cabi"))?;
    Some(export.replace('_', "-"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_export_shim_frame_reads_as_its_wit_export() {
        let shim = "owncast_plugin::bindings::_export_on_filter_cabi::<buggy_filter::_::__OwncastPluginExport>";
        assert_eq!(super::export_name(shim).as_deref(), Some("on-filter"));
        assert_eq!(super::export_name("buggy_filter::filter"), None);
        assert_eq!(super::export_name("x::_export_on_event"), None);
    }
}
