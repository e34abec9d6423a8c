//! The capability side of [`crate::services::auth_gate`] (see there).

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::auth_gate as wit;
use crate::context::HostCallError;
use crate::services::auth_gate::now;
pub use crate::services::auth_gate::*;

impl PluginView<'_> {
    /// `Ok(Err(_))` is a refusal the plugin sees as a value.
    pub fn auth_grant_session(
        &mut self,
        user_id: &str,
        ttl_seconds: Option<u64>,
    ) -> Result<Result<(), String>, HostCallError> {
        if user_id.is_empty() {
            return Ok(Err("userId is required".into()));
        }
        if !self.call.in_http() {
            return Ok(Err("grantSession is only available inside an on_http_request handler".into()));
        }
        if !self.registered(user_id) {
            return Ok(Err(format!("user \"{user_id}\" was not registered by this plugin (users.register)")));
        }
        let ttl = ttl_seconds.filter(|t| *t > 0).unwrap_or(DEFAULT_SESSION_TTL).clamp(MIN_SESSION_TTL, MAX_SESSION_TTL);
        let token = self.services().sessions.sign(&Session {
            user_id: user_id.to_string(),
            plugin: self.slug().to_string(),
            expires: now() + ttl,
        });
        self.owncast().session_granted(&self.caller(), user_id, ttl);
        self.call.set_session_change(SessionChange::Granted { token, max_age: ttl });
        Ok(Ok(()))
    }

    pub fn auth_end_session(&mut self) -> Result<(), HostCallError> {
        self.owncast().session_ended(&self.caller());
        if self.call.in_http() {
            self.call.set_session_change(SessionChange::Ended);
        }
        Ok(())
    }
}

impl wit::Host for PluginView<'_> {
    fn grant_session(&mut self, user_id: String, ttl_seconds: Option<u64>) -> wasmtime::Result<Result<(), String>> {
        self.auth_grant_session(&user_id, ttl_seconds).map_err(trap)
    }
    fn end_session(&mut self) -> wasmtime::Result<()> {
        self.auth_end_session().map_err(trap)
    }
}

crate::legacy! {
    "owncast_auth_grant_session"(P) -> P input "`{userId, ttl?}` (ttl in seconds)" output "`{}`, or `{error}`" = |c, a| {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Grant {
            user_id: String,
            #[serde(default)]
            ttl: u64,
        }
        let outcome = match serde_json::from_slice::<Grant>(&a.bytes(0)) {
            Ok(g) => c.auth_grant_session(&g.user_id, Some(g.ttl))?,
            Err(e) => Err(format!("invalid request: {e}")),
        };
        Ok(envelope(outcome))
    };
    "owncast_auth_end_session"() -> Unit = |c, _| c.auth_end_session().map(|_| Out::Unit);
}
