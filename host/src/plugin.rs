//! One plugin abstraction over every kind of plugin code: native components
//! (this crate) and legacy Extism core modules (`owncast-compat-extism`).

use crate::context::PluginContext;
use crate::event::{Event, Verdict};
use crate::manifest::Manifest;
use crate::permissions::Permissions;
use crate::runtime::Runtime;
use crate::types::{HttpRequest, HttpResponse, Registration};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::Trap;

/// Why a guest call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("trapped: {0}")]
    Trap(String),
    /// The plugin called the host outside its grant (the guest trapped).
    #[error("refused: {0}")]
    Refused(crate::context::HostCallError),
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
        use crate::context::HostCallError;
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

/// A live instance of a plugin. Calls into one instance are serialized by
/// the host; each call has the deadline of its [`crate::runtime::CallKind`].
#[async_trait::async_trait]
pub trait PluginInstance: Send {
    async fn register(&mut self) -> Result<Registration, CallError>;
    async fn on_event(&mut self, event: &Event) -> Result<(), CallError>;
    async fn on_filter(&mut self, event: &Event) -> Result<Verdict, CallError>;
    async fn on_http_request(&mut self, request: &HttpRequest) -> Result<HttpResponse, CallError>;
}

/// Compiled plugin code, ready to instantiate.
#[async_trait::async_trait]
pub trait PluginCode: Send + Sync {
    async fn instantiate(&self, ctx: Arc<PluginContext>) -> Result<Box<dyn PluginInstance>, CallError>;
}

/// Why a plugin could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
    #[error("{file}: {message}")]
    Code { file: String, message: String },
    #[error("{file}: imports `{import}`, which needs permission {permission}{}", if *.granted_by_manifest { " (declared but not approved by the admin)" } else { " (not declared in the manifest)" })]
    Ungranted { file: String, import: String, permission: crate::permissions::Permission, granted_by_manifest: bool },
    #[error("{file}: filters `{event}`, which needs permission {permission}{}", if *.granted_by_manifest { " (declared but not approved by the admin)" } else { " (not declared in the manifest)" })]
    UngrantedFilter {
        file: String,
        event: String,
        permission: crate::permissions::Permission,
        granted_by_manifest: bool,
    },
    #[error("{file}: imports `{import}`, which this host does not provide")]
    UnknownImport { file: String, import: String },
    #[error("plugin {slug}: register() failed: {error}")]
    Register { slug: String, error: CallError },
}

/// What a loader needs to compile one plugin.
pub struct LoadRequest<'a> {
    pub runtime: &'a Arc<Runtime>,
    pub bytes: &'a [u8],
    /// Names the code in errors, e.g. `plugins/echo-bot.wasm`.
    pub file: &'a str,
    pub manifest: &'a Manifest,
    /// The manifest's permissions that the admin approved.
    pub grants: &'a Permissions,
}

/// Turns bytes of one kind of plugin code into [`PluginCode`].
pub trait PluginLoader: Send + Sync {
    /// A short name for logs and the admin API (`component`, `extism`).
    fn kind(&self) -> &'static str;
    /// Whether these bytes (from a file of this name) are this loader's kind of code.
    fn recognizes(&self, bytes: &[u8], file: &str) -> bool;
    /// Compiles and checks the code (imports against grants).
    fn load(&self, req: LoadRequest<'_>) -> Result<Arc<dyn PluginCode>, LoadError>;
}

/// `\0asm` followed by the component-model layer header.
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[0..4] == b"\0asm" && bytes[6..8] == [0x01, 0x00]
}

/// `\0asm` version 1: a core module.
pub fn is_core_module(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[0..4] == b"\0asm" && bytes[4..8] == [0x01, 0x00, 0x00, 0x00]
}
