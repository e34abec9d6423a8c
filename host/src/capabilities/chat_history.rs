//! `chat-history` — permission `chat.history`; legacy `owncast_chat_history`, `owncast_chat_clients`.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::chat_history as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::{ChatClient, ChatMessage};

/// Most messages one history call returns.
pub const MAX_HISTORY: u32 = 500;

/// What a limit of `0` (or a legacy call without one) asks for, as upstream.
pub const DEFAULT_HISTORY: u32 = 50;

impl PluginContext {
    pub fn chat_history(&self, limit: u32) -> Result<Vec<ChatMessage>, HostCallError> {
        let limit = if limit == 0 { DEFAULT_HISTORY } else { limit.min(MAX_HISTORY) };
        Ok(self.owncast().chat_history(limit))
    }
    pub fn chat_clients(&self) -> Result<Vec<ChatClient>, HostCallError> {
        Ok(self.owncast().chat_clients())
    }
}

impl wit::Host for PluginView<'_> {
    fn history(&mut self, limit: u32) -> wasmtime::Result<Vec<ChatMessage>> {
        self.ctx.chat_history(limit).map_err(trap)
    }
    fn clients(&mut self) -> wasmtime::Result<Vec<ChatClient>> {
        self.ctx.chat_clients().map_err(trap)
    }
}

crate::legacy! {
    "owncast_chat_history"(I32) -> P = |c, a| c.chat_history(a.int(0).clamp(0, u32::MAX as i64) as u32).map(|v| json(&v));
    "owncast_chat_clients"() -> P = |c, _| c.chat_clients().map(|v| json(&v));
}
