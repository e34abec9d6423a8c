//! What one legacy plugin instance's store holds.

use crate::kernel::{Kernel, KernelError, Vars};
use owncast_plugin_host::context::CallScope;
use owncast_plugin_host::PluginContext;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::{Caller, Memory, ResourceLimiter};
use wasmtime_wasi::p1::WasiP1Ctx;

/// A plugin's legacy view of itself: the Extism manifest the official
/// runtime would have been given (host-provided config keys, allowed hosts,
/// memory options). The allowed hosts are applied by
/// [`PluginContext::fetch`], the one place outbound policy lives; the rest is
/// read here.
pub struct LegacyPlugin {
    pub manifest: extism_manifest::Manifest,
}

impl LegacyPlugin {
    /// Bytes Extism vars may hold in total.
    pub fn max_var_bytes(&self) -> u64 {
        self.manifest.memory.max_var_bytes.unwrap_or(1 << 20)
    }
    /// Largest response body `http_request` hands to the plugin.
    pub fn max_http_response_bytes(&self) -> Option<u64> {
        self.manifest.memory.max_http_response_bytes
    }
    /// A config key the host sets itself (`script`, `manifest`, `__slug`).
    pub fn host_config(&self, key: &str) -> Option<&str> {
        self.manifest.config.get(key).map(String::as_str)
    }
}

pub struct State {
    pub ctx: Arc<PluginContext>,
    /// The call in progress (moved in for each call, see the loader).
    pub call: CallScope,
    pub plugin: Arc<LegacyPlugin>,
    pub kernel: Kernel,
    pub vars: Vars,
    pub http_status: i32,
    /// JSON object of the last response's headers.
    pub http_headers: Option<Vec<u8>>,
    pub wasi: WasiP1Ctx,
    pub limits: owncast_plugin_host::metrics::MeteredLimits,
    /// Linear memory plus kernel memory may not pass this.
    pub memory_cap: u64,
    /// The module's exported memory, for the cap.
    pub memory: Option<Memory>,
}

impl State {
    /// The Extism config value of `key`: host keys first, then the admin's
    /// settings (`manifest.config`) as Extism strings: a string value as is,
    /// any other value as JSON text; unset or undeclared keys are missing.
    pub fn config(&self, key: &str) -> Option<String> {
        if let Some(v) = self.plugin.host_config(key) {
            return Some(v.to_string());
        }
        if key.starts_with("__") {
            return None;
        }
        let json = self.ctx.config_get(key)?;
        match serde_json::from_str::<serde_json::Value>(&json) {
            Ok(serde_json::Value::Null) => None,
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => Some(json),
        }
    }
}

/// Allocates a kernel block holding `data`, within the memory cap.
pub fn alloc_bytes(caller: &mut Caller<'_, State>, data: &[u8]) -> Result<u64, KernelError> {
    let (budget, cap, linear) = budget(caller);
    caller.data_mut().kernel.alloc_bytes(data, budget, cap, linear)
}

/// `(bytes the kernel memory may hold, the cap, linear memory in use)`.
pub fn budget(caller: &Caller<'_, State>) -> (u64, u64, u64) {
    let st = caller.data();
    let linear = st.memory.map(|m| m.data_size(caller) as u64).unwrap_or(0);
    (st.memory_cap.saturating_sub(linear), st.memory_cap, linear)
}

/// Kernel memory counts against the cap: linear memory may grow only into
/// what the kernel leaves.
impl ResourceLimiter for State {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired as u64 + self.kernel.footprint() > self.memory_cap {
            tracing::debug!(plugin = %self.ctx.slug(), desired, "memory.grow refused: over the memory cap");
            return Ok(false);
        }
        self.limits.memory_growing(current, desired, maximum)
    }
    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }
    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }
    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }
    fn instances(&self) -> usize {
        self.limits.instances()
    }
    fn tables(&self) -> usize {
        self.limits.tables()
    }
    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// The `manifest` config value: the plugin's manifest in the shape of
/// `plugin.manifest.json`.
pub fn manifest_json(m: &owncast_plugin_host::Manifest) -> String {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        let hosts = obj.remove("allowedHosts").unwrap_or_default();
        if hosts.as_array().map(|a| !a.is_empty()).unwrap_or(false) {
            obj.insert("network".into(), serde_json::json!({ "allowedHosts": hosts }));
        }
        let pages = obj.remove("adminPages").unwrap_or_default();
        if pages.as_array().map(|a| !a.is_empty()).unwrap_or(false) {
            obj.insert("admin".into(), serde_json::json!({ "pages": pages }));
        }
        if let Some(serde_json::Value::Object(ui)) = obj.remove("ui") {
            for (k, val) in ui {
                obj.insert(k, val);
            }
        }
    }
    v.to_string()
}

/// Builds the Extism manifest of a plugin.
pub fn legacy_manifest(
    m: &owncast_plugin_host::Manifest,
    grants: &owncast_plugin_host::Permissions,
    limits: &owncast_plugin_host::Limits,
    host_config: BTreeMap<String, String>,
) -> extism_manifest::Manifest {
    let hosts = if grants.contains(owncast_plugin_host::Permission::NetworkFetch) {
        m.allowed_hosts.clone()
    } else {
        Vec::new()
    };
    let memory = extism_manifest::MemoryOptions::new()
        .with_max_pages((limits.memory_bytes / 65536) as u32)
        .with_max_http_response_bytes(owncast_plugin_host::capabilities::http_outbound::MAX_BODY_BYTES as u64)
        // Extism's documented default for vars.
        .with_max_var_bytes(1 << 20);
    let mut em = extism_manifest::Manifest::default().with_memory_options(memory).with_config(host_config.into_iter());
    // `Some(list)`: only the hosts written in network.allowedHosts (Extism
    // would allow every host for `None`).
    em.allowed_hosts = Some(hosts);
    em.timeout_ms = Some(limits.event_deadline.as_millis() as u64);
    em
}
