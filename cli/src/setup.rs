//! How the CLI builds its runtime and the loaders of every plugin kind.

use owncast_plugin_host::{PluginLoader, Runtime, RuntimeConfig};
use std::path::PathBuf;
use std::sync::Arc;

/// Where compiled plugin code is cached between runs.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("OWNCAST_PLUGIN_CACHE") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("owncast-plugin").join("wasmtime")
}

pub fn runtime() -> anyhow::Result<Arc<Runtime>> {
    Runtime::new(RuntimeConfig { cache_dir: Some(cache_dir()), ..Default::default() })
}

/// Loaders for the plugin kinds besides components (built into the host).
pub fn loaders() -> Vec<Arc<dyn PluginLoader>> {
    Vec::new()
}
