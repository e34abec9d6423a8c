//! Reading a plugin from a directory: `plugin.manifest.json`, its code and
//! the optional `public/`, `assets/`, `icon.png` and `INSTRUCTIONS.md`.

use crate::manifest::{Manifest, ManifestError, MAX_MANIFEST_BYTES};
use crate::permissions::Permissions;
use std::path::{Path, PathBuf};

/// The icon file in a plugin directory or package.
pub const ICON: &str = "icon.png";
/// The instructions file in a plugin directory or package.
pub const INSTRUCTIONS: &str = "INSTRUCTIONS.md";

/// Largest plugin code file accepted.
pub const MAX_CODE_BYTES: u64 = 64 << 20;

/// Files that come with a plugin besides its code.
#[derive(Debug, Clone, Default)]
pub struct PluginAssets {
    /// `public/`: served at `/plugins/<slug>/` before the plugin's handler.
    pub public_dir: Option<PathBuf>,
    /// `assets/`: never served; the host reads the files `styles`, `scripts`,
    /// `extraPageContent` and `tabs` name from here.
    pub assets_dir: Option<PathBuf>,
    pub icon: Option<PathBuf>,
    pub instructions: Option<PathBuf>,
}

/// Everything needed to load one plugin.
#[derive(Debug, Clone)]
pub struct PluginBundle {
    pub manifest: Vec<u8>,
    /// Names the manifest in errors.
    pub manifest_file: String,
    pub code: Vec<u8>,
    /// Names the code in errors; loaders may look at its extension.
    pub code_file: String,
    pub assets: PluginAssets,
    /// Permissions the admin approved; `None` approves what the manifest declares
    /// (tests and the dev server).
    pub approved: Option<Permissions>,
}

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
            assets: assets_in(dir),
            approved: None,
        })
    }
}

/// The served folder (`public/`), the private `assets/`, icon and
/// instructions in a plugin directory. `assets/` is never served.
pub fn assets_in(dir: &Path) -> PluginAssets {
    let existing = |p: PathBuf| p.exists().then_some(p);
    PluginAssets {
        public_dir: existing(dir.join("public")),
        assets_dir: existing(dir.join("assets")),
        icon: existing(dir.join(ICON)),
        instructions: existing(dir.join(INSTRUCTIONS)),
    }
}

/// The real path of `path` if it resolves inside the real path of the folder
/// it is named in (so neither it nor a link on the way leads out).
pub fn confined(path: &Path) -> Option<PathBuf> {
    let parent = path.parent()?.canonicalize().ok()?;
    let real = path.canonicalize().ok()?;
    real.starts_with(&parent).then_some(real)
}
