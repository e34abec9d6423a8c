//! `config` — no permission: the typed settings of `manifest.config`, set by
//! the admin and read by the plugin. Values are stored in the host's KV store
//! under `plugins.config.<slug>.`, out of reach of the plugin's own KV namespace.
//!
//! Values are capped: [`MAX_CONFIG_VALUE_BYTES`] per key and
//! [`MAX_CONFIG_TOTAL_BYTES`] for all of a plugin's settings (as JSON). They
//! are stored as given: a plugin that puts a setting into HTML must escape
//! it, as it would any other input (the admin's text is not trusted markup).

use super::PluginView;
use crate::bindings::owncast::plugin::config as wit;
use crate::context::PluginContext;

pub use crate::services::config::{ConfigError, ConfigValues, MAX_CONFIG_TOTAL_BYTES, MAX_CONFIG_VALUE_BYTES};

impl PluginContext {
    /// A setting as JSON text; `None` for undeclared keys.
    pub fn config_get(&self, key: &str) -> Option<String> {
        match self.services().config.get(self.manifest(), key) {
            Ok(v) => v.map(|v| v.to_string()),
            Err(e) => {
                tracing::warn!(plugin = %self.slug(), "reading config: {e}");
                None
            }
        }
    }
}

impl wit::Host for PluginView<'_> {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.ctx.config_get(&key))
    }
}

crate::legacy! {
    "owncast_config_get"(P) -> P = |c, a| Ok(Out::Bytes(c.config_get(&a.str(0)).filter(|v| v != "null").map(String::into_bytes)));
}
