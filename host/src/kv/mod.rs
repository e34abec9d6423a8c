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

use std::sync::{Arc, Mutex, PoisonError};

/// Longest key a plugin may use, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest value a plugin may store, in bytes.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Most bytes (keys and values) one plugin may keep.
pub const MAX_NAMESPACE_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("key is {0} bytes; the limit is {MAX_KEY_BYTES}")]
    KeyTooLong(usize),
    #[error("value is {0} bytes; the limit is {MAX_VALUE_BYTES}")]
    ValueTooLarge(usize),
    #[error("the plugin's storage would hold {used} bytes; the limit is {limit}")]
    QuotaExceeded { used: u64, limit: u64 },
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

/// One plugin's view of a store, holding at most its quota.
#[derive(Clone)]
pub struct Namespace {
    store: Arc<dyn KvStore>,
    prefix: String,
    quota: u64,
    /// The bytes the namespace holds (keys and values): counted from the
    /// store at the first write, then kept up to date. Writes hold the lock
    /// from reading the old value to storing the new one.
    used: Arc<Mutex<Option<u64>>>,
}

impl Namespace {
    pub fn new(store: Arc<dyn KvStore>, slug: &str) -> Self {
        Self::with_quota(store, slug, MAX_NAMESPACE_BYTES)
    }

    /// A namespace holding at most `quota` bytes of keys and values.
    pub fn with_quota(store: Arc<dyn KvStore>, slug: &str, quota: u64) -> Self {
        Namespace { store, prefix: format!("plugins.kv.{slug}."), quota, used: Arc::default() }
    }

    pub fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        check_key(key)?;
        self.store.get(&self.full(key))
    }

    /// Stores `value` under `key`, unless the namespace would then hold more
    /// than its quota (a write that makes it smaller is always allowed).
    pub fn set(&self, key: &str, value: &str) -> Result<(), KvError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::ValueTooLarge(value.len()));
        }
        let full = self.full(key);
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let before = match *used {
            Some(n) => n,
            None => self.count()?,
        };
        // `saturating_sub`: another view of this namespace (a plugin being
        // replaced) may have written since the count; never below zero.
        let after = before.saturating_sub(self.pair_bytes(key, &full)?) + pair_len(key, value);
        if after > self.quota && after > before {
            return Err(KvError::QuotaExceeded { used: after, limit: self.quota });
        }
        self.store.set(&full, value)?;
        *used = Some(after);
        Ok(())
    }

    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        check_key(key)?;
        let full = self.full(key);
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let freed = match *used {
            Some(_) => self.pair_bytes(key, &full)?,
            None => 0,
        };
        self.store.delete(&full)?;
        *used = used.map(|n| n.saturating_sub(freed));
        Ok(())
    }

    /// The bytes `key` and its stored value take now (0 when it is not set).
    fn pair_bytes(&self, key: &str, full: &str) -> Result<u64, KvError> {
        Ok(self.store.get(full)?.map_or(0, |v| pair_len(key, &v)))
    }

    /// The bytes of all the namespace's keys and values, read from the store.
    fn count(&self) -> Result<u64, KvError> {
        Ok(self.usage()?.1)
    }

    /// How many keys the namespace holds and their bytes with their values
    /// (what counts against its quota), read from the store.
    pub fn usage(&self) -> Result<(u64, u64), KvError> {
        let entries = self.entries()?;
        Ok((entries.len() as u64, entries.iter().map(|(k, v)| pair_len(k, v)).sum()))
    }

    /// All of the plugin's pairs, keys without the namespace prefix.
    pub fn entries(&self) -> Result<Vec<(String, String)>, KvError> {
        Ok(self.store.scan(&self.prefix)?.into_iter().map(|(k, v)| (k[self.prefix.len()..].to_string(), v)).collect())
    }

    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// What one pair counts against a namespace's quota.
fn pair_len(key: &str, value: &str) -> u64 {
    (key.len() + value.len()) as u64
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

    #[test]
    fn a_namespace_holds_at_most_its_quota() {
        let store: Arc<dyn KvStore> = Arc::new(MemoryStore::default());
        let ns = Namespace::with_quota(store.clone(), "a", 100);
        ns.set("k1", &"x".repeat(48)).unwrap(); // 50 bytes
        ns.set("k2", &"x".repeat(48)).unwrap(); // 100: full
        let err = ns.set("k3", "x").unwrap_err();
        assert!(matches!(err, KvError::QuotaExceeded { used: 103, limit: 100 }), "{err}");
        assert_eq!(err.to_string(), "the plugin's storage would hold 103 bytes; the limit is 100");
        assert_eq!(ns.get("k3").unwrap(), None, "a refused write stores nothing");
        // Replacing a value counts the difference.
        ns.set("k1", &"y".repeat(48)).unwrap();
        assert!(matches!(ns.set("k1", &"y".repeat(49)), Err(KvError::QuotaExceeded { used: 101, .. })));
        // Deleting and shrinking make room.
        ns.delete("k2").unwrap();
        ns.set("k3", &"z".repeat(40)).unwrap();
        ns.set("k1", "").unwrap();
        ns.set("k4", &"w".repeat(46)).unwrap();
        // Another namespace's data does not count; a fresh view of this one
        // (a reloaded plugin) counts what is stored.
        Namespace::with_quota(store.clone(), "b", 100).set("k", &"b".repeat(98)).unwrap();
        let again = Namespace::with_quota(store, "a", 100);
        // a holds 92 bytes (k1 "" 2, k3 42, k4 48).
        assert!(matches!(again.set("k5", &"v".repeat(7)), Err(KvError::QuotaExceeded { used: 101, .. })));
        again.set("k5", &"v".repeat(6)).unwrap();
        // What the metrics report is what the quota counts.
        assert_eq!(again.usage().unwrap(), (4, 100));
    }

    #[test]
    fn over_its_quota_a_namespace_may_still_shrink() {
        let store: Arc<dyn KvStore> = Arc::new(MemoryStore::default());
        // Stored before the quota was as small (e.g. an older host).
        Namespace::with_quota(store.clone(), "a", 1000).set("k", &"x".repeat(199)).unwrap();
        let ns = Namespace::with_quota(store, "a", 100);
        ns.set("k", &"x".repeat(150)).unwrap();
        assert!(matches!(ns.set("k", &"x".repeat(151)), Err(KvError::QuotaExceeded { .. })));
        assert!(matches!(ns.set("j", "x"), Err(KvError::QuotaExceeded { .. })));
        ns.delete("k").unwrap();
        ns.set("j", "x").unwrap();
    }
}
