//! `fs` — permission `storage.fs`; legacy `owncast_fs_*`. Files live in
//! `<data dir>/<slug>/files/` (upstream's layout, see
//! [`crate::services::storage`]); a path that would leave it (absolute, `..`, through a
//! symlink) is refused. Quotas ([`Limits`](crate::runtime::Limits)`::fs_*`):
//! the size of one file, the bytes and the number of files and folders in
//! the directory.

use super::trap;
use super::PluginView;
use crate::bindings::owncast::plugin::fs as wit;
use crate::context::{HostCallError, PluginContext};
use crate::types::OpResult;
use std::path::{Component, Path, PathBuf};

/// What a plugin's directory holds.
#[derive(Default)]
struct Usage {
    bytes: u64,
    /// Files and folders.
    entries: u64,
}

impl PluginContext {
    fn fs_root(&self) -> PathBuf {
        crate::services::storage::files_dir(&self.services().data_dir, self.slug())
    }

    /// Resolves a plugin-relative path inside its directory.
    fn fs_path(&self, path: &str, call: &str) -> Result<PathBuf, HostCallError> {
        let rel = std::path::Path::new(path);
        let mut clean = PathBuf::new();
        for c in rel.components() {
            match c {
                Component::Normal(p) if crate::durable::is_temp_name(&p.to_string_lossy()) => {
                    return Err(self.failed(
                        call,
                        format!("path \"{path}\": names like `.<name>.tmp-…` are the host's temporary files"),
                    ))
                }
                Component::Normal(p) => clean.push(p),
                Component::CurDir => {}
                _ => return Err(self.failed(call, format!("path \"{path}\" leaves the plugin's directory"))),
            }
        }
        let root = self.fs_root();
        std::fs::create_dir_all(&root).map_err(|e| self.failed(call, e))?;
        let full = root.join(&clean);
        // No component may be a symlink: a link could point anywhere.
        let mut walk = root.clone();
        for c in clean.components() {
            walk.push(c);
            if walk.symlink_metadata().map(|m| m.file_type().is_symlink()).unwrap_or(false) {
                return Err(self.failed(call, format!("path \"{path}\" goes through a symlink")));
            }
        }
        Ok(full)
    }

    /// What the directory holds. Temporary files an interrupted write left
    /// (a crash, `kill -9`) are removed on the way: the plugin's calls run one
    /// at a time, so no write of its own is in progress.
    fn dir_usage(&self) -> Usage {
        fn walk(p: &Path, u: &mut Usage) {
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                if crate::durable::is_temp_name(&e.file_name().to_string_lossy())
                    && std::fs::remove_file(e.path()).is_ok()
                {
                    continue;
                }
                u.entries += 1;
                // Symlinks (never made by the host) count as entries, not followed.
                match e.path().symlink_metadata() {
                    Ok(m) if m.is_dir() => walk(&e.path(), u),
                    Ok(m) => u.bytes += m.len(),
                    Err(_) => {}
                }
            }
        }
        let mut u = Usage::default();
        walk(&self.fs_root(), &mut u);
        u
    }

    pub fn fs_read(&self, path: &str) -> Result<Option<Vec<u8>>, HostCallError> {
        let p = self.fs_path(path, "fs.read")?;
        Ok(std::fs::read(p).ok())
    }

    pub fn fs_write(&self, path: &str, data: &[u8]) -> Result<OpResult, HostCallError> {
        let limits = self.limits();
        if data.len() > limits.fs_file_bytes {
            return Ok(OpResult::err(format!(
                "{} bytes is over the {}-byte file limit",
                data.len(),
                limits.fs_file_bytes
            )));
        }
        let p = self.fs_path(path, "fs.write")?;
        let root = self.fs_root();
        if p == root {
            return Ok(OpResult::err("a file name is required"));
        }
        if p.is_dir() {
            return Ok(OpResult::err(format!("\"{path}\" is a folder")));
        }
        let existing = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        let usage = self.dir_usage();
        if usage.bytes.saturating_sub(existing) + data.len() as u64 > limits.fs_dir_bytes {
            return Ok(OpResult::err(format!("the plugin's directory would exceed {} bytes", limits.fs_dir_bytes)));
        }
        // The file itself, if new, and each folder that has to be created for it.
        let new_entries = p.ancestors().take_while(|a| *a != root).filter(|a| !a.exists()).count() as u64;
        if usage.entries + new_entries > limits.fs_entries {
            return Ok(OpResult::err(format!(
                "the plugin's directory would hold more than {} files and folders",
                limits.fs_entries
            )));
        }
        if let Some(parent) = p.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return Ok(OpResult::err(e.to_string()));
            }
        }
        // Write, flush and rename: a crash never leaves half a file, a full
        // disk leaves the old content and no temporary file.
        Ok(match crate::durable::write_atomic(&p, data) {
            Ok(()) => OpResult::ok(),
            Err(e) => {
                tracing::warn!(plugin = %self.slug(), "fs.write \"{path}\" failed: {e}");
                OpResult::err(format!("writing \"{path}\" failed: {e}"))
            }
        })
    }

    pub fn fs_list(&self, dir: &str) -> Result<Vec<String>, HostCallError> {
        let p = self.fs_path(dir, "fs.list")?;
        let mut names: Vec<String> = std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| !crate::durable::is_temp_name(n))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        Ok(names)
    }

    pub fn fs_delete(&self, path: &str) -> Result<OpResult, HostCallError> {
        let p = self.fs_path(path, "fs.delete")?;
        if p == self.fs_root() {
            return Ok(OpResult::err("the plugin's directory itself cannot be deleted"));
        }
        let r = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
        Ok(match r {
            Ok(()) => OpResult::ok(),
            Err(e) => OpResult::err(e.to_string()),
        })
    }

    pub fn fs_exists(&self, path: &str) -> Result<bool, HostCallError> {
        Ok(self.fs_path(path, "fs.exists")?.exists())
    }
}

impl wit::Host for PluginView<'_> {
    fn read(&mut self, path: String) -> wasmtime::Result<Option<Vec<u8>>> {
        self.ctx.fs_read(&path).map_err(trap)
    }
    fn write(&mut self, path: String, data: Vec<u8>) -> wasmtime::Result<OpResult> {
        self.ctx.fs_write(&path, &data).map_err(trap)
    }
    fn list(&mut self, dir: String) -> wasmtime::Result<Vec<String>> {
        self.ctx.fs_list(&dir).map_err(trap)
    }
    fn delete(&mut self, path: String) -> wasmtime::Result<OpResult> {
        self.ctx.fs_delete(&path).map_err(trap)
    }
    fn exists(&mut self, path: String) -> wasmtime::Result<bool> {
        self.ctx.fs_exists(&path).map_err(trap)
    }
}

crate::legacy! {
    "owncast_fs_read"(P) -> P = |c, a| c.fs_read(&a.str(0)).map(Out::Bytes);
    "owncast_fs_write"(P, P) -> P output "`{}`, or `{error}`" = |c, a| op_result(c.fs_write(&a.str(0), &a.bytes(1)));
    "owncast_fs_list"(P) -> P = |c, a| c.fs_list(&a.str(0)).map(|v| json(&v));
    "owncast_fs_delete"(P) -> P output "`{}`, or `{error}`" = |c, a| op_result(c.fs_delete(&a.str(0)));
    "owncast_fs_exists"(P) -> I64 = |c, a| c.fs_exists(&a.str(0)).map(|b| Out::Int(b as i64));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::HostServices;
    use crate::kv::{KvStore, MemoryStore};
    use crate::manifest::Manifest;
    use crate::runtime::Limits;
    use owncast_plugin_testing::{CannedOutbound, SimulatedOwncast};
    use std::sync::Arc;

    fn ctx(data: &Path, permissions: &[&str], limits: Limits) -> Arc<PluginContext> {
        let kv: Arc<dyn KvStore> = Arc::new(MemoryStore::default());
        let sessions = Arc::new(crate::capabilities::auth_gate::SessionKeys::load(&*kv).unwrap());
        let services = Arc::new(HostServices::new(
            Arc::new(SimulatedOwncast::demo()),
            kv,
            Arc::new(CannedOutbound::new(Vec::new())),
            sessions,
            data.to_path_buf(),
            limits,
        ));
        let m = serde_json::json!({"name": "Files", "slug": "files", "version": "1.0.0", "permissions": permissions});
        let m = Arc::new(Manifest::parse(&serde_json::to_vec(&m).unwrap(), "files/plugin.manifest.json").unwrap());
        PluginContext::new(m.clone(), m.permissions.clone(), services)
    }

    fn leaves(r: Result<impl std::fmt::Debug, HostCallError>) -> String {
        match r {
            Err(e @ HostCallError::Failed { .. }) => e.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn paths_stay_inside_the_plugins_directory() {
        let data = tempfile::tempdir().unwrap();
        std::fs::write(data.path().join("secret.txt"), "other plugin's").unwrap();
        let c = ctx(data.path(), &["storage.fs"], Limits::default());
        assert!(c.fs_write("notes/a.txt", b"hi").unwrap().ok);
        assert_eq!(c.fs_read("./notes/a.txt").unwrap().as_deref(), Some(&b"hi"[..]));
        assert_eq!(c.fs_list("notes").unwrap(), ["a.txt"]);
        for bad in ["../secret.txt", "notes/../../secret.txt", "/etc/passwd", "..", "notes/../.."] {
            let e = leaves(c.fs_read(bad));
            assert!(e.contains("leaves the plugin's directory") && e.contains("plugin files"), "{bad}: {e}");
            leaves(c.fs_write(bad, b"x"));
            leaves(c.fs_list(bad));
            leaves(c.fs_delete(bad));
            leaves(c.fs_exists(bad));
        }
        assert_eq!(std::fs::read_to_string(data.path().join("secret.txt")).unwrap(), "other plugin's");
        // `a/../b` that stays inside is still refused: no `..` at all.
        leaves(c.fs_read("notes/../notes/a.txt"));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_directory_are_not_followed() {
        let data = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("passwd"), "root:x:0:0").unwrap();
        let c = ctx(data.path(), &["storage.fs"], Limits::default());
        assert!(c.fs_write("keep.txt", b"mine").unwrap().ok);
        // Planted links (a plugin cannot make one; a hostile folder could hold one).
        let root = crate::services::storage::files_dir(data.path(), "files");
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("passwd"), root.join("passwd")).unwrap();
        for bad in ["out/passwd", "passwd", "out"] {
            let e = leaves(c.fs_read(bad));
            assert!(e.contains("goes through a symlink"), "{bad}: {e}");
            leaves(c.fs_write(bad, b"owned"));
            leaves(c.fs_delete(bad));
            leaves(c.fs_list(bad));
        }
        assert_eq!(
            std::fs::read_to_string(outside.path().join("passwd")).unwrap(),
            "root:x:0:0",
            "never written through the link"
        );
        assert!(outside.path().join("passwd").exists(), "never deleted through the link");
    }

    #[test]
    fn file_size_directory_size_and_entry_count_are_capped() {
        let data = tempfile::tempdir().unwrap();
        let limits = Limits { fs_file_bytes: 100, fs_dir_bytes: 250, fs_entries: 5, ..Limits::default() };
        let c = ctx(data.path(), &["storage.fs"], limits);
        let r = c.fs_write("big", &[0; 101]).unwrap();
        assert!(!r.ok && r.error.as_deref().unwrap().contains("over the 100-byte file limit"), "{r:?}");
        assert!(c.fs_write("a", &[0; 100]).unwrap().ok);
        assert!(c.fs_write("b", &[0; 100]).unwrap().ok);
        let r = c.fs_write("c", &[0; 51]).unwrap();
        assert!(!r.ok && r.error.as_deref().unwrap().contains("would exceed 250 bytes"), "{r:?}");
        assert!(c.fs_write("a", &[0; 50]).unwrap().ok, "replacing a file counts its new size only");
        assert!(c.fs_write("c", &[0; 50]).unwrap().ok);
        // 3 files so far; `d/e/f` needs 3 more entries (two folders and the file).
        let r = c.fs_write("d/e/f", b"x").unwrap();
        assert!(!r.ok && r.error.as_deref().unwrap().contains("more than 5 files and folders"), "{r:?}");
        assert!(!data.path().join("files/d").exists(), "nothing created by a refused write");
        assert!(c.fs_write("d/f", b"x").unwrap().ok, "exactly at the cap");
        assert!(c.fs_write("d/f", b"y").unwrap().ok, "overwriting adds no entry");
        let r = c.fs_write("g", b"x").unwrap();
        assert!(!r.ok, "{r:?}");
        assert!(c.fs_delete("d").unwrap().ok);
        assert!(c.fs_write("g", b"x").unwrap().ok, "deleting frees entries");
    }
}
