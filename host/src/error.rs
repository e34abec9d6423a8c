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
    /// refusal, anything else a trap.
    pub fn from_wasmtime(deadline: Duration, e: wasmtime::Error) -> CallError {
        if let Some(Trap::Interrupt) = e.downcast_ref::<Trap>() {
            return CallError::Timeout(deadline);
        }
        match e.downcast_ref::<HostCallError>() {
            Some(refusal @ (HostCallError::Denied { .. } | HostCallError::HostNotAllowed { .. })) => {
                CallError::Refused(refusal.clone())
            }
            _ => CallError::Trap(format!("{e:#}")),
        }
    }

    /// Whether the instance's state can no longer be trusted, so the host must
    /// replace it before the next call.
    pub fn poisons_instance(&self) -> bool {
        !matches!(
            self,
            CallError::MissingExport(_) | CallError::Busy(_) | CallError::QueueFull(_) | CallError::BadInput(_)
        )
    }

    /// Whether the call never started because the plugin was busy: not the
    /// plugin's failure (no strike).
    pub fn is_busy(&self) -> bool {
        matches!(self, CallError::Busy(_) | CallError::QueueFull(_))
    }
}
