//! `chat-moderate` — permission `chat.moderate`; legacy `owncast_delete_message`, `owncast_kick_client`.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::chat_moderate as wit;
use crate::context::{HostCallError, PluginContext};

impl PluginContext {
    pub fn delete_message(&self, message_id: &str) -> Result<(), HostCallError> {
        self.owncast().delete_message(&self.caller(), message_id);
        Ok(())
    }
    pub fn kick_client(&self, client_id: u64) -> Result<(), HostCallError> {
        self.owncast().kick_client(&self.caller(), client_id);
        Ok(())
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
