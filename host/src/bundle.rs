//! Reading a plugin from a directory: `plugin.manifest.json`, its code and
//! the optional `public/`, `assets/`, `icon.png` and `INSTRUCTIONS.md`.

use crate::host::PluginBundle;
use crate::manifest::{Manifest, ManifestError, MAX_MANIFEST_BYTES};
use std::path::{Path, PathBuf};

/// Largest plugin code file accepted.
pub const MAX_CODE_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("{dir}: no plugin code found (looked for {looked})")]
    NoCode { dir: String, looked: String },
    #[error("{0}: {1} bytes is over the {2}-byte limit")]
    TooLarge(String, u64, u64),
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, BundleError> {
    let shown = path.display().to_string();
    let len = std::fs::metadata(path).map_err(|e| BundleError::Io(shown.clone(), e))?.len();
    if len > cap {
        return Err(BundleError::TooLarge(shown, len, cap));
    }
    std::fs::read(path).map_err(|e| BundleError::Io(shown, e))
}

impl PluginBundle {
    /// Loads a plugin directory. The code is the first of `<slug>.wasm`,
    /// `plugin.wasm`, `dist/<slug>.wasm`, `<slug>.js`, `dist/<slug>.js` that exists.
    pub fn from_dir(dir: &Path) -> Result<PluginBundle, BundleError> {
        let manifest_path = dir.join("plugin.manifest.json");
        let manifest = read_capped(&manifest_path, MAX_MANIFEST_BYTES as u64)?;
        let parsed = Manifest::parse(&manifest, &manifest_path.display().to_string())?;
        let slug = &parsed.slug;
        let candidates: Vec<PathBuf> = vec![
            dir.join(format!("{slug}.wasm")),
            dir.join("plugin.wasm"),
            dir.join("dist").join(format!("{slug}.wasm")),
            dir.join(format!("{slug}.js")),
            dir.join("dist").join(format!("{slug}.js")),
        ];
        let code_path = candidates.iter().find(|p| p.is_file()).ok_or_else(|| BundleError::NoCode {
            dir: dir.display().to_string(),
            looked: candidates
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        let code = read_capped(code_path, MAX_CODE_BYTES)?;
        Ok(PluginBundle {
            manifest,
            manifest_file: manifest_path.display().to_string(),
            code,
            code_file: code_path.display().to_string(),
            assets: crate::manager::package::assets_in(dir),
            approved: None,
        })
    }
}
