//! `.ocpkg` packages: one zip with `plugin.manifest.json`, the plugin code
//! (`plugin.wasm`, or `plugin.js` for a shared engine), and optionally
//! `public/`, `assets/`, `icon.png` and `INSTRUCTIONS.md`.
//!
//! The reader trusts nothing in the archive:
//! - the package, the entry count, each entry and the sum of entries are
//!   capped, counting the bytes actually inflated (a zip bomb's headers lie);
//! - entry names must be relative, without `..`, backslashes, drive letters,
//!   NUL or control characters (no zip-slip);
//! - the same name twice is refused (the `zip` crate would silently keep one,
//!   so the central directory is walked here), and so is a name that is a
//!   file and also a folder of another entry (`a` and `a/b`);
//! - symlinks and encrypted entries are refused;
//! - the manifest is capped before it is parsed.
//!
//! Files outside the known names are ignored (README, LICENSE...).

use owncast_plugin_contract::bundle::{assets_in, BundleError, PluginAssets, PluginBundle};
use owncast_plugin_host::manifest::{Manifest, ManifestError, MAX_MANIFEST_BYTES};
use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "plugin.manifest.json";
pub const CODE_NAMES: &[&str] = &["plugin.wasm", "plugin.js"];
pub use owncast_plugin_contract::bundle::{ICON, INSTRUCTIONS};
pub const DIRS: &[&str] = &["public/", "assets/"];

/// Caps the reader enforces.
#[derive(Debug, Clone)]
pub struct PackageLimits {
    pub max_package_bytes: u64,
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    pub max_manifest_bytes: u64,
}

impl Default for PackageLimits {
    fn default() -> Self {
        PackageLimits {
            max_package_bytes: 64 << 20,
            max_entries: 2000,
            max_entry_bytes: 64 << 20,
            max_total_bytes: 128 << 20,
            max_manifest_bytes: MAX_MANIFEST_BYTES as u64,
        }
    }
}

/// Why a package was refused; the message names the package and the entry.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{package}: {message}")]
    Invalid { package: String, message: String },
    #[error("{package}: {message}")]
    TooLarge { package: String, message: String },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

/// A package read and checked, held in memory.
#[derive(Debug, Clone)]
pub struct Package {
    /// Names the package in messages.
    pub name: String,
    pub manifest_bytes: Vec<u8>,
    pub manifest: Manifest,
    /// `plugin.wasm` or `plugin.js`.
    pub code_name: String,
    pub code: Vec<u8>,
    /// Other files kept: `public/...`, `assets/...`, `icon.png`, `INSTRUCTIONS.md`.
    pub files: Vec<(String, Vec<u8>)>,
}

struct CentralEntry {
    name: Vec<u8>,
    /// Unix mode when the archive was made on Unix.
    unix_mode: Option<u32>,
    encrypted: bool,
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]) as u64)
}
fn le32(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
}

/// Walks the central directory: every entry's raw name, as many times as it
/// appears.
fn central_directory(bytes: &[u8]) -> Result<Vec<CentralEntry>, String> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const CDH: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    if bytes.len() < 22 {
        return Err("not a zip archive (too short)".into());
    }
    // The end record is in the last 22 + 65535 bytes (its comment is at most 64 KiB).
    let earliest = bytes.len().saturating_sub(22 + 65535);
    let eocd = (earliest..=bytes.len() - 22)
        .rev()
        .find(|&i| bytes[i..i + 4] == EOCD)
        .ok_or("not a zip archive (no end of central directory record)")?;
    let total = le16(bytes, eocd + 10).unwrap();
    let size = le32(bytes, eocd + 12).unwrap();
    let offset = le32(bytes, eocd + 16).unwrap();
    if total == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        return Err("zip64 archives are not supported".into());
    }
    let mut at = offset as usize;
    let mut out = Vec::new();
    for _ in 0..total {
        let bad = || "malformed central directory".to_string();
        if bytes.get(at..at + 4) != Some(&CDH[..]) {
            return Err(bad());
        }
        let made_by_os = bytes.get(at + 5).copied().ok_or_else(bad)?;
        let flags = le16(bytes, at + 8).ok_or_else(bad)?;
        let name_len = le16(bytes, at + 28).ok_or_else(bad)? as usize;
        let extra_len = le16(bytes, at + 30).ok_or_else(bad)? as usize;
        let comment_len = le16(bytes, at + 32).ok_or_else(bad)? as usize;
        let external = le32(bytes, at + 38).ok_or_else(bad)?;
        let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(bad)?.to_vec();
        out.push(CentralEntry {
            name,
            unix_mode: (made_by_os == 3).then_some((external >> 16) as u32),
            encrypted: flags & 1 != 0,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// A safe relative entry name, normalized (no leading `./`, no trailing `/`).
fn safe_name(raw: &[u8]) -> Result<(String, bool), String> {
    let name = std::str::from_utf8(raw).map_err(|_| "name is not UTF-8".to_string())?;
    let shown = || name.escape_debug().to_string();
    let is_dir = name.ends_with('/');
    if name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.chars().any(char::is_control)
        || name.as_bytes().get(1) == Some(&b':')
    {
        return Err(format!(
            "entry `{}` has an unsafe path (absolute, drive, backslash or control character)",
            shown()
        ));
    }
    let mut parts = Vec::new();
    for seg in name.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(format!("entry `{}` has an unsafe path (`..` leaves the package)", shown())),
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        return Err(format!("entry `{}` has an empty path", shown()));
    }
    Ok((parts.join("/"), is_dir))
}

fn is_symlink(mode: Option<u32>) -> bool {
    mode.is_some_and(|m| m & 0o170000 == 0o120000)
}

/// Reads and checks a package. `name` names it in messages.
pub fn read_package(bytes: &[u8], name: &str, limits: &PackageLimits) -> Result<Package, PackageError> {
    let invalid = |message: String| PackageError::Invalid { package: name.to_string(), message };
    let too_large = |message: String| PackageError::TooLarge { package: name.to_string(), message };
    if bytes.len() as u64 > limits.max_package_bytes {
        return Err(too_large(format!("package is {} bytes; the limit is {}", bytes.len(), limits.max_package_bytes)));
    }
    if !bytes.starts_with(b"PK") {
        return Err(invalid("not an .ocpkg package (a zip archive)".into()));
    }
    let central = central_directory(bytes).map_err(invalid)?;
    if central.len() > limits.max_entries {
        return Err(too_large(format!("package has {} entries; the limit is {}", central.len(), limits.max_entries)));
    }
    let mut seen = BTreeSet::new();
    let mut file_names = BTreeSet::new();
    for e in &central {
        let (n, is_dir) = safe_name(&e.name).map_err(invalid)?;
        if !is_dir {
            file_names.insert(n.clone());
        }
        if is_symlink(e.unix_mode) {
            return Err(invalid(format!("entry `{n}` is a symlink; packages may not contain links")));
        }
        if e.encrypted {
            return Err(invalid(format!("entry `{n}` is encrypted")));
        }
        if !seen.insert(n.clone()) {
            return Err(invalid(format!("entry `{n}` appears more than once")));
        }
    }
    // `a` as a file and `a/b` beneath it cannot both be unpacked.
    for name in &seen {
        let mut at = 0;
        while let Some(i) = name[at..].find('/') {
            let folder = &name[..at + i];
            if file_names.contains(folder) {
                return Err(invalid(format!(
                    "entries `{folder}` and `{name}` collide: `{folder}` would be both a file and a folder"
                )));
            }
            at += i + 1;
        }
    }
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| invalid(format!("not a valid zip archive: {e}")))?;
    if zip.len() != central.len() {
        return Err(invalid("the archive's entries do not match its central directory".into()));
    }

    let mut total: u64 = 0;
    let mut manifest_bytes = None;
    let mut code: Option<(String, Vec<u8>)> = None;
    let mut files = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| invalid(format!("entry #{i}: {e}")))?;
        let (n, is_dir) = safe_name(f.name_raw()).map_err(invalid)?;
        if f.encrypted() {
            return Err(invalid(format!("entry `{n}` is encrypted")));
        }
        if f.is_symlink() || is_symlink(f.unix_mode()) {
            return Err(invalid(format!("entry `{n}` is a symlink; packages may not contain links")));
        }
        if is_dir || f.is_dir() {
            continue;
        }
        let keep = n == MANIFEST
            || CODE_NAMES.contains(&n.as_str())
            || n == ICON
            || n == INSTRUCTIONS
            || DIRS.iter().any(|d| n.starts_with(d));
        let cap = if n == MANIFEST { limits.max_manifest_bytes } else { limits.max_entry_bytes };
        if f.size() > cap {
            return Err(too_large(format!("entry `{n}` unpacks to {} bytes; the limit is {cap}", f.size())));
        }
        // Count what actually comes out, never the header's claim.
        let mut data = Vec::new();
        (&mut f)
            .take(cap + 1)
            .read_to_end(&mut data)
            .map_err(|e| invalid(format!("entry `{n}` could not be unpacked: {e}")))?;
        if data.len() as u64 > cap {
            return Err(too_large(format!("entry `{n}` unpacks to more than {cap} bytes")));
        }
        total += data.len() as u64;
        if total > limits.max_total_bytes {
            return Err(too_large(format!("contents unpack to more than {} bytes in total", limits.max_total_bytes)));
        }
        if !keep {
            continue;
        }
        if n == MANIFEST {
            manifest_bytes = Some(data);
        } else if CODE_NAMES.contains(&n.as_str()) {
            if let Some((other, _)) = &code {
                return Err(invalid(format!("holds both {other} and {n}; a package has one plugin")));
            }
            code = Some((n, data));
        } else {
            files.push((n, data));
        }
    }
    let manifest_bytes = manifest_bytes.ok_or_else(|| invalid(format!("{MANIFEST} is missing")))?;
    let manifest = Manifest::parse(&manifest_bytes, &format!("{name}:{MANIFEST}"))?;
    let (code_name, code) = code.ok_or_else(|| invalid(format!("no plugin code ({})", CODE_NAMES.join(" or "))))?;
    Ok(Package { name: name.to_string(), manifest_bytes, manifest, code_name, code, files })
}

impl Package {
    /// Writes the kept files under `dir` (created fresh) and returns the assets found there.
    pub fn extract(&self, dir: &Path) -> Result<PluginAssets, PackageError> {
        let io = |p: &Path, e: std::io::Error| PackageError::Io(p.display().to_string(), e);
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let write = |rel: &str, data: &[u8]| -> Result<(), PackageError> {
            let mut path = dir.to_path_buf();
            path.extend(rel.split('/'));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            std::fs::write(&path, data).map_err(|e| io(&path, e))
        };
        write(MANIFEST, &self.manifest_bytes)?;
        write(&self.code_name, &self.code)?;
        for (rel, data) in &self.files {
            write(rel, data)?;
        }
        Ok(assets_in(dir))
    }

    /// A bundle of the package as extracted in `dir`.
    pub fn bundle(&self, dir: &Path) -> PluginBundle {
        PluginBundle {
            manifest: self.manifest_bytes.clone(),
            manifest_file: format!("{}:{MANIFEST}", self.name),
            code: self.code.clone(),
            code_file: format!("{}:{}", self.name, self.code_name),
            assets: assets_in(dir),
            approved: None,
        }
    }
}

/// Builds a package from a plugin directory (the layout
/// [`PluginBundle::from_dir`] reads); returns the slug and the zip bytes.
pub fn write_package(dir: &Path) -> Result<(String, Vec<u8>), PackageError> {
    let bundle = PluginBundle::from_dir(dir)?;
    let manifest = Manifest::parse(&bundle.manifest, &bundle.manifest_file)?;
    let code_name = if bundle.code_file.ends_with(".js") { "plugin.js" } else { "plugin.wasm" };
    let shown = dir.display().to_string();
    let zerr = |e: zip::result::ZipError| PackageError::Io(shown.clone(), std::io::Error::other(e));
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    w.start_file(MANIFEST, opts).map_err(zerr)?;
    w.write_all(&bundle.manifest).map_err(|e| PackageError::Io(shown.clone(), e))?;
    w.start_file(code_name, opts).map_err(zerr)?;
    w.write_all(&bundle.code).map_err(|e| PackageError::Io(shown.clone(), e))?;
    let mut extra: Vec<(String, PathBuf)> = Vec::new();
    if let Some(p) = &bundle.assets.icon {
        extra.push((ICON.into(), p.clone()));
    }
    if let Some(p) = &bundle.assets.instructions {
        extra.push((INSTRUCTIONS.into(), p.clone()));
    }
    for d in ["public", "assets"] {
        collect_files(&dir.join(d), d, &mut extra)
            .map_err(|e| PackageError::Io(dir.join(d).display().to_string(), e))?;
    }
    for (name, path) in extra {
        let data = std::fs::read(&path).map_err(|e| PackageError::Io(path.display().to_string(), e))?;
        w.start_file(name, opts).map_err(zerr)?;
        w.write_all(&data).map_err(|e| PackageError::Io(shown.clone(), e))?;
    }
    let bytes = w.finish().map_err(zerr)?.into_inner();
    Ok((manifest.slug, bytes))
}

/// Regular files under `dir` (no symlinks, no dotfiles), named `prefix/...`.
fn collect_files(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Ok(()) };
    let mut entries: Vec<_> = rd.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let ty = e.file_type()?;
        let rel = format!("{prefix}/{name}");
        if ty.is_dir() {
            collect_files(&e.path(), &rel, out)?;
        } else if ty.is_file() {
            out.push((rel, e.path()));
        }
    }
    Ok(())
}
