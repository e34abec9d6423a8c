//! Page content rendered by plugins: the optional exports `on_tab_content`
//! and `on_page_content` (a tab or `extraPageContent` slot without a
//! `content` file) and `on_page_styles`/`on_page_scripts` (only for plugins
//! granted `ui.modify`), called while the host builds the page contributions.
//!
//! Anyone loading a page causes these calls, so, like HTTP handler calls,
//! their failures never strike: they are counted and shown to the admin, and
//! an export that keeps failing is backed off. Each call has the
//! `content_deadline`; all of one plugin's calls for one page share it, so a
//! slow plugin delays the page by at most that much and only its own
//! contribution is missing.

use crate::call::Content;
use crate::host::{Host, LoadedPlugin};
use crate::permissions::Permission;
use crate::plugin::CallError;
use crate::types::{ChatUser, ContentRequest};
use crate::ui::{content_request, ContentHook, DynamicContent};
use std::sync::Arc;
use std::time::Instant;
use tokio::time::Instant as TokioInstant;

/// The back-off key of an export for one tab or slot (HTTP routes start
/// with `/`, so these never collide with one).
fn route(hook: ContentHook, slot: Option<&str>) -> String {
    match slot {
        Some(slot) => format!("#{}/{slot}", hook.export()),
        None => format!("#{}", hook.export()),
    }
}

impl Host {
    /// Calls one content export of plugin `slug` directly (what a scenario's
    /// `tabContent`, `pageContent`, `pageStyles` and `pageScripts` steps do):
    /// its text as returned, `""` when the plugin has no such export.
    pub async fn call_content(
        &self,
        slug: &str,
        hook: ContentHook,
        request: Option<ContentRequest>,
    ) -> Result<String, String> {
        let p = self.get(slug).ok_or_else(|| format!("no plugin `{slug}`"))?;
        if !p.is_enabled() {
            return Err(format!("plugin {slug} is disabled"));
        }
        let key = route(hook, request.as_ref().map(|r| r.slug.as_str()));
        let (result, emitted) = p.call(Content(hook, request)).await;
        self.account_unstruck(&p, hook.export(), &key, &result);
        self.dispatch_emitted_from(slug, emitted).await;
        result.map(Option::unwrap_or_default).map_err(|e| format!("plugin {slug}: {}: {e}", hook.export()))
    }

    /// What plugin `p`'s content exports render for one page (the viewer
    /// `user`, when known): each dynamic tab, the dynamic page slot, and with
    /// `ui.modify` granted its extra styles and scripts. What fails, is
    /// backing off or does not finish within the `content_deadline` is left
    /// out (logged, and counted in the plugin's health).
    pub async fn dynamic_content(&self, p: &Arc<LoadedPlugin>, user: Option<&ChatUser>) -> DynamicContent {
        let mut out = DynamicContent::default();
        if !p.is_enabled() || !p.grants().contains(Permission::UiModify) {
            return out;
        }
        let ui = &p.manifest.ui;
        let mut calls: Vec<(ContentHook, Option<String>)> = Vec::new();
        for t in ui.tabs.iter().filter(|t| t.content.is_none()) {
            calls.push((ContentHook::TabContent, Some(t.slug.clone())));
        }
        if let Some(slot) = ui.extra_page_content.as_ref().filter(|c| c.content.is_none()) {
            calls.push((ContentHook::PageContent, slot.slug.clone()));
        }
        calls.push((ContentHook::PageStyles, None));
        calls.push((ContentHook::PageScripts, None));
        let allowed = self.runtime().limits().content_deadline;
        let deadline = TokioInstant::now() + allowed;
        for (hook, slot) in calls {
            let key = route(hook, slot.as_deref());
            if p.routes.lock().unwrap().backing_off(&key, Instant::now()).is_some() {
                continue;
            }
            let request = slot.as_deref().map(|s| content_request(s, user));
            let call = p.call(Content(hook, request));
            let (result, emitted) = match tokio::time::timeout_at(deadline, call).await {
                Ok(done) => done,
                Err(_) => (Err(CallError::Timeout(allowed)), Vec::new()),
            };
            self.account_unstruck(p, hook.export(), &key, &result);
            self.dispatch_emitted_from(p.slug(), emitted).await;
            let timed_out = matches!(result, Err(CallError::Timeout(_)));
            if let Ok(Some(text)) = result {
                match hook {
                    ContentHook::TabContent => {
                        out.tabs.insert(slot.unwrap_or_default(), text);
                    }
                    ContentHook::PageContent => out.page = Some(text),
                    ContentHook::PageStyles => out.styles = Some(text),
                    ContentHook::PageScripts => out.scripts = Some(text),
                }
            }
            if timed_out || TokioInstant::now() >= deadline {
                // The plugin's time for this page is up: the rest is left out.
                break;
            }
        }
        out
    }
}
