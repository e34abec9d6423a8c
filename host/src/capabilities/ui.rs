//! `ui` — permission `ui.modify`; legacy `owncast_add_actions`,
//! `owncast_clear_actions`. As upstream, the buttons a plugin adds at run
//! time are kept in its own storage namespace under
//! [`RUNTIME_ACTIONS_KEY`](crate::ui::RUNTIME_ACTIONS_KEY) (so they survive a
//! restart) and listed after its manifest's `actions` while it is enabled.
//! They are validated like manifest actions ([`crate::ui::validate_actions`]:
//! URLs rewritten into the plugin's space, other plugins' space refused,
//! `html`-only buttons sanitized) when added, and again whenever they are
//! read, so a value written some other way cannot bypass the checks.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::ui as wit;
use crate::context::{HostCallError, PluginContext};
use crate::permissions::Permission;
use crate::types::{ActionButton, OpResult};
use crate::ui::{validate_actions, MAX_RUNTIME_ACTIONS, RUNTIME_ACTIONS_KEY};

impl PluginContext {
    /// The buttons the plugin added at run time, checked again; a stored
    /// value that fails the checks counts as none (and is logged).
    pub fn runtime_actions(&self) -> Vec<ActionButton> {
        let raw = match self.kv_namespace().get(RUNTIME_ACTIONS_KEY) {
            Ok(Some(raw)) if !raw.trim().is_empty() => raw,
            Ok(_) => return Vec::new(),
            Err(e) => {
                tracing::warn!(plugin = %self.slug(), "reading its action buttons: {e}");
                return Vec::new();
            }
        };
        let checked = serde_json::from_str::<Vec<ActionButton>>(&raw).map_err(|e| e.to_string()).and_then(|list| {
            validate_actions(self.slug(), self.grants().contains(Permission::HttpServe), list)
                .map_err(|(f, m)| format!("actions{f}: {m}"))
        });
        match checked {
            Ok(list) => list.into_iter().take(MAX_RUNTIME_ACTIONS).collect(),
            Err(e) => {
                tracing::warn!(plugin = %self.slug(), "stored action buttons ignored: {e}");
                Vec::new()
            }
        }
    }

    /// Appends buttons to the plugin's run-time list (upstream `owncast.actions.add`).
    pub fn add_actions(&self, actions: Vec<ActionButton>) -> Result<OpResult, HostCallError> {
        let new = match validate_actions(self.slug(), self.grants().contains(Permission::HttpServe), actions) {
            Ok(list) => list,
            Err((field, message)) => return Ok(OpResult::err(format!("actions{field}: {message}"))),
        };
        let mut list = self.runtime_actions();
        if list.len() + new.len() > MAX_RUNTIME_ACTIONS {
            return Ok(OpResult::err(format!("a plugin may add at most {MAX_RUNTIME_ACTIONS} action buttons")));
        }
        list.extend(new);
        let json = serde_json::to_string(&list).expect("buttons serialize");
        self.kv_namespace().set(RUNTIME_ACTIONS_KEY, &json).map_err(|e| self.failed("ui.add-actions", e))?;
        Ok(OpResult::ok())
    }

    /// Removes the buttons the plugin added at run time; its manifest's stay
    /// (upstream `owncast.actions.clear`).
    pub fn clear_actions(&self) -> Result<OpResult, HostCallError> {
        self.kv_namespace().delete(RUNTIME_ACTIONS_KEY).map_err(|e| self.failed("ui.clear-actions", e))?;
        Ok(OpResult::ok())
    }
}

impl wit::Host for PluginView<'_> {
    fn add_actions(&mut self, actions: Vec<ActionButton>) -> wasmtime::Result<OpResult> {
        self.ctx.add_actions(actions).map_err(trap)
    }
    fn clear_actions(&mut self) -> wasmtime::Result<OpResult> {
        self.ctx.clear_actions().map_err(trap)
    }
}

crate::legacy! {
    "owncast_add_actions"(P) -> P input "`ActionButton[]`, or one `ActionButton`" output "`{}`, or `{error}`" = |c, a| {
        // A list of buttons, or one button.
        let text = a.bytes(0);
        let parsed = serde_json::from_slice::<Vec<ActionButton>>(&text)
            .or_else(|_| serde_json::from_slice::<ActionButton>(&text).map(|b| vec![b]));
        match parsed {
            Ok(buttons) => op_result(c.add_actions(buttons)),
            Err(e) => Ok(envelope(Err(format!("not a list of action buttons: {e}")))),
        }
    };
    "owncast_clear_actions"(P) -> P input "one ignored argument (pass 0)" output "`{}`, or `{error}`" = |c, _| op_result(c.clear_actions());
}
