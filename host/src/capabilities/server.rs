//! `server` — permission `server.read`; legacy `owncast_stream_current`,
//! `owncast_stream_broadcaster`, `owncast_server_*` (`owncast_server_emotes` included).

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::server as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::{Broadcaster, Emote, FederationInfo, ServerInfo, SocialHandle, StreamInfo};

impl PluginContext {
    pub fn stream_current(&self) -> Result<StreamInfo, HostCallError> {
        Ok(self.owncast().stream_current())
    }
    /// Every field left out while no broadcaster is connected.
    pub fn stream_broadcaster(&self) -> Result<Broadcaster, HostCallError> {
        Ok(self.owncast().stream_broadcaster())
    }
    pub fn server_info(&self) -> Result<ServerInfo, HostCallError> {
        Ok(self.owncast().server_info())
    }
    pub fn server_socials(&self) -> Result<Vec<SocialHandle>, HostCallError> {
        Ok(self.owncast().server_socials())
    }
    pub fn server_emotes(&self) -> Result<Vec<Emote>, HostCallError> {
        Ok(self.owncast().server_emotes())
    }
    pub fn server_federation(&self) -> Result<FederationInfo, HostCallError> {
        Ok(self.owncast().server_federation())
    }
    pub fn server_tags(&self) -> Result<Vec<String>, HostCallError> {
        Ok(self.owncast().server_tags())
    }
}

impl wit::Host for PluginView<'_> {
    fn stream_current(&mut self) -> wasmtime::Result<StreamInfo> {
        self.ctx.stream_current().map_err(trap)
    }
    fn stream_broadcaster(&mut self) -> wasmtime::Result<Broadcaster> {
        self.ctx.stream_broadcaster().map_err(trap)
    }
    fn server_info(&mut self) -> wasmtime::Result<ServerInfo> {
        self.ctx.server_info().map_err(trap)
    }
    fn server_socials(&mut self) -> wasmtime::Result<Vec<SocialHandle>> {
        self.ctx.server_socials().map_err(trap)
    }
    fn server_emotes(&mut self) -> wasmtime::Result<Vec<Emote>> {
        self.ctx.server_emotes().map_err(trap)
    }
    fn server_federation(&mut self) -> wasmtime::Result<FederationInfo> {
        self.ctx.server_federation().map_err(trap)
    }
    fn server_tags(&mut self) -> wasmtime::Result<Vec<String>> {
        self.ctx.server_tags().map_err(trap)
    }
}

crate::legacy! {
    "owncast_stream_current"() -> P = |c, _| c.stream_current().map(|v| json(&v));
    "owncast_stream_broadcaster"() -> P = |c, _| c.stream_broadcaster().map(|v| json(&v));
    "owncast_server_info"() -> P = |c, _| c.server_info().map(|v| json(&v));
    "owncast_server_socials"() -> P = |c, _| c.server_socials().map(|v| json(&v));
    "owncast_server_emotes"() -> P = |c, _| c.server_emotes().map(|v| json(&v));
    "owncast_server_federation"() -> P = |c, _| c.server_federation().map(|v| json(&v));
    "owncast_server_tags"() -> P = |c, _| c.server_tags().map(|v| json(&v));
}
