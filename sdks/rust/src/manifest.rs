//! `plugin.manifest.json`, the plugin's identity, parsed in the guest.

use serde::Deserialize;
use std::fmt;

use crate::{FilterSubscription, NotifySubscription, Registration, Subscriptions};

/// The parts of `plugin.manifest.json` a Rust plugin needs at run time.
/// Fields this SDK does not model (`network`, `admin`, `actions`, ...) are
/// read by the host only and ignored here.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Contract version, `"1"`.
    pub api: String,
    pub name: String,
    /// Optional, as upstream: when left out, the host derives it from `name`
    /// (and `register` reports none).
    #[serde(default)]
    pub slug: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Written by hand in a Rust plugin's manifest (the JS SDK derives it).
    #[serde(default)]
    pub subscriptions: SubscriptionsManifest,
    #[serde(default)]
    pub bot: Option<BotManifest>,
    /// Default position in filter chains (lower runs first).
    #[serde(default)]
    pub filter_priority: Option<i32>,
    /// Typed settings: `{key: {type, default?, description?}}`. Read their
    /// current values with [`crate::config::get`].
    #[serde(default)]
    pub config: Option<serde_json::Value>,
}

/// `bot` in the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotManifest {
    /// The chat identity of `chat.send`.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `subscriptions` in the manifest: `{notify: [{event}], filter: [{event, priority?}]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubscriptionsManifest {
    #[serde(default)]
    pub notify: Vec<NotifyEntry>,
    #[serde(default)]
    pub filter: Vec<FilterEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NotifyEntry {
    pub event: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FilterEntry {
    pub event: String,
    #[serde(default)]
    pub priority: Option<i32>,
}

/// Why a manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// Not JSON, or a field of the wrong shape.
    Json(String),
    /// A field with a value the contract does not allow; names the field.
    Invalid { field: &'static str, message: String },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Json(e) => write!(f, "not a valid manifest: {e}"),
            ManifestError::Invalid { field, message } => write!(f, "field `{field}`: {message}"),
        }
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Parses and checks manifest JSON text.
    pub fn parse(json: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest =
            serde_json::from_str(json).map_err(|e| ManifestError::Json(e.to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), ManifestError> {
        let invalid = |field, message: String| Err(ManifestError::Invalid { field, message });
        if self.api != "1" {
            return invalid("api", format!("contract version {:?} is not supported (want \"1\")", self.api));
        }
        let slug_ok = self.slug.is_empty()
            || self
                .slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug_ok {
            return invalid("slug", format!("{:?} must be lowercase letters, digits and '-'", self.slug));
        }
        if self.name.trim().is_empty() {
            return invalid("name", "must not be empty".to_string());
        }
        if self.version.trim().is_empty() {
            return invalid("version", "must not be empty".to_string());
        }
        let events = self
            .subscriptions
            .notify
            .iter()
            .map(|n| &n.event)
            .chain(self.subscriptions.filter.iter().map(|f| &f.event));
        for event in events {
            if event.trim().is_empty() {
                return invalid("subscriptions", "an event type is empty".to_string());
            }
        }
        Ok(())
    }

    /// What `register` returns: slug, name, version, permissions and
    /// subscriptions exactly as the manifest states them. A filter
    /// subscription without its own priority is left to the host, which
    /// applies `filterPriority`.
    pub fn registration(&self) -> Registration {
        Registration {
            slug: self.slug.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            permissions: self.permissions.clone(),
            subscriptions: Subscriptions {
                notify: self
                    .subscriptions
                    .notify
                    .iter()
                    .map(|n| NotifySubscription { event: n.event.clone() })
                    .collect(),
                filter: self
                    .subscriptions
                    .filter
                    .iter()
                    .map(|f| FilterSubscription { event: f.event.clone(), priority: f.priority })
                    .collect(),
            },
            commands: None,
        }
    }

    /// The bot's chat name (`bot.displayName`), if the manifest sets one.
    pub fn bot_display_name(&self) -> Option<&str> {
        self.bot.as_ref().and_then(|b| b.display_name.as_deref())
    }

    /// Whether the manifest lists `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOW_MODE: &str = r#"{
        "api": "1", "name": "Slow Mode", "slug": "slow-mode", "version": "0.1.0",
        "permissions": ["chat.filter", "storage.kv"],
        "subscriptions": {"notify": [{"event": "stream.started"}],
                          "filter": [{"event": "chat.message.received", "priority": 3}, {"event": "x.y"}]},
        "bot": {"displayName": "Slowpoke"}, "filterPriority": 5,
        "network": {"allowedHosts": ["example.com"]}
    }"#;

    #[test]
    fn registration_is_the_manifest() {
        let m = Manifest::parse(SLOW_MODE).unwrap();
        let r = m.registration();
        assert_eq!((r.slug.as_str(), r.name.as_str(), r.version.as_str()), ("slow-mode", "Slow Mode", "0.1.0"));
        assert_eq!(r.permissions, ["chat.filter", "storage.kv"]);
        assert_eq!(r.subscriptions.notify.len(), 1);
        assert_eq!(r.subscriptions.notify[0].event, "stream.started");
        let filters: Vec<_> = r.subscriptions.filter.iter().map(|f| (f.event.as_str(), f.priority)).collect();
        assert_eq!(filters, [("chat.message.received", Some(3)), ("x.y", None)]);
        assert_eq!(m.bot_display_name(), Some("Slowpoke"));
        assert_eq!(m.filter_priority, Some(5));
        assert!(m.has_permission("storage.kv") && !m.has_permission("chat.send"));
    }

    #[test]
    fn subscriptions_and_permissions_default_to_empty() {
        let m = Manifest::parse(r#"{"api":"1","name":"A","slug":"a","version":"1.0.0"}"#).unwrap();
        let r = m.registration();
        assert!(r.permissions.is_empty() && r.subscriptions.notify.is_empty() && r.subscriptions.filter.is_empty());
        assert_eq!(m.bot_display_name(), None);
    }

    #[test]
    fn slug_is_optional_as_upstream() {
        let m = Manifest::parse(r#"{"api":"1","name":"Echo Bot","version":"2024.1"}"#).unwrap();
        assert_eq!(m.registration().slug, "", "the host derives it from the name");
    }

    #[test]
    fn errors_name_the_field() {
        let bad = |json: &str| Manifest::parse(json).unwrap_err().to_string();
        assert!(bad(r#"{"api":"2","name":"A","slug":"a","version":"1"}"#).contains("`api`"));
        assert!(bad(r#"{"api":"1","name":"A","slug":"Bad Slug","version":"1"}"#).contains("`slug`"));
        assert!(bad(r#"{"api":"1","name":" ","slug":"a","version":"1"}"#).contains("`name`"));
        assert!(bad(r#"{"api":"1","name":"A","slug":"a"}"#).contains("version"));
        assert!(bad(r#"{"api":"1","name":"A","slug":"a","version":"1","subscriptions":{"notify":[{"event":""}]}}"#)
            .contains("`subscriptions`"));
        assert!(bad("not json").contains("not a valid manifest"));
    }
}
