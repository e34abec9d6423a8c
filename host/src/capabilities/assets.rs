//! `assets` — no permission (upstream's ambient `owncast_asset_read`): the
//! files a plugin ships in its own `assets/` directory, read at run time
//! (templates, data files). Paths are relative to `assets/`; one that is
//! absolute, has a `..` segment or resolves outside the directory (through a
//! symlink) reads as missing, and so does a file over [`MAX_ASSET_BYTES`].

use super::PluginView;
use crate::bindings::owncast::plugin::assets as wit;
use crate::context::PluginContext;
use std::path::Component;

/// Largest asset a plugin may read in one call.
pub const MAX_ASSET_BYTES: u64 = 10 << 20;

impl PluginContext {
    /// The bytes of `assets/<path>`; `None` when missing, refused or too big
    /// (the reason goes to the host log).
    pub fn asset_read(&self, path: &str) -> Option<Vec<u8>> {
        match self.asset_bytes(path) {
            Ok(b) => Some(b),
            Err(why) => {
                tracing::debug!(plugin = %self.slug(), path, "assets.read: {why}");
                None
            }
        }
    }

    fn asset_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        let root = self.assets_dir().ok_or("the plugin has no assets/ directory")?;
        if path.is_empty() || path.starts_with('/') || path.contains('\\') {
            return Err("not a relative path".into());
        }
        let rel = std::path::Path::new(path);
        if !rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err("the path leaves assets/".into());
        }
        let root = root.canonicalize().map_err(|e| e.to_string())?;
        let full = root.join(rel).canonicalize().map_err(|e| e.to_string())?;
        if !full.starts_with(&root) {
            return Err("the path resolves outside assets/".into());
        }
        let meta = std::fs::metadata(&full).map_err(|e| e.to_string())?;
        if !meta.is_file() {
            return Err("not a file".into());
        }
        if meta.len() > MAX_ASSET_BYTES {
            return Err(format!("{} bytes is over the {MAX_ASSET_BYTES}-byte limit", meta.len()));
        }
        std::fs::read(&full).map_err(|e| e.to_string())
    }
}

impl wit::Host for PluginView<'_> {
    fn read(&mut self, path: String) -> wasmtime::Result<Option<Vec<u8>>> {
        Ok(self.ctx.asset_read(&path))
    }
}

crate::legacy! {
    "owncast_asset_read"(P) -> P = |c, a| Ok(Out::Bytes(c.asset_read(&a.str(0))));
}
