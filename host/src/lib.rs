//! The Owncast plugin host: runs plugins (WebAssembly components, and legacy
//! Extism modules through `owncast-compat-extism`) in Wasmtime.
//!
//! - [`manifest`]: `plugin.manifest.json` and the `register()` cross-check.
//! - [`ui`]: UI contributions (action buttons, styles, scripts, page content, tabs).
//! - [`types`], [`event`]: the WIT records and their legacy JSON shapes.
//! - [`permissions`]: what each permission opens.
//! - [`capabilities`]: one module per host capability (WIT host impl + service).
//! - [`owncast`]: the seam Owncast implements, plus a simulation.
//! - [`runtime`], [`plugin`], [`component`]: the engine and plugin code.
//! - [`host`], [`dispatcher`]: loaded plugins, notifications, filter chains, strikes.
//! - [`kv`]: per-plugin key-value storage.
//! - [`metrics`]: per-plugin call counts, latency, filter outcomes, memory, KV and HTTP use; Prometheus text.
//! - [`scenario`]: the JSON scenario test runner.
//! - [`server`]: HTTP under `/plugins/<slug>/`, SSE, icons, `/api/plugins/actions` and `/config`, the admin API.
//! - [`manager`]: the plugins folder, `.ocpkg` packages, enable/approve/upload, persisted state.

pub mod bundle;
pub mod capabilities;
pub mod component;
pub mod context;
pub mod contract;
pub mod dispatcher;
pub mod durable;
pub mod event;
pub mod host;
pub mod kv;
pub mod logpipe;
pub mod manager;
pub mod manifest;
pub mod metrics;
pub mod owncast;
pub mod permissions;
pub mod plugin;
pub mod runtime;
pub mod scenario;
pub mod server;
pub mod types;
pub mod ui;
pub mod wasm;

pub use context::{HostCallError, HostServices, PluginContext};
pub use host::{Host, HostBuilder, LoadedPlugin, PluginBundle};
pub use manifest::Manifest;
pub use permissions::{Permission, Permissions};
pub use plugin::{CallError, LoadError, PluginCode, PluginInstance, PluginLoader};
pub use runtime::{Limits, PoolLimits, Runtime, RuntimeConfig};
