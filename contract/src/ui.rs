//! UI contributions: what a plugin adds to Owncast's pages, validated the
//! way upstream's `manifest.go` validates it, and merged the way upstream's
//! Owncast merges it into `/api/config`.
//!
//! - `actions`: buttons under the stream. `title` and exactly one of `url` or
//!   `html`; a URL or icon starting with `/` (not `/plugins/`) is rewritten
//!   into `/plugins/<slug>/`; one pointing into the plugin's own space needs
//!   `http.serve`; one into another plugin's space is refused. HTML is
//!   sanitized ([`sanitize_page_html`]). Plugins add more at run time
//!   (`ui.add-actions`, upstream `owncast_add_actions`); those are kept in
//!   the plugin's own storage under [`RUNTIME_ACTIONS_KEY`], as upstream
//!   keeps them, and checked again whenever they are read.
//! - `styles` (`.css`), `scripts` (`.js`), `extraPageContent` (`.html`, or a
//!   `{slug, content?}` object) and `tabs` (`{title, slug?, content?}`) name
//!   files of the plugin: a bare or `/`-rooted path is rewritten into
//!   `/plugins/<slug>/`, another plugin's path or an absolute URL is refused.
//!   The host reads them from the plugin's `assets/` (else `public/`) folder
//!   and inlines them ([`page_contributions`]).
//! - A tab or `extraPageContent` slot without `content` is rendered by the
//!   plugin (`on_tab_content`/`on_page_content` with a [`ContentRequest`]);
//!   a plugin holding `ui.modify` may add CSS and JavaScript by exporting
//!   `on_page_styles`/`on_page_scripts` ([`ContentHook`], [`DynamicContent`]).

use crate::bundle::PluginAssets;
use crate::manifest::is_upstream_slug;
use crate::types::ActionButton;
use crate::types::ContentRequest;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The key in a plugin's storage namespace that holds the buttons it added at
/// run time (upstream's `RuntimeActionsConfigKey`).
pub const RUNTIME_ACTIONS_KEY: &str = "owncast.actions";
/// Most buttons a plugin may add at run time.
pub const MAX_RUNTIME_ACTIONS: usize = 20;
/// Largest contributed file (CSS, JS or HTML) the host inlines.
pub const MAX_CONTRIBUTION_BYTES: u64 = 1 << 20;

/// `extraPageContent`: a slot of the viewer page's extra-content block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageContent {
    /// Names the slot (upstream passes it to `on_page_content`).
    pub slug: Option<String>,
    /// `/plugins/<slug>/<file>.html`, rewritten.
    pub content: Option<String>,
}

/// One `tabs` entry: a tab next to the chat.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tab {
    pub title: String,
    pub slug: String,
    /// `/plugins/<slug>/<file>.html`, rewritten.
    pub content: Option<String>,
}

/// The page-content exports a plugin may have, each optional; the host calls
/// them when it builds the page contributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentHook {
    /// A tab without `content`: `on_tab_content` with `{slug, user?}`, HTML back.
    TabContent,
    /// The `extraPageContent` slot without `content`: `on_page_content`, HTML back.
    PageContent,
    /// `on_page_styles`, no input: CSS appended after the plugin's `styles` files.
    PageStyles,
    /// `on_page_scripts`, no input: JavaScript appended after its `scripts` files.
    PageScripts,
}

impl ContentHook {
    pub const ALL: [ContentHook; 4] =
        [ContentHook::TabContent, ContentHook::PageContent, ContentHook::PageStyles, ContentHook::PageScripts];

    /// The legacy (Extism) export name, upstream's.
    pub fn export(self) -> &'static str {
        match self {
            ContentHook::TabContent => "on_tab_content",
            ContentHook::PageContent => "on_page_content",
            ContentHook::PageStyles => "on_page_styles",
            ContentHook::PageScripts => "on_page_scripts",
        }
    }

    /// The component export name (the WIT name of the export).
    pub fn wit_export(self) -> &'static str {
        match self {
            ContentHook::TabContent => "on-tab-content",
            ContentHook::PageContent => "on-page-content",
            ContentHook::PageStyles => "on-page-styles",
            ContentHook::PageScripts => "on-page-scripts",
        }
    }

    /// Whether the export takes a [`ContentRequest`] (tab and page content).
    pub fn takes_request(self) -> bool {
        matches!(self, ContentHook::TabContent | ContentHook::PageContent)
    }
}

/// What one plugin's content exports returned for one page: HTML per
/// dynamic tab (by tab slug), the page slot's HTML, extra CSS and JavaScript.
/// What failed or timed out is absent (the page goes without it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DynamicContent {
    pub tabs: BTreeMap<String, String>,
    pub page: Option<String>,
    pub styles: Option<String>,
    pub scripts: Option<String>,
}

/// The request a tab or page-slot export receives.
pub fn content_request(slug: &str, user: Option<&crate::types::ChatUser>) -> ContentRequest {
    ContentRequest { slug: slug.to_string(), user: user.cloned() }
}

/// A plugin's validated UI contributions (paths already rewritten).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiContributions {
    pub actions: Vec<ActionButton>,
    pub styles: Vec<String>,
    pub scripts: Vec<String>,
    pub extra_page_content: Option<PageContent>,
    pub tabs: Vec<Tab>,
}

impl UiContributions {
    pub fn is_empty(&self) -> bool {
        *self == UiContributions::default()
    }
}

/// A refusal: the field (relative to the list it came from) and why.
pub type Refusal = (String, String);

/// Sanitizes plugin HTML that Owncast puts into its own pages (action
/// buttons, `extraPageContent`, tabs). The allowlist is ammonia's (formatting,
/// links, images, lists, tables) plus `class`, `id`, `style`, `title` and
/// `data-*` attributes; scripts, event handlers, `<style>`, `<iframe>`, forms
/// and `javascript:` URLs never survive.
pub fn sanitize_page_html(html: &str) -> String {
    ammonia::Builder::default()
        .add_generic_attributes(["class", "id", "style", "title"])
        .add_generic_attribute_prefixes(["data-"])
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

/// Upstream's `slugify`: ASCII letters (lowercased) and digits pass, every
/// other run of characters becomes one `-`, trailing `-` dropped; the result
/// must match the slug pattern (start with a letter).
pub fn slugify(input: &str) -> Result<String, String> {
    let mut out = String::new();
    for c in input.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        return Err("has no letters or digits to make a slug from".into());
    }
    if !is_upstream_slug(&out) {
        return Err(format!("gives \"{out}\", which does not start with a letter or is over 64 characters"));
    }
    Ok(out)
}

fn has_scheme(u: &str) -> bool {
    // `scheme:` before any `/`, `?` or `#`.
    match u.find(':') {
        Some(i) => {
            !u[..i].contains(['/', '?', '#']) && u[..i].chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// Rewrites a button's `url` or `icon` as upstream does and refuses what
/// would leave the plugin's bounds. Beyond upstream, only `http(s)` URLs and
/// site paths are accepted (no `javascript:` or `data:`, no `//host`).
fn button_link(slug: &str, http_serve: bool, link: &str) -> Result<String, String> {
    let prefix = format!("/plugins/{slug}/");
    let lower = link.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(link.to_string());
    }
    if link.starts_with("//") || link.contains('\\') || has_scheme(link) {
        return Err(format!("\"{link}\" must be an http(s) URL or a path on this site"));
    }
    let link = if link.starts_with('/') && !link.starts_with("/plugins/") {
        format!("{prefix}{}", &link[1..])
    } else {
        link.to_string()
    };
    if link.starts_with("/plugins/") && !link.starts_with(&prefix) {
        return Err(format!("points at another plugin's namespace: {link}"));
    }
    if link.starts_with(&prefix) && !http_serve {
        return Err(format!("targets this plugin ({link}) but permission http.serve is not declared"));
    }
    Ok(link)
}

/// Validates and normalizes action buttons (manifest `actions` and run-time
/// additions alike): the field of a refusal is `[i].<name>`.
pub fn validate_actions(
    slug: &str,
    http_serve: bool,
    actions: Vec<ActionButton>,
) -> Result<Vec<ActionButton>, Refusal> {
    let mut out = Vec::with_capacity(actions.len());
    for (i, mut a) in actions.into_iter().enumerate() {
        let at = |f: &str| format!("[{i}]{f}");
        if a.title.trim().is_empty() {
            return Err((at(".title"), "is required".into()));
        }
        let html = a.html.take().filter(|h| !h.is_empty());
        let url = a.url.take().filter(|u| !u.is_empty());
        match (url, html) {
            (Some(_), Some(_)) | (None, None) => return Err((at(""), "exactly one of url or html is required".into())),
            (Some(u), None) => a.url = Some(button_link(slug, http_serve, &u).map_err(|m| (at(".url"), m))?),
            (None, Some(h)) => a.html = Some(sanitize_page_html(&h)),
        }
        if let Some(icon) = a.icon.take().filter(|i| !i.is_empty()) {
            a.icon = Some(button_link(slug, http_serve, &icon).map_err(|m| (at(".icon"), m))?);
        }
        out.push(a);
    }
    Ok(out)
}

/// A button as upstream's JSON writes it (empty fields left out), with the
/// contributing plugin's slug as `plugin`.
pub fn action_json(slug: &str, a: &ActionButton) -> Value {
    let mut o = Map::new();
    o.insert("title".into(), a.title.clone().into());
    if let Some(url) = a.url.as_ref().filter(|u| !u.is_empty()) {
        o.insert("url".into(), url.clone().into());
    }
    let opt = [("html", &a.html), ("icon", &a.icon), ("color", &a.color), ("description", &a.description)];
    for (k, v) in opt {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            o.insert(k.into(), v.clone().into());
        }
    }
    if a.open_externally == Some(true) {
        o.insert("openExternally".into(), true.into());
    }
    o.insert("plugin".into(), slug.into());
    Value::Object(o)
}

/// Upstream's `rewritePluginAssetPath`: `file.css` and `/file.css` become
/// `/plugins/<slug>/file.css`; another plugin's path, an absolute URL or a
/// wrong extension is refused.
pub fn asset_path(slug: &str, raw: &str, ext: &str) -> Result<String, String> {
    if raw.trim().is_empty() {
        return Err("entry is empty".into());
    }
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || raw.starts_with("//") || has_scheme(raw) {
        return Err(format!(
            "cannot be an absolute URL (\"{raw}\"); bundle the file under assets/ and name it by path"
        ));
    }
    let prefix = format!("/plugins/{slug}/");
    let path =
        if raw.starts_with("/plugins/") { raw.to_string() } else { format!("{prefix}{}", raw.trim_start_matches('/')) };
    if !path.starts_with(&prefix) {
        return Err(format!("points at another plugin's namespace: {path}"));
    }
    if !lower.ends_with(ext) {
        return Err(format!("must end in {ext} (got \"{raw}\")"));
    }
    let rel = &path[prefix.len()..];
    if rel.is_empty() || rel.split('/').any(|s| s.is_empty() || s == "." || s == "..") || rel.contains(['\\', '\0']) {
        return Err(format!("\"{raw}\" is not a plain path inside the plugin"));
    }
    Ok(path)
}

/// Reads the manifest's UI fields from the manifest object. `warn` collects
/// what this host accepts but does not do.
pub(crate) fn parse(
    obj: &Map<String, Value>,
    slug: &str,
    http_serve: bool,
    _warn: &mut dyn FnMut(&str, String),
) -> Result<UiContributions, Refusal> {
    let mut ui = UiContributions::default();
    if let Some(v) = present(obj, "actions") {
        let list: Vec<ActionButton> = serde_json::from_value(v.clone())
            .map_err(|e| ("actions".to_string(), format!("must be a list of buttons: {e}")))?;
        ui.actions = validate_actions(slug, http_serve, list).map_err(|(f, m)| (format!("actions{f}"), m))?;
    }
    for (field, ext) in [("styles", ".css"), ("scripts", ".js")] {
        let Some(v) = present(obj, field) else { continue };
        let items = v.as_array().ok_or_else(|| (field.to_string(), "must be a list of paths".to_string()))?;
        let mut paths = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let f = format!("{field}[{i}]");
            let raw = item.as_str().ok_or_else(|| (f.clone(), "must be a string".to_string()))?;
            paths.push(asset_path(slug, raw, ext).map_err(|m| (f, m))?);
        }
        if field == "styles" {
            ui.styles = paths
        } else {
            ui.scripts = paths
        }
    }
    if let Some(v) = present(obj, "extraPageContent") {
        let (slot, content) = match v {
            Value::String(s) => (None, Some(s.clone())),
            Value::Object(o) => (opt_str(o, "extraPageContent", "slug")?, opt_str(o, "extraPageContent", "content")?),
            _ => return Err(("extraPageContent".into(), "must be a path or an object {slug, content?}".into())),
        };
        let slot = slot.filter(|s| !s.trim().is_empty());
        if let Some(s) = &slot {
            check_slot_slug("extraPageContent.slug", s)?;
        }
        let content = match content.filter(|c| !c.is_empty()) {
            Some(c) => Some(asset_path(slug, &c, ".html").map_err(|m| ("extraPageContent.content".to_string(), m))?),
            None => {
                if slot.is_none() {
                    return Err(("extraPageContent.slug".into(), "is required when there is no content".into()));
                }
                // Rendered by the plugin's `on_page_content`.
                None
            }
        };
        ui.extra_page_content = Some(PageContent { slug: slot, content });
    }
    if let Some(v) = present(obj, "tabs") {
        let items = v.as_array().ok_or_else(|| ("tabs".to_string(), "must be a list of tabs".to_string()))?;
        for (i, item) in items.iter().enumerate() {
            let at = |f: &str| format!("tabs[{i}]{f}");
            let o =
                item.as_object().ok_or_else(|| (at(""), "must be an object {title, slug?, content?}".to_string()))?;
            let title = opt_str(o, &at(""), "title")?.unwrap_or_default();
            if title.trim().is_empty() {
                return Err((at(".title"), "is required".into()));
            }
            if ui.tabs.iter().any(|t| t.title == title) {
                return Err((
                    at(".title"),
                    format!("\"{title}\" is a duplicate; tab titles must be unique within a plugin"),
                ));
            }
            let content = opt_str(o, &at(""), "content")?.filter(|c| !c.is_empty());
            let tab_slug = match opt_str(o, &at(""), "slug")?.filter(|s| !s.trim().is_empty()) {
                Some(s) => {
                    check_slot_slug(&at(".slug"), &s)?;
                    s
                }
                None if content.is_none() => return Err((at(".slug"), "is required".into())),
                None => slugify(&title).map_err(|m| (at(".slug"), format!("is required: the title {m}")))?,
            };
            if ui.tabs.iter().any(|t| t.slug == tab_slug) {
                return Err((
                    at(".slug"),
                    format!("\"{tab_slug}\" is a duplicate; tab slugs must be unique within a plugin"),
                ));
            }
            let content = match content {
                Some(c) => Some(asset_path(slug, &c, ".html").map_err(|m| (at(".content"), m))?),
                // Rendered by the plugin's `on_tab_content`.
                None => None,
            };
            ui.tabs.push(Tab { title, slug: tab_slug, content });
        }
    }
    Ok(ui)
}

fn present<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    obj.get(field).filter(|v| !v.is_null())
}

fn opt_str(o: &Map<String, Value>, at: &str, field: &str) -> Result<Option<String>, Refusal> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err((format!("{at}.{field}"), "must be a string".into())),
    }
}

fn check_slot_slug(field: &str, s: &str) -> Result<(), Refusal> {
    if is_upstream_slug(s) {
        Ok(())
    } else {
        Err((
            field.to_string(),
            format!("\"{s}\" must be lowercase letters, digits and `-`, starting with a letter (max 64)"),
        ))
    }
}

/// One plugin's part of the page, for [`page_contributions`].
pub struct PluginPage<'a> {
    pub slug: &'a str,
    pub ui: &'a UiContributions,
    pub assets: &'a PluginAssets,
    /// Buttons the plugin added at run time (already checked).
    pub runtime_actions: Vec<ActionButton>,
    /// What the plugin's content exports returned for this page.
    pub dynamic: DynamicContent,
}

/// The file a contribution path names: in the plugin's `assets/`, else its
/// `public/`, confined to that folder (symlinks must stay inside).
fn contribution_file(slug: &str, assets: &PluginAssets, path: &str) -> Option<PathBuf> {
    let rel = path.strip_prefix(&format!("/plugins/{slug}/"))?;
    [&assets.assets_dir, &assets.public_dir].into_iter().flatten().find_map(|dir| confined(dir, rel))
}

fn confined(dir: &Path, rel: &str) -> Option<PathBuf> {
    let root = dir.canonicalize().ok()?;
    let real = dir.join(rel).canonicalize().ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

fn read_contribution(slug: &str, assets: &PluginAssets, path: &str) -> Option<String> {
    let Some(file) = contribution_file(slug, assets, path) else {
        tracing::warn!(plugin = %slug, %path, "UI contribution skipped: no such file in assets/ or public/");
        return None;
    };
    let len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(u64::MAX);
    if len > MAX_CONTRIBUTION_BYTES {
        tracing::warn!(plugin = %slug, %path, len, "UI contribution skipped: over {MAX_CONTRIBUTION_BYTES} bytes");
        return None;
    }
    match std::fs::read(&file) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            tracing::warn!(plugin = %slug, %path, "UI contribution skipped: {e}");
            None
        }
    }
}

fn append(buf: &mut String, header: String, text: &str) {
    buf.push_str(&header);
    buf.push_str(text);
    if !text.ends_with('\n') {
        buf.push('\n');
    }
}

/// A file name or export as it is shown in the comment before a
/// contribution: only characters that cannot end a comment or a string
/// (letters, digits, `.`, `_`, `/`, `-`), anything else as `_`.
fn label(source: &str) -> String {
    source.chars().map(|c| if c.is_ascii_alphanumeric() || "._/-".contains(c) { c } else { '_' }).collect()
}

/// CSS that cannot end the `<style>` element it is put in.
fn contained_css(css: &str) -> String {
    css.replace("</style", "<\\/style").replace("</STYLE", "<\\/STYLE")
}

/// One plugin's script in the shared bundle, after a comment naming it, in
/// a `try`/`catch` (as upstream) so that its failure at run time does not
/// stop the scripts after it.
fn guarded_script(buf: &mut String, slug: &str, source: &str, js: &str) {
    let source = label(source);
    buf.push_str(&format!("// plugin: {slug} — {source}\ntry {{\n{js}"));
    if !js.ends_with('\n') {
        buf.push('\n');
    }
    buf.push_str(&format!("}} catch (e) {{ console.error(\"plugin {slug} ({source}) failed:\", e); }}\n"));
}

/// Every plugin's contributions merged into the fields of Owncast's
/// `/api/config` that upstream fills from them: `externalActions` (to follow
/// the admin's own), `pluginStyles`, `extraPageContent` (to go before the
/// admin's), `pluginTabs`, and `customJavascript` (what upstream appends to
/// `/customjavascript`). Each contribution is preceded by a comment naming
/// its plugin and file (or export), as upstream does; what a plugin's
/// content exports returned ([`DynamicContent`]) follows its files. HTML is
/// sanitized; a `</style` in CSS is broken up so the styles cannot end their
/// `<style>` element; each script runs in its own `try`/`catch`.
pub fn page_contributions(plugins: &[PluginPage<'_>]) -> Value {
    let mut actions = Vec::new();
    let (mut styles, mut scripts, mut page) = (String::new(), String::new(), String::new());
    let mut tabs = Vec::new();
    for p in plugins {
        let rel = |path: &str| path.strip_prefix(&format!("/plugins/{}/", p.slug)).unwrap_or(path).to_string();
        for a in p.ui.actions.iter().chain(&p.runtime_actions) {
            actions.push(action_json(p.slug, a));
        }
        for path in &p.ui.styles {
            if let Some(css) = read_contribution(p.slug, p.assets, path) {
                append(
                    &mut styles,
                    format!("/* plugin: {} — {} */\n", p.slug, label(&rel(path))),
                    &contained_css(&css),
                );
            }
        }
        if let Some(css) = p.dynamic.styles.as_deref().filter(|c| !c.is_empty()) {
            let export = ContentHook::PageStyles.export();
            append(&mut styles, format!("/* plugin: {} — {export} */\n", p.slug), &contained_css(css));
        }
        for path in &p.ui.scripts {
            if let Some(js) = read_contribution(p.slug, p.assets, path) {
                guarded_script(&mut scripts, p.slug, &rel(path), &js);
            }
        }
        if let Some(js) = p.dynamic.scripts.as_deref().filter(|j| !j.is_empty()) {
            guarded_script(&mut scripts, p.slug, ContentHook::PageScripts.export(), js);
        }
        if let Some(slot) = &p.ui.extra_page_content {
            let html = match &slot.content {
                Some(path) => read_contribution(p.slug, p.assets, path).map(|h| (label(&rel(path)), h)),
                None => p.dynamic.page.clone().map(|h| (ContentHook::PageContent.export().to_string(), h)),
            };
            if let Some((source, html)) = html {
                append(&mut page, format!("<!-- plugin: {} — {source} -->\n", p.slug), &sanitize_page_html(&html));
            }
        }
        for t in &p.ui.tabs {
            let html = match &t.content {
                Some(path) => read_contribution(p.slug, p.assets, path),
                None => p.dynamic.tabs.get(&t.slug).cloned(),
            };
            if let Some(html) = html {
                tabs.push(json!({
                    "slug": format!("{}/{}", p.slug, t.slug),
                    "pluginSlug": p.slug,
                    "title": t.title,
                    "html": sanitize_page_html(&html),
                }));
            }
        }
    }
    json!({
        "externalActions": actions,
        "pluginStyles": styles,
        "extraPageContent": page,
        "pluginTabs": tabs,
        "customJavascript": scripts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn button(url: &str, html: Option<&str>) -> ActionButton {
        let url = (!url.is_empty()).then(|| url.to_string());
        ActionButton { title: "T".into(), url, html: html.map(str::to_string), ..Default::default() }
    }

    #[test]
    fn slugify_as_upstream() {
        assert_eq!(slugify("Awesome Echo Bot").unwrap(), "awesome-echo-bot");
        assert_eq!(slugify("  Hello,  World!! ").unwrap(), "hello-world");
        assert_eq!(slugify("Café Helper").unwrap(), "caf-helper");
        assert!(slugify("123 Plugin").is_err());
        assert!(slugify("!!!").is_err());
    }

    #[test]
    fn button_urls_are_rewritten_and_bounded() {
        let ok = |u: &str, serve: bool| {
            validate_actions("me", serve, vec![button(u, None)]).map(|v| v[0].url.clone().unwrap_or_default())
        };
        assert_eq!(ok("/page", true).unwrap(), "/plugins/me/page");
        assert_eq!(ok("/plugins/me/x", true).unwrap(), "/plugins/me/x");
        assert_eq!(ok("https://example.com/a", false).unwrap(), "https://example.com/a");
        assert!(ok("/page", false).unwrap_err().1.contains("http.serve"));
        assert!(ok("/plugins/other/x", true).unwrap_err().1.contains("another plugin's namespace"));
        for bad in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "//evil.example/x"] {
            assert!(ok(bad, true).is_err(), "{bad}");
        }
        let e = validate_actions("me", true, vec![button("", None)]).unwrap_err();
        assert_eq!(e, ("[0]".to_string(), "exactly one of url or html is required".to_string()));
        assert!(validate_actions("me", true, vec![button("/x", Some("<b>x</b>"))]).is_err());
        let mut icon = button("https://x.example", None);
        icon.icon = Some("/icon.png".into());
        assert_eq!(
            validate_actions("me", true, vec![icon.clone()]).unwrap()[0].icon.as_deref(),
            Some("/plugins/me/icon.png")
        );
        icon.icon = Some("/plugins/you/icon.png".into());
        assert_eq!(validate_actions("me", true, vec![icon]).unwrap_err().0, "[0].icon");
    }

    #[test]
    fn html_only_buttons_are_sanitized() {
        let evil = r#"<p onclick="steal()">Tip <a href="javascript:alert(1)">me</a><img src=x onerror=alert(1)><script>alert(1)</script><iframe src="/admin"></iframe><style>body{}</style><b class="k" data-x="1">ok</b></p>"#;
        let out = validate_actions("me", false, vec![button("", Some(evil))]).unwrap();
        let html = out[0].html.as_deref().unwrap();
        for gone in ["script", "onclick", "onerror", "javascript", "iframe", "<style", "alert"] {
            assert!(!html.to_ascii_lowercase().contains(gone), "{gone} survived: {html}");
        }
        assert!(html.contains(r#"<b class="k" data-x="1">ok</b>"#), "{html}");
        assert!(out[0].url.is_none());
    }

    #[test]
    fn contribution_labels_cannot_end_their_comment_or_string() {
        assert_eq!(label("x*/y-->.css"), "x_/y--_.css");
        let mut b = String::new();
        guarded_script(&mut b, "me", "a\"); alert(1); //\n.js", "x()");
        assert_eq!(b.lines().count(), 4, "{b}");
        assert!(b.ends_with("console.error(\"plugin me (a____alert_1___//_.js) failed:\", e); }\n"), "{b}");
    }

    #[test]
    fn asset_paths_as_upstream() {
        assert_eq!(asset_path("me", "theme.css", ".css").unwrap(), "/plugins/me/theme.css");
        assert_eq!(asset_path("me", "/css/theme.css", ".css").unwrap(), "/plugins/me/css/theme.css");
        assert_eq!(asset_path("me", "/plugins/me/theme.css", ".css").unwrap(), "/plugins/me/theme.css");
        assert!(asset_path("me", "/plugins/you/theme.css", ".css").unwrap_err().contains("another plugin"));
        assert!(asset_path("me", "https://cdn.example/x.css", ".css").unwrap_err().contains("absolute URL"));
        assert!(asset_path("me", "theme.txt", ".css").unwrap_err().contains("must end in .css"));
        assert!(asset_path("me", "../x.css", ".css").is_err());
        assert!(asset_path("me", "", ".css").is_err());
    }
}
