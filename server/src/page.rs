//! What enabled plugins add to Owncast's pages, as Owncast consumes it:
//!
//! - `GET /api/plugins/actions`: every button (manifest `actions`, then those
//!   added at run time), upstream's `ActionButton` JSON plus `plugin`.
//! - `GET /api/plugins/config`: the fields of Owncast's `/api/config` that
//!   upstream fills from plugins (`externalActions`, `pluginStyles`,
//!   `extraPageContent`, `pluginTabs`) and `customJavascript` (what upstream
//!   appends to `/customjavascript`); see [`owncast_plugin_host::ui::page_contributions`].
//!   Owncast appends `externalActions` to the admin's, prepends
//!   `extraPageContent` to the admin's, and serves the rest as they are.

use super::{json_response, PluginServer};
use bytes::Bytes;
use http::{Response, StatusCode};
use owncast_plugin_host::host::LoadedPlugin;
use owncast_plugin_host::ui::{action_json, page_contributions, PluginPage};
use std::sync::Arc;

fn enabled(server: &PluginServer) -> Vec<Arc<LoadedPlugin>> {
    server.host().plugins().into_iter().filter(|p| p.is_enabled()).collect()
}

pub(super) fn actions(server: &PluginServer) -> Response<Bytes> {
    let mut list = Vec::new();
    for p in enabled(server) {
        for a in p.manifest.ui.actions.iter().chain(&p.context().runtime_actions()) {
            list.push(action_json(p.slug(), a));
        }
    }
    json_response(StatusCode::OK, &serde_json::Value::Array(list))
}

pub(super) fn config(server: &PluginServer) -> Response<Bytes> {
    let plugins = enabled(server);
    let pages: Vec<PluginPage<'_>> = plugins
        .iter()
        .map(|p| PluginPage {
            slug: p.slug(),
            ui: &p.manifest.ui,
            assets: &p.assets,
            runtime_actions: p.context().runtime_actions(),
        })
        .collect();
    json_response(StatusCode::OK, &page_contributions(&pages))
}
