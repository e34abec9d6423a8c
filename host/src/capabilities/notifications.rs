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

crate::legacy! {
    "owncast_notify_discord"(P) -> Unit = |c, a| c.notify_discord(&a.str(0)).map(|_| Out::Unit);
    "owncast_notify_browser_push"(P) -> Unit input "`BrowserPush` `{title, body?, url?}`, or plain text (the title)" = |c, a| {
        let text = a.str(0);
        // `{title, body?, url?}`, or plain text as the title (as upstream's SDK sends a string).
        let push = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v @ serde_json::Value::Object(_)) => shaped::<BrowserPush>(c, "notifications.notify-browser-push", "{title, body?, url?}", v)?,
            _ => BrowserPush { title: text, body: None, url: None },
        };
        c.notify_browser_push(&push).map(|_| Out::Unit)
    };
    "owncast_notify_fediverse"(P) -> Unit = |c, a| {
        let call = "notifications.notify-fediverse";
        let value = serde_json::from_slice::<serde_json::Value>(&a.bytes(0)).map_err(|e| c.failed(call, format!("not JSON: {e}")))?;
        let notification = shaped::<FediverseNotification>(c, call, "{type, body, image?, link?}", value)?;
        c.notify_fediverse(&notification).map(|_| Out::Unit)
    };
}
