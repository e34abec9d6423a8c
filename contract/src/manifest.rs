//! `plugin.manifest.json`: parsing, validation and the `register()` cross-check.
//!
//! The rules are upstream's (`manifest.go` in owncast/plugin-sdk): `name` and
//! `version` (any non-empty string) are required, `slug` is derived from
//! `name` when left out, `register()` may ask for fewer permissions than the
//! manifest declares but never more, and the UI contributions are validated
//! as [`crate::ui`] describes. Checks this project adds beyond upstream
//! (semver versions, a `register()` that reports another version, host globs
//! of odd characters, `network.allowedHosts` without `network.fetch`) are
//! [`ManifestWarning`]s: the plugin loads and the CLI prints them.
//!
//! Every error names the file and the field so an author can fix it at once.

use crate::permissions::{Permission, Permissions};
use crate::types::{FilterSubscription, NotifySubscription, Registration, Subscriptions};
use crate::ui::UiContributions;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The contract version this host implements.
pub const API_VERSION: &str = "1";
/// Manifests larger than this are refused before parsing.
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;
/// Filter priority when neither the subscription nor the manifest sets one.
pub const DEFAULT_FILTER_PRIORITY: i32 = 100;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: field `{field}`: {message}")]
pub struct ManifestError {
    pub file: String,
    pub field: String,
    pub message: String,
}

/// A check this project makes beyond upstream's that the manifest fails: the
/// plugin still loads; tools show the warning to its author.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: field `{field}`: {message}")]
pub struct ManifestWarning {
    pub file: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Bot {
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AdminPage {
    pub title: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

/// The type of a `config` setting.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ConfigType {
    String,
    Number,
    Integer,
    Boolean,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConfigField {
    #[serde(rename = "type")]
    pub kind: ConfigType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ConfigField {
    /// Whether `v` is a value of this field's type.
    pub fn accepts(&self, v: &Value) -> bool {
        match self.kind {
            ConfigType::String => v.is_string(),
            ConfigType::Number => v.is_number(),
            ConfigType::Integer => v.is_i64() || v.is_u64(),
            ConfigType::Boolean => v.is_boolean(),
        }
    }
}

/// A validated manifest.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub api: String,
    pub name: String,
    pub slug: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<Bot>,
    pub permissions: Permissions,
    pub subscriptions: Subscriptions,
    /// `network.allowedHosts`.
    pub allowed_hosts: Vec<String>,
    pub admin_pages: Vec<AdminPage>,
    /// `actions`, `styles`, `scripts`, `extraPageContent`, `tabs`, validated
    /// and with their paths rewritten into `/plugins/<slug>/`.
    #[serde(skip_serializing_if = "UiContributions::is_empty")]
    pub ui: UiContributions,
    pub config: BTreeMap<String, ConfigField>,
    pub filter_priority: i32,
    /// `sandbox`: tokens added to the sandbox its pages run in, from
    /// [`EXTRA_SANDBOX_TOKENS`] only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sandbox: Vec<String>,
    /// What the manifest does that this project advises against (see [`ManifestWarning`]).
    #[serde(skip)]
    pub warnings: Vec<ManifestWarning>,
}

const UI_FIELDS: &[&str] = &["actions", "styles", "scripts", "extraPageContent", "tabs"];

/// Every top-level key of `plugin.manifest.json` this host reads, with what
/// it holds: the manifest table of `docs/WIRE_PROTOCOL.md`. Tests check that
/// [`Manifest::parse`] reads each of them and reads no other. Other keys
/// (upstream's `category`, ...) are ignored.
pub const FIELDS: &[(&str, &str)] = &[
    ("api", "The contract version: `\"1\"`, the default."),
    ("name", "Required. The plugin's name, shown to admins and viewers."),
    (
        "slug",
        "The plugin's id in URLs (`/plugins/<slug>/`) and storage: lowercase letters, digits and `-`, starting \
         with a letter, at most 64; made from `name` when left out.",
    ),
    ("version", "Required. The plugin's version (semver advised; a new version replaces the installed one)."),
    ("description", "Shown to the admin."),
    ("bot", "`{displayName}`: the chat name of the plugin's messages."),
    ("permissions", "The permissions the plugin asks for (Host interfaces and permissions); the admin approves them."),
    (
        "filterPriority",
        "The position of the plugin's filters in each chain, lower first (default 100); a filter subscription's \
         `priority` overrides it.",
    ),
    (
        "subscriptions",
        "`{notify: [{event}], filter: [{event, priority?}]}`; compared with what `register` returns (the JS and \
         Python SDKs derive it from the handlers).",
    ),
    (
        "network",
        "`{allowedHosts: [glob]}`: the hosts outbound HTTP may reach (`*` any run of characters; needs \
         `network.fetch`).",
    ),
    (
        "admin",
        "`{pages: [{title, path, icon?}]}`: the plugin's pages in the admin's Plugins section (`path` inside its \
         `/plugins/<slug>/` space).",
    ),
    (
        "actions",
        "UI (`ui.modify`): buttons under the stream, each an `ActionButton` (Types): `title` and exactly one of `url` \
         (a `/path` is the plugin's space) or `html` (sanitized).",
    ),
    ("styles", "UI (`ui.modify`): CSS files of the plugin (`assets/`, else `public/`), inlined into the viewer page."),
    ("scripts", "UI (`ui.modify`): JavaScript files of the plugin, added to the viewer page."),
    (
        "extraPageContent",
        "UI (`ui.modify`): an HTML file, or `{slug, content?}`: a slot of the page's extra content; without \
         `content` the plugin renders it (`on-page-content`).",
    ),
    (
        "tabs",
        "UI (`ui.modify`): `[{title, slug?, content?}]`: tabs next to the chat; a tab without `content` is \
         rendered by the plugin (`on-tab-content`). HTML is sanitized.",
    ),
    (
        "config",
        "`{<key>: {type, default?, description?}}`: settings an admin edits, `type` one of `string`, `number`, \
         `integer`, `boolean` (read with `config.get`).",
    ),
    ("sandbox", "Tokens added to the sandbox the plugin's pages run in, from those below the table."),
];

impl Manifest {
    /// Parses and validates manifest bytes; `file` names the source in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Manifest, ManifestError> {
        let err =
            |field: &str, message: String| ManifestError { file: file.to_string(), field: field.to_string(), message };
        let mut warnings: Vec<ManifestWarning> = Vec::new();
        let mut warn = |field: &str, message: String| {
            warnings.push(ManifestWarning { file: file.to_string(), field: field.to_string(), message })
        };
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(err("(file)", format!("{} bytes is over the {MAX_MANIFEST_BYTES}-byte limit", bytes.len())));
        }
        let root: Value = serde_json::from_slice(bytes).map_err(|e| err("(file)", format!("not valid JSON: {e}")))?;
        let obj = root.as_object().ok_or_else(|| err("(file)", "must be a JSON object".into()))?;

        let string = |field: &str, required: bool| -> Result<Option<String>, ManifestError> {
            match obj.get(field) {
                None | Some(Value::Null) if !required => Ok(None),
                None | Some(Value::Null) => Err(err(field, "is required".into())),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(err(field, format!("must be a string, found {}", kind(other)))),
            }
        };

        let api = string("api", false)?.unwrap_or_else(|| API_VERSION.to_string());
        if api != API_VERSION {
            return Err(err(
                "api",
                format!("contract version \"{api}\" is not supported (this host speaks \"{API_VERSION}\")"),
            ));
        }
        let name = string("name", true)?.unwrap();
        if name.trim().is_empty() {
            return Err(err("name", "must not be empty".into()));
        }
        let slug = match string("slug", false)?.filter(|s| !s.is_empty()) {
            Some(slug) => slug,
            None => crate::ui::slugify(&name)
                .map_err(|m| err("slug", format!("is not set and the name \"{name}\" {m}; set `slug` explicitly")))?,
        };
        validate_slug(&slug).map_err(|m| err("slug", m))?;
        let version = string("version", true)?.unwrap();
        if version.trim().is_empty() {
            return Err(err("version", "must not be empty".into()));
        }
        if let Err(e) = semver::Version::parse(&version) {
            warn(
                "version",
                format!("\"{version}\" is not semver ({e}); upstream accepts it, but versions compare best as semver"),
            );
        }
        let description = string("description", false)?;

        let bot = match obj.get("bot") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(serde_json::from_value::<Bot>(v.clone()).map_err(|e| err("bot.displayName", e.to_string()))?)
            }
        };

        let mut permissions = Vec::new();
        match obj.get("permissions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let field = format!("permissions[{i}]");
                    let s = item.as_str().ok_or_else(|| err(&field, "must be a string".into()))?;
                    let p: Permission =
                        s.parse().map_err(|e: crate::permissions::UnknownPermission| err(&field, e.to_string()))?;
                    permissions.push(p);
                }
            }
            Some(other) => return Err(err("permissions", format!("must be a list, found {}", kind(other)))),
        }
        let permissions = Permissions::new(permissions);

        let filter_priority = match obj.get("filterPriority") {
            None | Some(Value::Null) => DEFAULT_FILTER_PRIORITY,
            Some(v) => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| err("filterPriority", format!("must be an integer, found {v}")))?,
        };

        let subscriptions = match obj.get("subscriptions") {
            None | Some(Value::Null) => Subscriptions::default(),
            Some(v) => parse_subscriptions(v).map_err(|(f, m)| err(&format!("subscriptions.{f}"), m))?,
        };

        let mut allowed_hosts = Vec::new();
        if let Some(network) = obj.get("network").filter(|v| !v.is_null()) {
            let hosts = network.get("allowedHosts").unwrap_or(&Value::Null);
            match hosts {
                Value::Null => {}
                Value::Array(items) => {
                    for (i, h) in items.iter().enumerate() {
                        let field = format!("network.allowedHosts[{i}]");
                        let h = h.as_str().ok_or_else(|| err(&field, "must be a string".into()))?;
                        if h.trim().is_empty() {
                            return Err(err(&field, "is empty".into()));
                        }
                        if let Err(m) = validate_host_glob(h) {
                            warn(&field, format!("{m}; it matches no host"));
                        }
                        allowed_hosts.push(h.to_ascii_lowercase());
                    }
                }
                other => return Err(err("network.allowedHosts", format!("must be a list, found {}", kind(other)))),
            }
        }
        if permissions.contains(Permission::NetworkFetch) && allowed_hosts.is_empty() {
            return Err(err(
                "network.allowedHosts",
                "permission network.fetch needs a non-empty list of host globs (write \"*\" to allow every host)"
                    .into(),
            ));
        }
        if !allowed_hosts.is_empty() && !permissions.contains(Permission::NetworkFetch) {
            warn(
                "network.allowedHosts",
                "is set but permission network.fetch is not declared, so it has no effect".into(),
            );
        }

        let admin_pages = match obj.get("admin").and_then(|a| a.get("pages")) {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => {
                let pages: Vec<AdminPage> =
                    serde_json::from_value(v.clone()).map_err(|e| err("admin.pages", e.to_string()))?;
                for (i, p) in pages.iter().enumerate() {
                    if p.title.is_empty() {
                        return Err(err(&format!("admin.pages[{i}].title"), "is required".into()));
                    }
                    if p.path.is_empty() {
                        return Err(err(&format!("admin.pages[{i}].path"), "is required".into()));
                    }
                    if p.path.contains("..") {
                        return Err(err(
                            &format!("admin.pages[{i}].path"),
                            "must stay inside the plugin's URL space".into(),
                        ));
                    }
                }
                pages
            }
        };

        for f in UI_FIELDS {
            let given = obj.get(*f).filter(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()));
            if given.is_some() && !permissions.contains(Permission::UiModify) {
                return Err(err(f, "UI contributions need permission ui.modify".into()));
            }
        }
        let ui = crate::ui::parse(obj, &slug, permissions.contains(Permission::HttpServe), &mut warn)
            .map_err(|(f, m)| err(&f, m))?;

        let mut config = BTreeMap::new();
        if let Some(v) = obj.get("config").filter(|v| !v.is_null()) {
            let map = v.as_object().ok_or_else(|| err("config", "must be an object of settings".into()))?;
            for (key, spec) in map {
                let field = format!("config.{key}");
                if key.starts_with("__") {
                    return Err(err(&field, "setting names may not start with `__` (reserved for the host)".into()));
                }
                let f: ConfigField = serde_json::from_value(spec.clone()).map_err(|e| err(&field, e.to_string()))?;
                if let Some(d) = &f.default {
                    if !f.accepts(d) {
                        return Err(err(
                            &format!("{field}.default"),
                            format!("{d} is not a {:?}", f.kind).to_lowercase(),
                        ));
                    }
                }
                config.insert(key.clone(), f);
            }
        }

        let mut sandbox = Vec::new();
        match obj.get("sandbox") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, t) in items.iter().enumerate() {
                    let field = format!("sandbox[{i}]");
                    let t = t.as_str().ok_or_else(|| err(&field, "must be a string".into()))?;
                    check_extra_token(t).map_err(|m| err(&field, m))?;
                    sandbox.push(t.to_string());
                }
            }
            Some(other) => return Err(err("sandbox", format!("must be a list, found {}", kind(other)))),
        }

        let manifest = Manifest {
            api,
            name,
            slug,
            version,
            description,
            bot,
            permissions,
            subscriptions,
            allowed_hosts,
            admin_pages,
            ui,
            config,
            filter_priority,
            sandbox,
            warnings,
        };
        let advice = manifest.check_subscriptions().map_err(|(f, m)| err(&f, m))?;
        let mut manifest = manifest;
        manifest.warnings.extend(advice.into_iter().map(|(field, message)| ManifestWarning {
            file: file.to_string(),
            field,
            message,
        }));
        Ok(manifest)
    }

    /// Refuses a subscription the plugin's permissions do not allow, and
    /// returns `(field, message)` warnings for those upstream loads anyway.
    fn check_subscriptions(&self) -> Result<Vec<(String, String)>, (String, String)> {
        use crate::permissions::NotifyGate;
        let mut advice = Vec::new();
        for (i, n) in self.subscriptions.notify.iter().enumerate() {
            let field = format!("subscriptions.notify[{i}]");
            match crate::permissions::for_notify(&n.event) {
                Some(NotifyGate::Refused(p)) if !self.permissions.contains(p) => {
                    return Err((field, format!("subscribing to `{}` needs permission {p}", n.event)));
                }
                Some(NotifyGate::Advised(p)) if !self.permissions.contains(p) => advice.push((
                    field,
                    format!(
                        "subscribes to `{}` without permission {p}: no viewer can open its SSE streams, so the \
                         event never comes from Owncast (add {p})",
                        n.event
                    ),
                )),
                _ => {}
            }
        }
        for (i, f) in self.subscriptions.filter.iter().enumerate() {
            if let Some(p) = crate::permissions::for_filter(&f.event).filter(|p| !self.permissions.contains(*p)) {
                return Err((
                    format!("subscriptions.filter[{i}]"),
                    format!("filtering `{}` needs permission {p}", f.event),
                ));
            }
        }
        Ok(advice)
    }

    /// The registration a plugin that reports none is taken to have: the
    /// manifest's own identity, permissions and subscriptions.
    pub fn registration(&self) -> Registration {
        Registration {
            slug: self.slug.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            permissions: self.permissions.names().into_iter().map(str::to_string).collect(),
            subscriptions: self.subscriptions.clone(),
            commands: None,
        }
    }

    /// The chat name of the plugin's bot.
    pub fn bot_name(&self) -> &str {
        self.bot.as_ref().map(|b| b.display_name.as_str()).unwrap_or(&self.name)
    }

    /// Compares what the plugin's `register()` says with the manifest, as
    /// upstream's `AgreesWith` does: the same slug (derived from the name when
    /// the plugin reports none), and no permission the manifest lacks. Returns
    /// the subscriptions to use (the plugin's own, derived from its handlers,
    /// unless it reports none) and the warnings (another version).
    pub fn check_registration(
        &self,
        reg: &Registration,
        file: &str,
    ) -> Result<(Subscriptions, Vec<ManifestWarning>), ManifestError> {
        let err =
            |field: &str, message: String| ManifestError { file: file.to_string(), field: field.to_string(), message };
        let mut warnings = Vec::new();
        let reg_slug =
            if reg.slug.is_empty() { crate::ui::slugify(&reg.name).unwrap_or_default() } else { reg.slug.clone() };
        if reg_slug != self.slug {
            return Err(err(
                "slug",
                format!("the plugin registers as \"{reg_slug}\" but the manifest says \"{}\"", self.slug),
            ));
        }
        if reg.version != self.version {
            warnings.push(ManifestWarning {
                file: file.to_string(),
                field: "version".into(),
                message: format!(
                    "the plugin registers version \"{}\" but the manifest says \"{}\" (a stale build?)",
                    reg.version, self.version
                ),
            });
        }
        let mut reg_perms = Vec::new();
        for p in &reg.permissions {
            reg_perms.push(p.parse::<Permission>().map_err(|e| err("permissions", format!("register(): {e}")))?);
        }
        let reg_perms = Permissions::new(reg_perms);
        let extra: Vec<_> = reg_perms.difference(&self.permissions).map(|p| p.name()).collect();
        if !extra.is_empty() {
            return Err(err(
                "permissions",
                format!("the plugin registers permissions the manifest does not declare: [{}]", extra.join(", ")),
            ));
        }
        let subs = if reg.subscriptions.notify.is_empty() && reg.subscriptions.filter.is_empty() {
            self.subscriptions.clone()
        } else {
            reg.subscriptions.clone()
        };
        let checked = Manifest { subscriptions: subs.clone(), ..self.clone() };
        let advice = checked.check_subscriptions().map_err(|(f, m)| err(&f, format!("register(): {m}")))?;
        // The manifest's own subscriptions were advised on at parse time.
        if subs != self.subscriptions {
            warnings.extend(advice.into_iter().map(|(field, message)| ManifestWarning {
                file: file.to_string(),
                field,
                message: format!("register(): {message}"),
            }));
        }
        Ok((subs, warnings))
    }

    /// Priority of this plugin's filter for `event` (lower runs first).
    pub fn filter_priority_for(&self, subs: &Subscriptions, event: &str) -> i32 {
        subs.filter.iter().find(|f| f.event == event).and_then(|f| f.priority).unwrap_or(self.filter_priority)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Upstream's slug pattern `^[a-z][a-z0-9-]{0,63}$`.
pub fn is_upstream_slug(slug: &str) -> bool {
    slug.len() <= 64
        && slug.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A plugin slug: 1-64 lowercase letters, digits or `-`, starting with a letter.
pub fn validate_slug(slug: &str) -> Result<(), String> {
    if is_upstream_slug(slug) {
        Ok(())
    } else {
        Err(format!("\"{slug}\" must be 1-64 lowercase letters, digits or `-`, starting with a letter"))
    }
}

fn validate_host_glob(h: &str) -> Result<(), String> {
    let ok = !h.is_empty()
        && h.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'*'))
        && !h.contains("**");
    if ok {
        Ok(())
    } else {
        Err(format!("\"{h}\" is not a hostname glob (letters, digits, `-`, `.`, `*`)"))
    }
}

fn parse_subscriptions(v: &Value) -> Result<Subscriptions, (String, String)> {
    let obj = v.as_object().ok_or(("".to_string(), "must be an object with notify and filter".to_string()))?;
    let mut subs = Subscriptions::default();
    for (key, list) in obj {
        let items = list.as_array().ok_or((key.clone(), "must be a list".to_string()))?;
        for (i, item) in items.iter().enumerate() {
            let field = format!("{key}[{i}]");
            let event = item
                .get("event")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or((field.clone(), "needs a non-empty `event`".to_string()))?
                .to_string();
            match key.as_str() {
                "notify" => subs.notify.push(NotifySubscription { event }),
                "filter" => {
                    let priority = match item.get("priority") {
                        None | Some(Value::Null) => None,
                        Some(p) => Some(
                            p.as_i64()
                                .and_then(|n| i32::try_from(n).ok())
                                .ok_or((format!("{field}.priority"), "must be an integer".to_string()))?,
                        ),
                    };
                    subs.filter.push(FilterSubscription { event, priority })
                }
                other => return Err((other.to_string(), "unknown kind (expected notify or filter)".to_string())),
            }
        }
    }
    Ok(subs)
}

/// Whether `host` matches one of the globs (`*` matches any run of characters
/// within the name; `"*"` alone matches every host).
pub fn host_allowed(globs: &[String], host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    globs.iter().any(|g| glob_match(g, &host))
}

/// `*`-only glob matching.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Sandbox tokens a manifest may add.
pub const EXTRA_SANDBOX_TOKENS: &[&str] = &["allow-pointer-lock", "allow-presentation", "allow-orientation-lock"];

/// Whether a manifest may add `token` to its pages' sandbox (the message says why not).
pub fn check_extra_token(token: &str) -> Result<(), String> {
    if EXTRA_SANDBOX_TOKENS.contains(&token) {
        return Ok(());
    }
    let why = match token {
        "allow-same-origin" => "would give the plugin's pages the admin's origin (and the admin's credentials)",
        t if t.starts_with("allow-top-navigation") => "would let the plugin's pages navigate the page that embeds them",
        "allow-popups-to-escape-sandbox" => "would let the plugin's pages open windows outside the sandbox",
        _ => "is not a sandbox token a plugin may add",
    };
    Err(format!("`{token}` {why}; allowed: {}", EXTRA_SANDBOX_TOKENS.join(", ")))
}

#[cfg(test)]
mod tests {
    /// Each documented key is read: some wrong value of it is an error or a
    /// warning naming it.
    #[test]
    fn every_documented_field_is_read() {
        let probes = [
            serde_json::json!(12345),
            serde_json::json!({"?": true}),
            serde_json::json!({"allowedHosts": 12345, "pages": 12345}),
        ];
        for (key, _) in FIELDS {
            let read = probes.iter().any(|probe| {
                let mut m = serde_json::json!({
                    "name": "Probe", "version": "1.0.0",
                    "permissions": ["ui.modify", "http.serve", "network.fetch"],
                    "network": {"allowedHosts": ["example.com"]},
                });
                m[*key] = probe.clone();
                match Manifest::parse(m.to_string().as_bytes(), "probe.json") {
                    Err(e) => e.field.starts_with(key),
                    Ok(m) => m.warnings.iter().any(|w| w.field.starts_with(key)),
                }
            });
            assert!(read, "manifest key `{key}` is documented (FIELDS) but a wrong value of it is accepted silently");
        }
    }

    /// And no other key is read: every key the parser looks up is documented.
    #[test]
    fn every_read_field_is_documented() {
        let documented: Vec<&str> = FIELDS.iter().map(|(k, _)| *k).collect();
        for f in UI_FIELDS {
            assert!(documented.contains(f), "UI field `{f}` is not in FIELDS");
        }
        for (file, text) in [("manifest.rs", include_str!("manifest.rs")), ("ui.rs", include_str!("ui.rs"))] {
            for marker in ["obj.get(\"", "string(\"", "present(obj, \""] {
                for (at, _) in text.match_indices(marker) {
                    let key = text[at + marker.len()..].split('"').next().unwrap();
                    assert!(
                        documented.contains(&key),
                        "{file} reads manifest key `{key}`, which FIELDS does not document"
                    );
                }
            }
        }
    }

    use super::*;

    fn parse(s: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(s.as_bytes(), "plugin.manifest.json")
    }

    const OK: &str = r#"{"api":"1","name":"Echo","slug":"echo-bot","version":"1.0.0","permissions":["chat.send"]}"#;

    #[test]
    fn parses_a_minimal_manifest() {
        let m = parse(OK).unwrap();
        assert_eq!(m.slug, "echo-bot");
        assert!(m.permissions.contains(Permission::ChatSend));
        assert_eq!(m.bot_name(), "Echo");
    }

    #[test]
    fn errors_name_file_and_field() {
        let cases = [
            (r#"{"name":"x","slug":"Bad_Slug","version":"1.0.0"}"#, "slug"),
            (r#"{"name":"x","slug":"1abc","version":"1.0.0"}"#, "slug"),
            (r#"{"name":"123 Plugin","version":"1.0.0"}"#, "slug"),
            (r#"{"name":"x","slug":"a","version":""}"#, "version"),
            (r#"{"name":"x","slug":"a"}"#, "version"),
            (r#"{"name":"x","slug":"a","version":"1.0.0","permissions":["chat.shout"]}"#, "permissions[0]"),
            (r#"{"name":"x","slug":"a","version":"1.0.0","permissions":["network.fetch"]}"#, "network.allowedHosts"),
            (
                r#"{"name":"x","slug":"a","version":"1.0.0","actions":[{"title":"t","url":"https://x.example"}]}"#,
                "actions",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"actions":[{"title":"t"}]}"#,
                "actions[0]",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"actions":[{"title":"t","url":"/p"}]}"#,
                "actions[0].url",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify","http.serve"],"actions":[{"title":"t","url":"/plugins/b/p"}]}"#,
                "actions[0].url",
            ),
            (r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"styles":["x.js"]}"#, "styles[0]"),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"scripts":["/plugins/b/x.js"]}"#,
                "scripts[0]",
            ),
            (r#"{"name":"x","slug":"a","version":"1","styles":["x.css"]}"#, "styles"),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"extraPageContent":{}}"#,
                "extraPageContent.slug",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"extraPageContent":"https://e.example/x.html"}"#,
                "extraPageContent.content",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"tabs":[{"title":"A"}]}"#,
                "tabs[0].slug",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"tabs":[{"title":"A","content":"a.html"},{"title":"A","content":"b.html"}]}"#,
                "tabs[1].title",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","permissions":["ui.modify"],"tabs":[{"title":"A","content":"a.html"},{"title":"A b","slug":"a","content":"b.html"}]}"#,
                "tabs[1].slug",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1","admin":{"pages":[{"title":"","path":"/admin"}]}}"#,
                "admin.pages[0].title",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1.0.0","subscriptions":{"filter":[{"event":"chat.message.received"}]}}"#,
                "subscriptions.filter[0]",
            ),
            (
                r#"{"name":"x","slug":"a","version":"1.0.0","config":{"n":{"type":"integer","default":"x"}}}"#,
                "config.n.default",
            ),
            (r#"{"api":"2","name":"x","slug":"a","version":"1.0.0"}"#, "api"),
            (r#"{"slug":"a","version":"1.0.0"}"#, "name"),
            (r#"[1]"#, "(file)"),
        ];
        for (src, field) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.field, field, "{src}: {e}");
            assert!(e.to_string().starts_with("plugin.manifest.json: field"), "{e}");
        }
    }

    #[test]
    fn notify_subscriptions_need_their_permission_like_filters() {
        let with = |perms: &str, event: &str| {
            parse(&format!(
                r#"{{"name":"x","slug":"a","version":"1.0.0","permissions":[{perms}],"subscriptions":{{"notify":[{{"event":"stream.started"}},{{"event":"{event}"}}]}}}}"#
            ))
        };
        for event in ["fediverse.follow", "fediverse.quote", "fediverse.activity", "fediverse.reply"] {
            let e = with("", event).unwrap_err();
            assert_eq!(e.field, "subscriptions.notify[1]");
            assert!(
                e.to_string().ends_with(&format!("subscribing to `{event}` needs permission fediverse.inbound")),
                "{e}"
            );
            with(r#""fediverse.inbound""#, event).unwrap();
        }
        // Upstream loads a plugin subscribing to the SSE connection events
        // without http.sse; here it loads too, with a warning naming the field.
        let m = with("", "sse.connect").unwrap();
        assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
        assert_eq!(m.warnings[0].field, "subscriptions.notify[1]");
        assert!(m.warnings[0].message.contains("`sse.connect` without permission http.sse"), "{}", m.warnings[0]);
        assert!(with(r#""http.sse""#, "sse.disconnect").unwrap().warnings.is_empty());
        with("", "tick").unwrap();
        with("", "my-plugin.custom").unwrap();
    }

    #[test]
    fn upstream_manifests_parse_with_warnings_for_this_projects_extra_checks() {
        // No slug: derived from the name as upstream does; any version string.
        let m = parse(
            r#"{"api":"1","name":"Awesome Echo Bot!","version":"2024.1","network":{"allowedHosts":["bad host"]}}"#,
        )
        .unwrap();
        assert_eq!(m.slug, "awesome-echo-bot");
        assert_eq!(m.version, "2024.1");
        let fields: Vec<&str> = m.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["version", "network.allowedHosts[0]", "network.allowedHosts"], "{:?}", m.warnings);
        assert!(
            m.warnings[0].to_string().starts_with("plugin.manifest.json: field `version`: \"2024.1\" is not semver"),
            "{}",
            m.warnings[0]
        );
        assert!(parse(OK).unwrap().warnings.is_empty());
        // An empty UI list needs no permission (upstream checks len > 0).
        assert!(parse(r#"{"name":"x","version":"1","actions":[],"styles":[]}"#).is_ok());
    }

    #[test]
    fn ui_contributions_are_validated_and_rewritten() {
        let m = parse(
            r#"{"name":"Theme","slug":"theme","version":"1.0.0","permissions":["ui.modify","http.serve"],
                "actions":[{"title":"Open","url":"/page","icon":"/i.png"},{"title":"Tip","html":"<b>hi</b><script>x()</script>"}],
                "styles":["theme.css","/css/more.css"],"scripts":["/plugins/theme/app.js"],
                "extraPageContent":"banner.html",
                "tabs":[{"title":"Fan Art","content":"tabs/art.html"},{"title":"Live","slug":"live"}]}"#,
        )
        .unwrap();
        let ui = &m.ui;
        assert_eq!(ui.actions[0].url.as_deref(), Some("/plugins/theme/page"));
        assert_eq!(ui.actions[0].icon.as_deref(), Some("/plugins/theme/i.png"));
        assert_eq!(ui.actions[1].html.as_deref(), Some("<b>hi</b>"));
        assert_eq!(ui.styles, ["/plugins/theme/theme.css", "/plugins/theme/css/more.css"]);
        assert_eq!(ui.scripts, ["/plugins/theme/app.js"]);
        assert_eq!(ui.extra_page_content.as_ref().unwrap().content.as_deref(), Some("/plugins/theme/banner.html"));
        assert_eq!(ui.tabs[0].slug, "fan-art");
        assert_eq!(ui.tabs[0].content.as_deref(), Some("/plugins/theme/tabs/art.html"));
        assert_eq!(ui.tabs[1].content, None, "rendered by the plugin's on_tab_content");
        assert!(m.warnings.is_empty(), "a dynamic tab is supported: {:?}", m.warnings);
    }

    #[test]
    fn registration_mismatches_name_the_field() {
        let m = parse(OK).unwrap();
        let mut reg = Registration {
            slug: "echo-bot".into(),
            name: "Echo".into(),
            version: "1.0.0".into(),
            permissions: vec!["chat.send".into()],
            subscriptions: Subscriptions::default(),
            commands: None,
        };
        let (_, warnings) = m.check_registration(&reg, "f").unwrap();
        assert!(warnings.is_empty());
        // Another version is a warning (upstream does not compare versions).
        reg.version = "1.0.1".into();
        let (_, warnings) = m.check_registration(&reg, "f").unwrap();
        assert_eq!(warnings[0].field, "version");
        reg.version = "1.0.0".into();
        // Fewer permissions than the manifest: fine; more: refused.
        reg.permissions.clear();
        assert!(m.check_registration(&reg, "f").is_ok());
        reg.permissions = vec!["chat.send".into(), "storage.kv".into()];
        let e = m.check_registration(&reg, "f").unwrap_err();
        assert_eq!(e.field, "permissions");
        assert!(e.message.contains("storage.kv"));
        reg.permissions.pop();
        reg.slug = "other".into();
        assert_eq!(m.check_registration(&reg, "f").unwrap_err().field, "slug");
        // No slug in register(): derived from its name.
        reg.slug = String::new();
        reg.name = "Echo Bot".into();
        assert!(m.check_registration(&reg, "f").is_ok());
        reg.name = "Other".into();
        assert_eq!(m.check_registration(&reg, "f").unwrap_err().field, "slug");
        // Handlers for the SSE connection events without http.sse: a warning,
        // the subscription kept; the fediverse ones without fediverse.inbound: refused.
        reg.slug = "echo-bot".into();
        reg.subscriptions.notify = vec![NotifySubscription { event: "sse.disconnect".into() }];
        let (subs, warnings) = m.check_registration(&reg, "f").unwrap();
        assert_eq!(subs.notify[0].event, "sse.disconnect");
        assert_eq!(warnings[0].field, "subscriptions.notify[0]");
        assert!(warnings[0]
            .message
            .starts_with("register(): subscribes to `sse.disconnect` without permission http.sse"));
        reg.subscriptions.notify = vec![NotifySubscription { event: "fediverse.follow".into() }];
        assert_eq!(m.check_registration(&reg, "f").unwrap_err().field, "subscriptions.notify[0]");
    }

    #[test]
    fn host_globs() {
        let g = vec!["*.example.com".to_string(), "api.ipify.org".to_string()];
        assert!(host_allowed(&g, "a.example.com"));
        assert!(host_allowed(&g, "API.ipify.org"));
        assert!(!host_allowed(&g, "example.com"));
        assert!(!host_allowed(&g, "evil.com"));
        assert!(host_allowed(&["*".to_string()], "anything.org"));
    }
}
