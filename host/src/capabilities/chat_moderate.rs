//! `chat-moderate` — permission `chat.moderate`; legacy `owncast_delete_message`, `owncast_kick_client`.
//! What Owncast refuses is a failed call (legacy: `{"error": ...}`).

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::chat_moderate as wit;
use crate::context::{HostCallError, PluginContext};

impl PluginContext {
    pub fn delete_message(&self, message_id: &str) -> Result<(), HostCallError> {
        self.owncast().delete_message(&self.caller(), message_id).map_err(|e| self.failed("chat-moderate.delete-message", e))
    }
    pub fn kick_client(&self, client_id: u64) -> Result<(), HostCallError> {
        self.owncast().kick_client(&self.caller(), client_id).map_err(|e| self.failed("chat-moderate.kick-client", e))
    }
}

impl wit::Host for PluginView<'_> {
    fn delete_message(&mut self, message_id: String) -> wasmtime::Result<()> {
        self.ctx.delete_message(&message_id).map_err(trap)
    }
    fn kick_client(&mut self, client_id: u64) -> wasmtime::Result<()> {
        self.ctx.kick_client(client_id).map_err(trap)
    }
}

crate::legacy! {
    "owncast_delete_message"(P) -> P output "`{}`, or `{error}`" = |c, a| op(c.delete_message(&a.str(0)));
    "owncast_kick_client"(I) -> P output "`{}`, or `{error}`" = |c, a| op(c.kick_client(a.int(0) as u64));
}
