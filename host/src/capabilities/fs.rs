//! `fs` — permission `storage.fs`; legacy `owncast_fs_*`. Files live in
//! `<data dir>/<slug>/`; a path that would leave it (absolute, `..`, through a
//! symlink) is refused.

use super::trap;
use crate::component::bindings::owncast::plugin::fs as wit;
use crate::component::ComponentState;
use crate::context::{HostCallError, PluginContext};
use crate::permissions::Permission;
use crate::types::OpResult;
use std::path::{Component, PathBuf};

/// Largest file a plugin may write.
pub const MAX_FILE_BYTES: usize = 10 << 20;
/// Most bytes a plugin may keep in its directory.
pub const MAX_DIR_BYTES: u64 = 100 << 20;

impl PluginContext {
    fn fs_root(&self) -> PathBuf {
        self.services().data_dir.join(self.slug())
    }

    /// Resolves a plugin-relative path inside its directory.
    fn fs_path(&self, path: &str, call: &str) -> Result<PathBuf, HostCallError> {
        let rel = std::path::Path::new(path);
        let mut clean = PathBuf::new();
        for c in rel.components() {
            match c {
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

    fn dir_usage(&self) -> u64 {
        fn walk(p: &std::path::Path) -> u64 {
            std::fs::read_dir(p)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| match e.metadata() {
                            Ok(m) if m.is_dir() => walk(&e.path()),
                            Ok(m) => m.len(),
                            Err(_) => 0,
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&self.fs_root())
    }

    pub fn fs_read(&self, path: &str) -> Result<Option<Vec<u8>>, HostCallError> {
        self.require(Permission::StorageFs, "fs.read")?;
        let p = self.fs_path(path, "fs.read")?;
        Ok(std::fs::read(p).ok())
    }

    pub fn fs_write(&self, path: &str, data: &[u8]) -> Result<OpResult, HostCallError> {
        self.require(Permission::StorageFs, "fs.write")?;
        if data.len() > MAX_FILE_BYTES {
            return Ok(OpResult::err(format!("{} bytes is over the {MAX_FILE_BYTES}-byte file limit", data.len())));
        }
        let p = self.fs_path(path, "fs.write")?;
        if p == self.fs_root() {
            return Ok(OpResult::err("a file name is required"));
        }
        let existing = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if self.dir_usage() - existing + data.len() as u64 > MAX_DIR_BYTES {
            return Ok(OpResult::err(format!("the plugin's directory would exceed {MAX_DIR_BYTES} bytes")));
        }
        if let Some(parent) = p.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return Ok(OpResult::err(e.to_string()));
            }
        }
        // Write-and-rename so a crash never leaves half a file.
        let tmp = p.with_extension("owncast-tmp");
        let r = std::fs::write(&tmp, data).and_then(|_| std::fs::rename(&tmp, &p));
        Ok(match r {
            Ok(()) => OpResult::ok(),
            Err(e) => OpResult::err(e.to_string()),
        })
    }

    pub fn fs_list(&self, dir: &str) -> Result<Vec<String>, HostCallError> {
        self.require(Permission::StorageFs, "fs.list")?;
        let p = self.fs_path(dir, "fs.list")?;
        let mut names: Vec<String> = std::fs::read_dir(p)
            .map(|rd| rd.flatten().filter_map(|e| e.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        names.sort();
        Ok(names)
    }

    pub fn fs_delete(&self, path: &str) -> Result<OpResult, HostCallError> {
        self.require(Permission::StorageFs, "fs.delete")?;
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
        self.require(Permission::StorageFs, "fs.exists")?;
        Ok(self.fs_path(path, "fs.exists")?.exists())
    }
}

impl wit::Host for ComponentState {
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
