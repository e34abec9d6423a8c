//! One module per capability: the host side of a WIT interface and the
//! service both plugin kinds call.
//!
//! Each module implements the capability's methods on
//! [`PluginContext`](crate::context::PluginContext) (permission check, limits,
//! the service) and the `bindgen!` `Host` trait of its WIT interface on
//! [`ComponentState`](crate::component::ComponentState), which only
//! translates. The legacy shim (`owncast-compat-extism`) calls the same
//! context methods from its `owncast_*` functions.

pub mod chat;
pub mod chat_history;
pub mod chat_moderate;
pub mod config;
pub mod events;
pub mod fediverse;
pub mod fs;
pub mod http_outbound;
pub mod kv;
pub mod log;
pub mod notifications;
pub mod server;
pub mod sse;
pub mod ui;
pub mod upload;
pub mod users;
pub mod users_moderate;
pub mod video_config;

use crate::context::HostCallError;

/// Host-call failures trap the calling guest; the error stays typed, so a
/// refusal reaches the dispatcher as [`CallError::Refused`](crate::plugin::CallError::Refused).
pub(crate) fn trap(e: HostCallError) -> wasmtime::Error {
    wasmtime::Error::new(e)
}

/// Sanitizes untrusted HTML (system chat messages, action buttons): keeps
/// formatting and links, drops scripts, styles, event handlers and `javascript:`.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default().link_rel(Some("noopener noreferrer nofollow")).clean(html).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sanitizer_drops_scripts_and_handlers() {
        let out = super::sanitize_html(
            r#"<b onclick="x()">hi</b><script>alert(1)</script><a href="javascript:alert(1)">l</a>"#,
        );
        assert!(out.contains("<b>hi</b>"), "{out}");
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("javascript"), "{out}");
    }
}
