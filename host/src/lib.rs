//! The Owncast plugin runtime: runs plugins (WebAssembly components, and
//! legacy Extism modules through `owncast-compat-extism`) in Wasmtime.
//!
//! - [`capabilities`]: one module per host capability (WIT host impl + service).
//! - [`runtime`], [`plugin`], [`component`]: the engine and plugin code.
//! - [`host`], [`dispatcher`]: loaded plugins, notifications, filter chains, chat commands, strikes.
//! - [`content`]: page content the plugins render (tabs, page slot, styles, scripts).
//! - [`context`]: a plugin's context and the host services it reaches.
//! - [`kv`]: per-plugin key-value storage.
//! - [`metrics`]: per-plugin call counts, latency, filter outcomes, memory, KV and HTTP use; Prometheus text.
//!
//! The contract (records, events, manifest, permissions, UI, bundles, the
//! Owncast and network seams) is `owncast-plugin-contract`, re-exported here
//! under its own module names so `owncast_plugin_host::manifest::Manifest`
//! and the rest keep their paths.

pub use owncast_plugin_contract::{
    bundle, commands, contract, event, manifest, outbound, owncast, permissions, types, ui,
};

pub mod bindings;
pub mod call;
pub mod capabilities;
pub mod component;
pub mod content;
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

pub use context::{CallScope, HostCallError, HostServices, PluginContext};
pub use host::{Host, HostBuilder, LoadedPlugin};
pub use manifest::Manifest;
pub use owncast_plugin_contract::{PluginAssets, PluginBundle};
pub use permissions::{Permission, Permissions};
pub use plugin::{CallError, LoadError, PluginCode, PluginInstance, PluginLoader};
pub use runtime::{Limits, PoolLimits, Runtime, RuntimeConfig};

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The crate's top-level modules and the ones each names (`crate::x`)
    /// outside comments and its `#[cfg(test)]` part.
    fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
        fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in files {
            let rel = f.strip_prefix(&src).unwrap();
            let module = rel.iter().next().unwrap().to_string_lossy().trim_end_matches(".rs").to_string();
            if module == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let deps = graph.entry(module.clone()).or_default();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for part in line.split("crate::").skip(1) {
                    let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() && name != module {
                        deps.insert(name);
                    }
                }
            }
        }
        graph
    }

    /// No module of the runtime reaches itself through the modules it names.
    #[test]
    fn modules_have_no_cycles() {
        let graph = module_graph();
        assert!(graph.contains_key("capabilities") && graph["capabilities"].contains("context"), "{graph:?}");
        for start in graph.keys() {
            let mut seen = BTreeSet::new();
            let mut todo: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
            while let Some((m, path)) = todo.pop() {
                for d in graph.get(&m).into_iter().flatten() {
                    assert!(d != start, "module cycle: {} -> {d}", path.join(" -> "));
                    if seen.insert(d.clone()) {
                        todo.push((d.clone(), [path.clone(), vec![d.clone()]].concat()));
                    }
                }
            }
        }
    }
}
