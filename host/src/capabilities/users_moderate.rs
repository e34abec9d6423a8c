//! `users-moderate` — permission `users.moderate`; legacy `owncast_user_set_enabled`, `owncast_ban_ip`.
//! What Owncast refuses is a failed call (legacy: `{"error": ...}`).

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::users_moderate as wit;
use crate::context::{HostCallError, PluginContext};

impl PluginContext {
    pub fn user_set_enabled(&self, id: &str, enabled: bool, reason: &str) -> Result<(), HostCallError> {
        self.owncast()
            .set_user_enabled(&self.caller(), id, enabled, reason)
            .map_err(|e| self.failed("users-moderate.set-enabled", e))
    }
    pub fn ban_ip(&self, ip: &str) -> Result<(), HostCallError> {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(self.failed("users-moderate.ban-ip", format!("\"{ip}\" is not an IP address")));
        }
        self.owncast().ban_ip(&self.caller(), ip).map_err(|e| self.failed("users-moderate.ban-ip", e))
    }
}

impl wit::Host for PluginView<'_> {
    fn set_enabled(&mut self, id: String, enabled: bool, reason: String) -> wasmtime::Result<()> {
        self.ctx.user_set_enabled(&id, enabled, &reason).map_err(trap)
    }
    fn ban_ip(&mut self, ip: String) -> wasmtime::Result<()> {
        self.ctx.ban_ip(&ip).map_err(trap)
    }
}

crate::legacy! {
    "owncast_user_set_enabled"(P, I32, P) -> P output "`{}`, or `{error}`" = |c, a| op(c.user_set_enabled(&a.str(0), a.int(1) != 0, &a.str(2)));
    "owncast_ban_ip"(P) -> P output "`{}`, or `{error}`" = |c, a| op(c.ban_ip(&a.str(0)));
}
