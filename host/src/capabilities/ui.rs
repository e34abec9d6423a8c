//! `ui` — permission `ui.modify`; legacy `owncast_add_actions`,
//! `owncast_clear_actions`. Buttons are listed by `GET /api/plugins/actions`;
//! their HTML is sanitized here, before any viewer sees it.

use super::{sanitize_html, trap};
use crate::component::bindings::owncast::plugin::ui as wit;
use crate::component::ComponentState;
use crate::context::{HostCallError, PluginContext};
use crate::permissions::Permission;
use crate::types::{ActionButton, OpResult};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Most buttons one plugin may show.
pub const MAX_ACTIONS: usize = 20;

/// The action buttons of every plugin.
#[derive(Default)]
pub struct ActionRegistry {
    by_plugin: Mutex<BTreeMap<String, Vec<ActionButton>>>,
}

impl ActionRegistry {
    /// All buttons, plugin by plugin.
    pub fn all(&self) -> Vec<(String, ActionButton)> {
        let map = self.by_plugin.lock().unwrap();
        map.iter().flat_map(|(slug, v)| v.iter().map(move |a| (slug.clone(), a.clone()))).collect()
    }
    pub fn clear(&self, slug: &str) {
        self.by_plugin.lock().unwrap().remove(slug);
    }
    fn add(&self, slug: &str, actions: Vec<ActionButton>) -> OpResult {
        let mut map = self.by_plugin.lock().unwrap();
        let list = map.entry(slug.to_string()).or_default();
        if list.len() + actions.len() > MAX_ACTIONS {
            return OpResult::err(format!("a plugin may show at most {MAX_ACTIONS} action buttons"));
        }
        list.extend(actions);
        OpResult::ok()
    }
}

fn valid_url(u: &str) -> bool {
    u.starts_with("https://") || u.starts_with("http://") || (u.starts_with('/') && !u.starts_with("//"))
}

impl PluginContext {
    pub fn add_actions(&self, actions: Vec<ActionButton>) -> Result<OpResult, HostCallError> {
        self.require(Permission::UiModify, "ui.add-actions")?;
        let mut clean = Vec::with_capacity(actions.len());
        for mut a in actions {
            if a.title.trim().is_empty() {
                return Ok(OpResult::err("every action needs a title"));
            }
            if !valid_url(&a.url) {
                return Ok(OpResult::err(format!("action \"{}\": url must be http(s) or a site path", a.title)));
            }
            a.html = a.html.map(|h| sanitize_html(&h));
            clean.push(a);
        }
        Ok(self.services().actions.add(self.slug(), clean))
    }

    pub fn clear_actions(&self) -> Result<OpResult, HostCallError> {
        self.require(Permission::UiModify, "ui.clear-actions")?;
        self.services().actions.clear(self.slug());
        Ok(OpResult::ok())
    }
}

impl wit::Host for ComponentState {
    fn add_actions(&mut self, actions: Vec<ActionButton>) -> wasmtime::Result<OpResult> {
        self.ctx.add_actions(actions).map_err(trap)
    }
    fn clear_actions(&mut self) -> wasmtime::Result<OpResult> {
        self.ctx.clear_actions().map_err(trap)
    }
}
