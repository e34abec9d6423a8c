//! One plugin abstraction over every kind of plugin code: native components
//! (this crate) and legacy Extism core modules (`owncast-compat-extism`).

use crate::context::{CallScope, PluginContext};
use crate::event::{Event, Verdict};
use crate::manifest::Manifest;
use crate::permissions::Permissions;
use crate::runtime::Runtime;
use crate::types::{ContentRequest, HttpRequest, HttpResponse, Registration};
use crate::ui::ContentHook;
use std::sync::Arc;

pub use crate::error::CallError;

/// A live instance of a plugin. Calls into one instance are serialized by
/// the host; each call has the deadline of its [`crate::runtime::CallKind`].
#[async_trait::async_trait]
pub trait PluginInstance: Send {
    /// The call in progress (the next one, between calls): where the host
    /// puts its deadline before calling and finds what it emitted after.
    fn scope(&mut self) -> &mut CallScope;
    async fn register(&mut self) -> Result<Registration, CallError>;
    async fn on_event(&mut self, event: &Event) -> Result<(), CallError>;
    async fn on_filter(&mut self, event: &Event) -> Result<Verdict, CallError>;
    async fn on_http_request(&mut self, request: &HttpRequest) -> Result<HttpResponse, CallError>;
    /// The optional `on_auth_check` export (auth.gate): its JSON verdict, or
    /// `None` when the plugin has no such export.
    async fn on_auth_check(&mut self, _input: &serde_json::Value) -> Result<Option<serde_json::Value>, CallError> {
        Ok(None)
    }
    /// One of the optional page-content exports ([`ContentHook`]): the text
    /// it returned (HTML, CSS or JavaScript), or `None` when the plugin has no
    /// such export. `request` is given to the tab and page-slot exports.
    async fn content(
        &mut self,
        _hook: ContentHook,
        _request: Option<&ContentRequest>,
    ) -> Result<Option<String>, CallError> {
        Ok(None)
    }
}

/// Compiled plugin code, ready to instantiate.
#[async_trait::async_trait]
pub trait PluginCode: Send + Sync {
    /// A new instance; code it runs while starting stops at `deadline`,
    /// which its [`scope`](PluginInstance::scope) keeps.
    async fn instantiate(
        &self,
        ctx: Arc<PluginContext>,
        deadline: Option<std::time::Instant>,
    ) -> Result<Box<dyn PluginInstance>, CallError>;
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
    /// Upstream allows one `auth.gate` plugin at a time.
    #[error("plugin {slug}: auth.gate: plugin {gate} is already the site's login gate; only one auth.gate plugin can be enabled at a time")]
    SecondGate { slug: String, gate: String },
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
    /// Compiles and checks the code (imports against grants). Capability
    /// methods do not check permissions: a loader links only what the grant
    /// covers, or gates each host call with [`PluginContext::require`].
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
