//! `notifications` — permission `notifications.send`; legacy `owncast_notify_*`.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::notifications as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::{BrowserPush, FediverseNotification};

impl PluginContext {
    pub fn notify_discord(&self, content: &str) -> Result<(), HostCallError> {
        self.owncast().notify_discord(&self.caller(), content);
        Ok(())
    }
    pub fn notify_browser_push(&self, push: &BrowserPush) -> Result<(), HostCallError> {
        self.owncast().notify_browser_push(&self.caller(), push);
        Ok(())
    }
    pub fn notify_fediverse(&self, notification: &FediverseNotification) -> Result<(), HostCallError> {
        self.owncast().notify_fediverse(&self.caller(), notification);
        Ok(())
    }
}

impl wit::Host for PluginView<'_> {
    fn notify_discord(&mut self, content: String) -> wasmtime::Result<()> {
        self.ctx.notify_discord(&content).map_err(trap)
    }
    fn notify_browser_push(&mut self, push: BrowserPush) -> wasmtime::Result<()> {
        self.ctx.notify_browser_push(&push).map_err(trap)
    }
    fn notify_fediverse(&mut self, notification: FediverseNotification) -> wasmtime::Result<()> {
        self.ctx.notify_fediverse(&notification).map_err(trap)
    }
}
