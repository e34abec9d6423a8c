//! The configuration an embedder passes to `ocp_host_new`, as JSON.

use owncast_plugin_host::{Limits, RuntimeConfig};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `ocp_host_new`'s configuration. Unknown fields are refused, so a typo is
/// an error rather than a silently ignored setting.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The plugins folder (packages, loose files, plugin directories).
    pub plugins_dir: PathBuf,
    /// The host's own files: `kv.redb` (plugin storage), `plugins.json`
    /// (enabled set and approvals), `ocpkg/` (unpacked packages) and
    /// `plugin-storage/<slug>/{files,db}` (upstream's layout; an earlier
    /// `plugin-data/` is moved there at start).
    pub data_dir: PathBuf,
    /// The admin's choices (default `<dataDir>/plugins.json`).
    #[serde(default)]
    pub state_file: Option<PathBuf>,
    /// Password of the `admin` user for admin pages and the admin API.
    #[serde(default)]
    pub admin_password: Option<String>,
    /// Bearer tokens that also grant admin access.
    #[serde(default)]
    pub admin_tokens: Vec<String>,
    /// Approve and enable every plugin found at start (demos and tests; a
    /// real admin approves each plugin).
    #[serde(default)]
    pub enable_all: bool,
    /// The shared JavaScript engine for `.js` plugins.
    #[serde(default)]
    pub js_engine: Option<PathBuf>,
    /// Where compiled plugin code is cached across restarts.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Threads that run plugin calls in the background (default 2).
    #[serde(default)]
    pub worker_threads: Option<usize>,
    #[serde(default)]
    pub limits: LimitsConfig,
    /// `tracing` filter for the host's logs on stderr (e.g. `info`,
    /// `owncast_plugin_host=debug`); none installs no subscriber.
    #[serde(default)]
    pub log: Option<String>,
}

/// Overrides of the host's default limits; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsConfig {
    pub memory_bytes: Option<usize>,
    pub register_deadline_ms: Option<u64>,
    pub filter_deadline_ms: Option<u64>,
    pub event_deadline_ms: Option<u64>,
    pub http_deadline_ms: Option<u64>,
    pub max_strikes: Option<u32>,
    pub max_emit_depth: Option<u32>,
    pub http_body_bytes: Option<usize>,
    pub max_instances: Option<u32>,
}

impl Config {
    pub fn parse(json: &[u8]) -> Result<Config, String> {
        let c: Config = serde_json::from_slice(json).map_err(|e| format!("config: {e}"))?;
        for (name, value) in [("pluginsDir", &c.plugins_dir), ("dataDir", &c.data_dir)] {
            if value.as_os_str().is_empty() {
                return Err(format!("config: `{name}` is empty; it names a folder"));
            }
        }
        Ok(c)
    }

    pub fn runtime_config(&self) -> RuntimeConfig {
        let l = &self.limits;
        let d = Limits::default();
        let ms = |v: Option<u64>, default: Duration| v.map(Duration::from_millis).unwrap_or(default);
        let limits = Limits {
            memory_bytes: l.memory_bytes.unwrap_or(d.memory_bytes),
            register_deadline: ms(l.register_deadline_ms, d.register_deadline),
            filter_deadline: ms(l.filter_deadline_ms, d.filter_deadline),
            event_deadline: ms(l.event_deadline_ms, d.event_deadline),
            http_deadline: ms(l.http_deadline_ms, d.http_deadline),
            max_strikes: l.max_strikes.unwrap_or(d.max_strikes),
            max_emit_depth: l.max_emit_depth.unwrap_or(d.max_emit_depth),
            http_body_bytes: l.http_body_bytes.unwrap_or(d.http_body_bytes),
            ..d
        };
        let mut rc = RuntimeConfig { limits, cache_dir: self.cache_dir.clone(), ..Default::default() };
        if let Some(n) = l.max_instances {
            rc.max_instances = n;
        }
        rc
    }
}
