//! Plugin key-value storage.
//!
//! A [`KvStore`] holds flat string keys; the host gives each plugin a
//! [`Namespace`] (`plugins.kv.<slug>.`) so no plugin can read another's keys.
//! [`RedbStore`] is the embedded durable default, [`MemoryStore`] the one tests
//! and the scenario runner use. Owncast can plug in its own datastore.

mod memory;
mod redb_store;

pub use memory::MemoryStore;
pub use redb_store::RedbStore;

use std::sync::Arc;

/// Longest key a plugin may use, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest value a plugin may store, in bytes.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("key is {0} bytes; the limit is {MAX_KEY_BYTES}")]
    KeyTooLong(usize),
    #[error("value is {0} bytes; the limit is {MAX_VALUE_BYTES}")]
    ValueTooLarge(usize),
    #[error("storage failed: {0}")]
    Backend(String),
}

/// A durable map of string keys to string values.
pub trait KvStore: Send + Sync + 'static {
    fn get(&self, key: &str) -> Result<Option<String>, KvError>;
    /// Writes all pairs atomically: after a crash either all or none are there.
    fn set_many(&self, pairs: &[(&str, &str)]) -> Result<(), KvError>;
    fn delete(&self, key: &str) -> Result<(), KvError>;
    /// Every pair whose key starts with `prefix`, in key order.
    fn scan(&self, prefix: &str) -> Result<Vec<(String, String)>, KvError>;

    fn set(&self, key: &str, value: &str) -> Result<(), KvError> {
        self.set_many(&[(key, value)])
    }
}

/// One plugin's view of a store.
#[derive(Clone)]
pub struct Namespace {
    store: Arc<dyn KvStore>,
    prefix: String,
}

impl Namespace {
    pub fn new(store: Arc<dyn KvStore>, slug: &str) -> Self {
        Namespace { store, prefix: format!("plugins.kv.{slug}.") }
    }

    pub fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        check_key(key)?;
        self.store.get(&self.full(key))
    }

    pub fn set(&self, key: &str, value: &str) -> Result<(), KvError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::ValueTooLarge(value.len()));
        }
        self.store.set(&self.full(key), value)
    }

    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        check_key(key)?;
        self.store.delete(&self.full(key))
    }

    /// All of the plugin's pairs, keys without the namespace prefix.
    pub fn entries(&self) -> Result<Vec<(String, String)>, KvError> {
        Ok(self.store.scan(&self.prefix)?.into_iter().map(|(k, v)| (k[self.prefix.len()..].to_string(), v)).collect())
    }

    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn check_key(key: &str) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        Err(KvError::KeyTooLong(key.len()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_isolated() {
        let store: Arc<dyn KvStore> = Arc::new(MemoryStore::default());
        let a = Namespace::new(store.clone(), "a");
        let ab = Namespace::new(store.clone(), "a-b");
        a.set("k", "1").unwrap();
        ab.set("k", "2").unwrap();
        assert_eq!(a.get("k").unwrap().as_deref(), Some("1"));
        assert_eq!(ab.get("k").unwrap().as_deref(), Some("2"));
        assert_eq!(a.entries().unwrap(), vec![("k".to_string(), "1".to_string())]);
        assert_eq!(store.get("plugins.kv.a.k").unwrap().as_deref(), Some("1"));
    }

    #[test]
    fn limits_are_enforced() {
        let ns = Namespace::new(Arc::new(MemoryStore::default()), "a");
        assert!(matches!(ns.set(&"k".repeat(2000), "v"), Err(KvError::KeyTooLong(2000))));
        assert!(matches!(ns.set("k", &"v".repeat(MAX_VALUE_BYTES + 1)), Err(KvError::ValueTooLarge(_))));
    }
}
