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
//!   Tabs and the page slot without a `content` file, and the extra styles
//!   and scripts of plugins holding `ui.modify`, are rendered by the plugins'
//!   content exports for this request (the viewer's identity, if the request
//!   carries one, goes to the tab and page exports), all plugins at once, each
//!   within the `content_deadline`; a plugin that fails or is late is left
//!   out of the page, which is still served.

use super::{json_response, PluginServer};
use bytes::Bytes;
use futures::future::join_all;
use http::{Response, StatusCode};
use owncast_plugin_host::host::LoadedPlugin;
use owncast_plugin_host::types::ChatUser;
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

pub(super) async fn config(server: &PluginServer, user: Option<&ChatUser>) -> Response<Bytes> {
    let plugins = enabled(server);
    let host = server.host();
    let dynamic = join_all(plugins.iter().map(|p| host.dynamic_content(p, user))).await;
    let pages: Vec<PluginPage<'_>> = plugins
        .iter()
        .zip(dynamic)
        .map(|(p, dynamic)| PluginPage {
            slug: p.slug(),
            ui: &p.manifest.ui,
            assets: &p.assets,
            runtime_actions: p.context().runtime_actions(),
            dynamic,
        })
        .collect();
    json_response(StatusCode::OK, &page_contributions(&pages))
}
