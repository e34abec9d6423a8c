use super::{KvError, KvStore};
use redb::{Database, TableDefinition};
use std::path::Path;

const TABLE: TableDefinition<&str, &str> = TableDefinition::new("kv");

/// The embedded durable store: one redb file. Every write is a committed
/// transaction, so a process killed mid-write leaves the last committed state.
pub struct RedbStore {
    db: Database,
}

fn backend(e: impl std::fmt::Display) -> KvError {
    KvError::Backend(e.to_string())
}

impl RedbStore {
    pub fn open(path: &Path) -> Result<Self, KvError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| KvError::Backend(format!("{}: {e}", dir.display())))?;
        }
        let db = Database::create(path).map_err(|e| KvError::Backend(format!("{}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(backend)?;
        tx.open_table(TABLE).map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(RedbStore { db })
    }
}

impl KvStore for RedbStore {
    fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        let tx = self.db.begin_read().map_err(backend)?;
        let table = tx.open_table(TABLE).map_err(backend)?;
        Ok(table.get(key).map_err(backend)?.map(|v| v.value().to_string()))
    }
    fn set_many(&self, pairs: &[(&str, &str)]) -> Result<(), KvError> {
        let tx = self.db.begin_write().map_err(backend)?;
        {
            let mut table = tx.open_table(TABLE).map_err(backend)?;
            for (k, v) in pairs {
                table.insert(*k, *v).map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        let tx = self.db.begin_write().map_err(backend)?;
        {
            let mut table = tx.open_table(TABLE).map_err(backend)?;
            table.remove(key).map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }
    fn scan(&self, prefix: &str) -> Result<Vec<(String, String)>, KvError> {
        let tx = self.db.begin_read().map_err(backend)?;
        let table = tx.open_table(TABLE).map_err(backend)?;
        let mut out = Vec::new();
        for item in table.range(prefix..).map_err(backend)? {
            let (k, v) = item.map_err(backend)?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((k.value().to_string(), v.value().to_string()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.redb");
        RedbStore::open(&path).unwrap().set("plugins.kv.a.k", "v").unwrap();
        assert_eq!(RedbStore::open(&path).unwrap().get("plugins.kv.a.k").unwrap().as_deref(), Some("v"));
    }

    /// Child side of `killed_writer_leaves_store_consistent`: writes pairs
    /// `a.N`/`b.N` in one transaction each, forever, until killed.
    #[test]
    #[ignore = "run by killed_writer_leaves_store_consistent"]
    fn kv_crash_writer_child() {
        let Ok(path) = std::env::var("OWNCAST_KV_CRASH_PATH") else { return };
        let store = RedbStore::open(Path::new(&path)).unwrap();
        let big = "x".repeat(64 * 1024);
        for n in 0u64.. {
            let v = format!("{n}:{big}");
            store.set_many(&[("a", &v), ("b", &v), ("n", &n.to_string())]).unwrap();
        }
    }

    #[test]
    fn killed_writer_leaves_store_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.redb");
        for round in 0..3 {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args(["--ignored", "--exact", "kv::redb_store::tests::kv_crash_writer_child", "--nocapture"])
                .env("OWNCAST_KV_CRASH_PATH", &path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(300 + 170 * round));
            child.kill().unwrap(); // SIGKILL: no destructor, no flush
            child.wait().unwrap();
            let store = RedbStore::open(&path).expect("store reopens after a kill");
            let (a, b, n) = (store.get("a").unwrap(), store.get("b").unwrap(), store.get("n").unwrap());
            match (a, b, n) {
                (None, None, None) => {}
                (Some(a), Some(b), Some(n)) => {
                    assert_eq!(a, b, "pairs written together must be seen together");
                    assert!(a.starts_with(&format!("{n}:")), "value matches its counter");
                    assert_eq!(a.len(), format!("{n}:").len() + 64 * 1024, "no torn value");
                }
                other => panic!("half a transaction is visible: {other:?}"),
            }
        }
    }
}
