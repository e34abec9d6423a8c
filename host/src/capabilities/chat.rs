//! `chat` — permission `chat.send`; legacy `owncast_send_chat*`.

use super::PluginView;
use super::{sanitize_html, trap};
use crate::bindings::owncast::plugin::chat as wit;
use crate::context::{HostCallError, PluginContext};
use crate::owncast::ChatSend;

/// Longest chat message a plugin may send, in bytes.
pub const MAX_CHAT_BYTES: usize = 16 * 1024;

impl PluginContext {
    pub fn chat_send(&self, body: &str) -> Result<(), HostCallError> {
        self.chat(ChatSend::Message { body: body.to_string() }, "chat.send")
    }
    pub fn chat_send_action(&self, body: &str) -> Result<(), HostCallError> {
        self.chat(ChatSend::Action { body: body.to_string() }, "chat.send-action")
    }
    /// The HTML is sanitized before Owncast sees it.
    pub fn chat_send_system(&self, html: &str) -> Result<(), HostCallError> {
        self.chat(ChatSend::System { html: sanitize_html(html) }, "chat.send-system")
    }
    pub fn chat_send_to(&self, client_id: u64, body: &str) -> Result<(), HostCallError> {
        self.chat(ChatSend::To { client_id, body: body.to_string() }, "chat.send-to")
    }

    fn chat(&self, message: ChatSend, call: &str) -> Result<(), HostCallError> {
        let len = match &message {
            ChatSend::Message { body } | ChatSend::Action { body } | ChatSend::To { body, .. } => body.len(),
            ChatSend::System { html } => html.len(),
        };
        if len > MAX_CHAT_BYTES {
            return Err(self.failed(call, format!("message is {len} bytes; the limit is {MAX_CHAT_BYTES}")));
        }
        self.owncast().send_chat(&self.caller(), message);
        Ok(())
    }
}

impl wit::Host for PluginView<'_> {
    fn send(&mut self, body: String) -> wasmtime::Result<()> {
        self.ctx.chat_send(&body).map_err(trap)
    }
    fn send_action(&mut self, body: String) -> wasmtime::Result<()> {
        self.ctx.chat_send_action(&body).map_err(trap)
    }
    fn send_system(&mut self, html: String) -> wasmtime::Result<()> {
        self.ctx.chat_send_system(&html).map_err(trap)
    }
    fn send_to(&mut self, client_id: u64, body: String) -> wasmtime::Result<()> {
        self.ctx.chat_send_to(client_id, &body).map_err(trap)
    }
}

crate::legacy! {
    "owncast_send_chat"(P) -> Unit = |c, a| c.chat_send(&a.str(0)).map(|_| Out::Unit);
    "owncast_send_chat_action"(P) -> Unit = |c, a| c.chat_send_action(&a.str(0)).map(|_| Out::Unit);
    "owncast_send_chat_system"(P) -> Unit = |c, a| c.chat_send_system(&a.str(0)).map(|_| Out::Unit);
    "owncast_send_chat_to"(I, P) -> Unit = |c, a| c.chat_send_to(a.int(0) as u64, &a.str(1)).map(|_| Out::Unit);
}
