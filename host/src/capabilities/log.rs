//! `log` — no permission: the plugin's lines go to the host's log under its slug.

use super::PluginView;
use crate::bindings::owncast::plugin::log as wit;
use crate::context::PluginContext;

pub use wit::Level;

/// Longest log line kept; the rest is cut.
pub const MAX_LOG_BYTES: usize = 8 * 1024;

impl PluginContext {
    pub fn log(&self, level: Level, message: &str) {
        let mut end = message.len().min(MAX_LOG_BYTES);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let message = &message[..end];
        let plugin = self.slug();
        match level {
            Level::Trace => tracing::trace!(target: "plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        }
    }
}

impl wit::Host for PluginView<'_> {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.ctx.log(level, &message);
        Ok(())
    }
}
