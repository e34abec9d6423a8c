//! `users` — permission `users.read`; legacy `owncast_users_list`, `owncast_user_get`.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::users as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::User;

impl PluginContext {
    pub fn users_list(&self) -> Result<Vec<User>, HostCallError> {
        Ok(self.owncast().users())
    }
    pub fn user_get(&self, id: &str) -> Result<Option<User>, HostCallError> {
        Ok(self.owncast().user(id))
    }
}

impl wit::Host for PluginView<'_> {
    fn list(&mut self) -> wasmtime::Result<Vec<User>> {
        self.ctx.users_list().map_err(trap)
    }
    fn get(&mut self, id: String) -> wasmtime::Result<Option<User>> {
        self.ctx.user_get(&id).map_err(trap)
    }
}

crate::legacy! {
    "owncast_users_list"() -> P = |c, _| c.users_list().map(|v| json(&v));
    "owncast_user_get"(P) -> P = |c, a| c.user_get(&a.str(0)).map(|v| v.map(|u| json(&u)).unwrap_or(Out::Bytes(None)));
}
