//! The Owncast plugin runtime: runs plugins (WebAssembly components, and
//! legacy Extism modules through `owncast-compat-extism`) in Wasmtime.
//!
//! - [`capabilities`]: one module per host capability (WIT host impl + service).
//! - [`runtime`], [`plugin`], [`component`]: the engine and plugin code.
//! - [`host`], [`dispatcher`]: loaded plugins, notifications, filter chains, strikes.
//! - [`context`]: a plugin's context and the host services it reaches.
//! - [`kv`]: per-plugin key-value storage.
//! - [`metrics`]: per-plugin call counts, latency, filter outcomes, memory, KV and HTTP use; Prometheus text.
//!
//! The contract (records, events, manifest, permissions, UI, bundles, the
//! Owncast and network seams) is `owncast-plugin-contract`, re-exported here
//! under its own module names so `owncast_plugin_host::manifest::Manifest`
//! and the rest keep their paths.

pub use owncast_plugin_contract::{bundle, contract, event, manifest, outbound, owncast, permissions, types, ui};

pub mod bindings;
pub mod call;
pub mod capabilities;
pub mod component;
pub mod context;
pub mod dispatcher;
pub mod durable;
pub mod error;
pub mod host;
pub mod kv;
pub mod logpipe;
pub mod metrics;
mod off_worker;
pub mod plugin;
pub mod runtime;
pub mod services;
pub mod wasm;

pub use context::{HostCallError, HostServices, PluginContext};
pub use host::{Host, HostBuilder, LoadedPlugin};
pub use manifest::Manifest;
pub use owncast_plugin_contract::{PluginAssets, PluginBundle};
pub use permissions::{Permission, Permissions};
pub use plugin::{CallError, LoadError, PluginCode, PluginInstance, PluginLoader};
pub use runtime::{Limits, PoolLimits, Runtime, RuntimeConfig};
