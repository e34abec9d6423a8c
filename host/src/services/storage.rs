//! Where plugins keep their data on disk, as upstream lays it out (owncast/plugin-sdk
//! `docs/WIRE_PROTOCOL.md`, `storage.fs` and `storage.sql`) under the host's
//! data directory, which is `data/plugin-storage/` in Owncast and `owncast-plugin run`:
//!
//! - `<root>/<slug>/files/`: the `storage.fs` sandbox (its quota counts this only);
//! - `<root>/<slug>/db/plugin.db`: the `storage.sql` database, a path the
//!   `storage.fs` API cannot express;
//!
//! so deleting `<root>/<slug>/` reclaims everything the plugin stored on disk.
//!
//! Earlier versions of this host kept files in `<old>/<slug>/` and the database
//! in `<old>/<slug>.sql/plugin.db` (`data/plugin-data/`): [`migrate_legacy_layout`]
//! moves them.

use std::io;
use std::path::{Path, PathBuf};

/// Everything `slug` stores on disk.
pub fn plugin_dir(root: &Path, slug: &str) -> PathBuf {
    root.join(slug)
}

/// The root of `slug`'s `storage.fs` sandbox.
pub fn files_dir(root: &Path, slug: &str) -> PathBuf {
    plugin_dir(root, slug).join("files")
}

/// `slug`'s SQLite database.
pub fn db_file(root: &Path, slug: &str) -> PathBuf {
    plugin_dir(root, slug).join("db").join("plugin.db")
}

/// What [`migrate_legacy_layout`] did.
#[derive(Debug, Default, PartialEq)]
pub struct Migration {
    /// `(from, to)` of every directory moved.
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// `(from, to)` left where they were because `to` already exists.
    pub kept: Vec<(PathBuf, PathBuf)>,
}

/// Moves the data of this host's earlier layout under `old` into upstream's
/// under `new`: `<old>/<slug>/` becomes `<new>/<slug>/files/` and
/// `<old>/<slug>.sql/` (the database and its journal) `<new>/<slug>/db/`.
/// Nothing is overwritten: a target that exists is reported in
/// [`Migration::kept`] and its source stays. Entries whose name is not a
/// plugin's are left alone; `old` is removed once empty. A missing `old` (a
/// new installation, or one migrated before) is nothing to do.
pub fn migrate_legacy_layout(old: &Path, new: &Path) -> io::Result<Migration> {
    let mut done = Migration::default();
    if old == new {
        return Ok(done);
    }
    let entries = match std::fs::read_dir(old) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(done),
        Err(e) => return Err(with_path(e, old)),
    };
    let mut sources = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| with_path(e, old))?;
        if !entry.file_type().map_err(|e| with_path(e, &entry.path()))?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let (slug, to) = match name.strip_suffix(".sql") {
            Some(slug) => (slug.to_string(), db_file(new, slug).parent().map(Path::to_path_buf)),
            None => (name.clone(), Some(files_dir(new, &name))),
        };
        if owncast_plugin_contract::manifest::validate_slug(&slug).is_err() {
            continue;
        }
        if let Some(to) = to {
            sources.push((entry.path(), to));
        }
    }
    sources.sort();
    for (from, to) in sources {
        if to.exists() {
            tracing::warn!("storage: {} was not moved: {} already exists", from.display(), to.display());
            done.kept.push((from, to));
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        }
        std::fs::rename(&from, &to)
            .map_err(|e| io::Error::new(e.kind(), format!("moving {} to {}: {e}", from.display(), to.display())))?;
        tracing::info!("storage: moved {} to {}", from.display(), to.display());
        done.moved.push((from, to));
    }
    if std::fs::read_dir(old).map(|mut d| d.next().is_none()).unwrap_or(false) {
        let _ = std::fs::remove_dir(old);
    }
    Ok(done)
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn the_earlier_layout_moves_into_upstreams() {
        let d = tempfile::tempdir().unwrap();
        let (old, new) = (d.path().join("plugin-data"), d.path().join("plugin-storage"));
        write(&old.join("notes/today/a.txt"), "a");
        write(&old.join("notes.sql/plugin.db"), "db");
        write(&old.join("notes.sql/plugin.db-wal"), "wal");
        write(&old.join("solo.sql/plugin.db"), "solo");
        write(&old.join("Not A Slug/x"), "x");
        write(&old.join("stray.txt"), "s");
        let m = migrate_legacy_layout(&old, &new).unwrap();
        assert_eq!(m.moved.len(), 3, "{m:?}");
        assert!(m.kept.is_empty());
        assert_eq!(std::fs::read_to_string(files_dir(&new, "notes").join("today/a.txt")).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(db_file(&new, "notes")).unwrap(), "db");
        assert_eq!(std::fs::read_to_string(new.join("notes/db/plugin.db-wal")).unwrap(), "wal");
        assert_eq!(std::fs::read_to_string(db_file(&new, "solo")).unwrap(), "solo");
        assert!(!files_dir(&new, "solo").exists());
        // What is not a plugin's stays, and so does the old folder holding it.
        assert!(old.join("Not A Slug/x").is_file() && old.join("stray.txt").is_file());
        assert!(!old.join("notes").exists() && !old.join("notes.sql").exists());
        // Again: nothing left to move.
        assert_eq!(migrate_legacy_layout(&old, &new).unwrap(), Migration::default());
    }

    #[test]
    fn nothing_is_overwritten_and_an_emptied_folder_goes() {
        let d = tempfile::tempdir().unwrap();
        let (old, new) = (d.path().join("plugin-data"), d.path().join("plugin-storage"));
        write(&old.join("p/a.txt"), "old");
        write(&files_dir(&new, "p").join("a.txt"), "new");
        let m = migrate_legacy_layout(&old, &new).unwrap();
        assert_eq!(m.kept, vec![(old.join("p"), files_dir(&new, "p"))]);
        assert_eq!(std::fs::read_to_string(files_dir(&new, "p").join("a.txt")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(old.join("p/a.txt")).unwrap(), "old");
        std::fs::remove_dir_all(old.join("p")).unwrap();
        migrate_legacy_layout(&old, &new).unwrap();
        assert!(!old.exists(), "an empty legacy folder is removed");
        // A new installation has no legacy folder.
        assert_eq!(migrate_legacy_layout(&d.path().join("none"), &new).unwrap(), Migration::default());
    }
}
