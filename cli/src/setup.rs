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

/// The shared JavaScript engine for `.js` plugins (the shared-engine form):
/// `$OWNCAST_JS_ENGINE`, else the repository's built engine, else
/// `owncast-js-engine.wasm` next to this executable.
pub fn js_engine() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("OWNCAST_JS_ENGINE") {
        return Some(PathBuf::from(p));
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdks/js/engine/dist/owncast-js-engine.wasm");
    if repo.is_file() {
        return Some(repo);
    }
    let beside = std::env::current_exe().ok()?.parent()?.join("owncast-js-engine.wasm");
    beside.is_file().then_some(beside)
}

/// Loaders for the plugin kinds besides components (built into the host):
/// legacy Extism modules, and `.js` scripts run by the shared JS engine.
pub fn loaders() -> Vec<Arc<dyn PluginLoader>> {
    let mut extism = owncast_compat_extism::ExtismLoader::new();
    if let Some(engine) = js_engine() {
        match std::fs::read(&engine) {
            Ok(bytes) => extism = extism.with_shared_engine("js", bytes),
            Err(e) => tracing::warn!("shared JS engine {}: {e}; .js plugins will not load", engine.display()),
        }
    }
    vec![Arc::new(extism)]
}
