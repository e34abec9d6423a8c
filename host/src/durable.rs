//! Durable file replacement, shared by the manager (state file, packages)
//! and the `storage.fs` capability: write a temporary file next to the
//! target, flush it to disk, rename it over the target, flush the folder.
//! A crash (or `kill -9`) leaves the old content or the new, never a mix; a
//! failed write (disk full) removes its temporary file and leaves the old
//! content.

use std::io::Write;
use std::path::Path;

/// Marks the temporary files of [`write_atomic`] (`.<name>.tmp-<pid>-<n>`).
pub const TMP_MARK: &str = ".tmp-";

/// Whether `name` (one path component) is the shape of a temporary file of
/// [`write_atomic`]: what an interrupted write leaves behind.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(TMP_MARK)
}

/// Replaces `path` with `bytes` so that readers (and a crash) see either the
/// old content or the new, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}{TMP_MARK}{}-{}", std::process::id(), unique()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognized() {
        assert!(is_temp_name(".notes.txt.tmp-12-0"));
        assert!(!is_temp_name("notes.txt"));
        assert!(!is_temp_name("a.tmp-1"), "only hidden names");
    }
}
