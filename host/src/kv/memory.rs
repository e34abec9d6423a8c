use super::{KvError, KvStore};
use std::collections::BTreeMap;
use std::sync::RwLock;

/// A store that lives as long as the process (tests, scenarios, dev server).
#[derive(Default)]
pub struct MemoryStore {
    map: RwLock<BTreeMap<String, String>>,
}

impl KvStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        Ok(self.map.read().unwrap().get(key).cloned())
    }
    fn set_many(&self, pairs: &[(&str, &str)]) -> Result<(), KvError> {
        let mut map = self.map.write().unwrap();
        for (k, v) in pairs {
            map.insert(k.to_string(), v.to_string());
        }
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.map.write().unwrap().remove(key);
        Ok(())
    }
    fn scan(&self, prefix: &str) -> Result<Vec<(String, String)>, KvError> {
        Ok(self
            .map
            .read()
            .unwrap()
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}
