//! `users-register` — permission `users.register`; legacy
//! `owncast_users_register`. Finds or creates the authenticated Owncast user
//! for an external identity (a provider login), the way a viewer-auth gate
//! turns a login into a user before granting it a session. Owncast scopes the
//! identity by the calling plugin's slug, so two plugins can neither collide
//! on nor impersonate each other's users; a plugin may assign only
//! [`ASSIGNABLE_SCOPES`].

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::users_register as wit;
use crate::context::{HostCallError, PluginContext};
pub use owncast_plugin_contract::types::UserRegistration;
use serde::Serialize;

/// Scopes a plugin may give the users it registers; administrative ones
/// (`HAS_ADMIN_ACCESS`, `MODERATOR`, `CAN_SEND_SYSTEM_MESSAGES`) are refused.
pub const ASSIGNABLE_SCOPES: &[&str] = &["CAN_SEND_MESSAGES"];

/// Upstream's `UserRegisterResult`: `{userId}` or `{error}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<Result<String, String>> for RegisterResult {
    fn from(r: Result<String, String>) -> Self {
        match r {
            Ok(id) => RegisterResult { user_id: Some(id), error: None },
            Err(e) => RegisterResult { user_id: None, error: Some(e) },
        }
    }
}

impl PluginContext {
    fn registered_key(&self, user_id: &str) -> String {
        format!("plugins.auth.{}.registered.{user_id}", self.slug())
    }

    /// `Ok(Err(_))` is a refusal the plugin sees as a value.
    pub fn users_register(&self, req: &UserRegistration) -> Result<Result<String, String>, HostCallError> {
        if req.auth_id.is_empty() {
            return Ok(Err("authId is required".into()));
        }
        if let Some(s) = req.scopes.iter().find(|s| !ASSIGNABLE_SCOPES.contains(&s.as_str())) {
            return Ok(Err(format!(
                "scope \"{s}\" cannot be assigned by a plugin (allowed: {})",
                ASSIGNABLE_SCOPES.join(", ")
            )));
        }
        let result = self.owncast().register_user(&self.caller(), req);
        if let Ok(id) = &result {
            // What auth.gate's grant-session checks: this plugin registered the user.
            self.services()
                .kv
                .set(&self.registered_key(id), "1")
                .map_err(|e| self.failed("users-register.register", e))?;
        }
        Ok(result)
    }

    /// Whether this plugin registered `user_id` through `users.register`.
    pub(crate) fn registered(&self, user_id: &str) -> bool {
        matches!(self.services().kv.get(&self.registered_key(user_id)), Ok(Some(_)))
    }
}

impl wit::Host for PluginView<'_> {
    fn register(&mut self, req: wit::UserRegistration) -> wasmtime::Result<Result<String, String>> {
        let req = UserRegistration {
            auth_id: req.auth_id,
            display_name: req.display_name.unwrap_or_default(),
            scopes: req.scopes,
            profile_url: req.profile_url.unwrap_or_default(),
            handle: req.handle.unwrap_or_default(),
            is_public: req.is_public,
        };
        self.ctx.users_register(&req).map_err(trap)
    }
}

crate::legacy! {
    "owncast_users_register"(P) -> P output "`{userId}`, or `{error}`" = |c, a| match serde_json::from_slice::<UserRegistration>(&a.bytes(0)) {
        Ok(req) => c.users_register(&req).map(|r| json(&RegisterResult::from(r))),
        Err(e) => Ok(json(&RegisterResult::from(Err(format!("invalid request: {e}"))))),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_as_upstream_sends_them() {
        let r: UserRegistration = serde_json::from_str(r#"{"authId":"gh:1","displayName":null}"#).unwrap();
        assert_eq!((r.auth_id.as_str(), r.display_name.as_str()), ("gh:1", ""), "a null displayName is no name");
        let r: UserRegistration = serde_json::from_str(
            r#"{"authId":"gh:2","displayName":"Ann","scopes":["CAN_SEND_MESSAGES"],"profileUrl":"https://gh.example/ann","handle":"@ann","public":true}"#,
        )
        .unwrap();
        assert_eq!(r.display_name, "Ann");
        assert!(r.is_public && r.handle == "@ann" && r.profile_url == "https://gh.example/ann");
        assert_eq!(
            serde_json::to_value(RegisterResult::from(Ok("u1".into()))).unwrap(),
            serde_json::json!({"userId": "u1"})
        );
        assert_eq!(
            serde_json::to_value(RegisterResult::from(Err("no".into()))).unwrap(),
            serde_json::json!({"error": "no"})
        );
    }
}
