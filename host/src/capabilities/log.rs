//! `log` — no permission (upstream's ambient `owncast_log_info`,
//! `owncast_log_warning`, `owncast_log_error`): the plugin's lines go to the
//! host's log under its slug, and to Owncast's ([`Owncast::plugin_log`]).

use super::PluginView;
use crate::bindings::owncast::plugin::log as wit;
use crate::context::PluginContext;
use crate::owncast::LogLevel;

pub use wit::Level;

/// Longest log line kept; the rest is cut.
pub const MAX_LOG_BYTES: usize = 8 * 1024;

impl From<Level> for LogLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Trace => LogLevel::Trace,
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Warn => LogLevel::Warning,
            Level::Error => LogLevel::Error,
        }
    }
}

/// `message` cut to [`MAX_LOG_BYTES`] at a character boundary.
fn capped(message: &str) -> &str {
    let mut end = message.len().min(MAX_LOG_BYTES);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

impl PluginContext {
    /// A line for the host's log only (Extism's own log functions, a guest's
    /// stdout and stderr).
    pub fn log(&self, level: Level, message: &str) {
        let message = capped(message);
        let plugin = self.slug();
        match level {
            Level::Trace => tracing::trace!(target: "plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        }
    }

    /// A line the plugin writes to the server log (`owncast_log_*`, WIT
    /// `log`): the host's log, then Owncast's, attributed to the plugin.
    pub fn log_to_server(&self, level: Level, message: &str) {
        let message = capped(message);
        self.log(level, message);
        self.owncast().plugin_log(&self.caller(), level.into(), message);
    }
}

impl wit::Host for PluginView<'_> {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.ctx.log_to_server(level, &message);
        Ok(())
    }
}

/// `owncast_log_*`: the message (UTF-8, invalid bytes replaced) to the server log.
fn log(c: &mut PluginView<'_>, level: Level, a: &super::legacy::In) -> Result<super::legacy::Out, crate::context::HostCallError> {
    c.log_to_server(level, &a.str(0));
    Ok(super::legacy::Out::Unit)
}

crate::legacy! {
    "owncast_log_info"(P) -> Unit input "`message`: text (the level is the function's)" = |c, a| log(c, Level::Info, a);
    "owncast_log_warning"(P) -> Unit input "`message`: text (the level is the function's)" = |c, a| log(c, Level::Warn, a);
    "owncast_log_error"(P) -> Unit input "`message`: text (the level is the function's)" = |c, a| log(c, Level::Error, a);
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_lines_are_cut_at_a_character_boundary() {
        let line = "é".repeat(super::MAX_LOG_BYTES);
        let cut = super::capped(&line);
        assert!(cut.len() <= super::MAX_LOG_BYTES && cut.len() > super::MAX_LOG_BYTES - 2);
        assert_eq!(super::capped("short"), "short");
    }
}
