//! Plugin settings (`manifest.config`) as the admin sets them: typed,
//! capped, stored in the KV store. The `config` capability reads them.

use crate::kv::{KvError, KvStore};
use crate::manifest::Manifest;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("plugin {slug}: config key `{key}` is not declared in the manifest")]
    UnknownKey { slug: String, key: String },
    #[error("plugin {slug}: config key `{key}` must be a {expected}, got {value}")]
    WrongType { slug: String, key: String, expected: String, value: Value },
    #[error("plugin {slug}: config key `{key}` is {size} bytes as JSON; the limit is {MAX_CONFIG_VALUE_BYTES}")]
    ValueTooLarge { slug: String, key: String, size: usize },
    #[error("plugin {slug}: its settings would take {size} bytes as JSON; the limit is {MAX_CONFIG_TOTAL_BYTES}")]
    TotalTooLarge { slug: String, size: usize },
    #[error(transparent)]
    Store(#[from] KvError),
}

/// Largest value of one setting (as JSON).
pub const MAX_CONFIG_VALUE_BYTES: usize = 16 * 1024;
/// Largest size of all of a plugin's settings together (as JSON).
pub const MAX_CONFIG_TOTAL_BYTES: usize = 64 * 1024;

/// Admin-set plugin settings.
pub struct ConfigValues {
    store: Arc<dyn KvStore>,
}

impl ConfigValues {
    pub fn new(store: Arc<dyn KvStore>) -> Self {
        ConfigValues { store }
    }

    fn key(slug: &str, key: &str) -> String {
        format!("plugins.config.{slug}.{key}")
    }

    /// The value of `key`: the admin's, else the manifest default, else null.
    /// `None` when the manifest does not declare `key`.
    pub fn get(&self, manifest: &Manifest, key: &str) -> Result<Option<Value>, ConfigError> {
        let Some(field) = manifest.config.get(key) else { return Ok(None) };
        if let Some(raw) = self.store.get(&Self::key(&manifest.slug, key))? {
            if let Ok(v) = serde_json::from_str::<Value>(&raw) {
                if field.accepts(&v) {
                    return Ok(Some(v));
                }
            }
        }
        Ok(Some(field.default.clone().unwrap_or(Value::Null)))
    }

    /// Every declared setting with its current value.
    pub fn all(&self, manifest: &Manifest) -> Result<BTreeMap<String, Value>, ConfigError> {
        let mut out = BTreeMap::new();
        for key in manifest.config.keys() {
            out.insert(key.clone(), self.get(manifest, key)?.unwrap_or(Value::Null));
        }
        Ok(out)
    }

    /// Validates against the manifest's schema and stores all values at once.
    pub fn set(&self, manifest: &Manifest, values: &BTreeMap<String, Value>) -> Result<(), ConfigError> {
        let mut pairs = Vec::new();
        for (key, value) in values {
            let field = manifest
                .config
                .get(key)
                .ok_or_else(|| ConfigError::UnknownKey { slug: manifest.slug.clone(), key: key.clone() })?;
            if !field.accepts(value) {
                return Err(ConfigError::WrongType {
                    slug: manifest.slug.clone(),
                    key: key.clone(),
                    expected: format!("{:?}", field.kind).to_lowercase(),
                    value: value.clone(),
                });
            }
            let text = value.to_string();
            if text.len() > MAX_CONFIG_VALUE_BYTES {
                return Err(ConfigError::ValueTooLarge {
                    slug: manifest.slug.clone(),
                    key: key.clone(),
                    size: text.len(),
                });
            }
            pairs.push((Self::key(&manifest.slug, key), text));
        }
        // The total counts the settings not being set at their current values.
        let mut merged = self.all(manifest)?;
        for (key, value) in values {
            merged.insert(key.clone(), value.clone());
        }
        let size: usize = merged.iter().map(|(k, v)| k.len() + v.to_string().len()).sum();
        if size > MAX_CONFIG_TOTAL_BYTES {
            return Err(ConfigError::TotalTooLarge { slug: manifest.slug.clone(), size });
        }
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.store.set_many(&refs)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemoryStore;
    use serde_json::json;

    #[test]
    fn values_are_typed_and_default() {
        let m = Manifest::parse(
            br#"{"name":"x","slug":"x","version":"1.0.0","config":{"greeting":{"type":"string","default":"hi"},"n":{"type":"integer"}}}"#,
            "m",
        )
        .unwrap();
        let c = ConfigValues::new(Arc::new(MemoryStore::default()));
        assert_eq!(c.get(&m, "greeting").unwrap(), Some(json!("hi")));
        assert_eq!(c.get(&m, "nope").unwrap(), None);
        c.set(&m, &[("n".to_string(), json!(3))].into()).unwrap();
        assert_eq!(c.get(&m, "n").unwrap(), Some(json!(3)));
        let e = c.set(&m, &[("n".to_string(), json!("three"))].into()).unwrap_err();
        assert!(e.to_string().contains("integer"), "{e}");
        let e = c.set(&m, &[("zzz".to_string(), json!(1))].into()).unwrap_err();
        assert!(e.to_string().contains("zzz"), "{e}");
    }
}
