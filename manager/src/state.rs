//! The manager's persistent state: which plugins the admin enabled and the
//! permission set approved for each. One JSON file, replaced atomically
//! (write a temporary file, flush it to disk, rename it over the old one,
//! flush the directory), so a crash leaves either the old or the new file,
//! never half of one.

use owncast_plugin_host::permissions::Permissions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const STATE_VERSION: u32 = 1;

pub use owncast_plugin_host::durable::write_atomic;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginState {
    /// The admin wants it running.
    pub enabled: bool,
    /// The permission set the admin approved (none yet when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<Permissions>,
    /// The version whose permissions were approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_version: Option<String>,
    /// `network.allowedHosts` of the approved version, to show what a new
    /// version adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_allowed_hosts: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateFile {
    pub version: u32,
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginState>,
}

impl Default for StateFile {
    fn default() -> Self {
        StateFile { version: STATE_VERSION, plugins: BTreeMap::new() }
    }
}

impl StateFile {
    /// Reads the file; a missing file is an empty state. A file that cannot
    /// be read as state is moved aside (`<name>.corrupt`) and the manager
    /// starts with everything disabled, the safe default.
    pub fn load(path: &Path) -> std::io::Result<StateFile> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StateFile::default()),
            Err(e) => return Err(e),
        };
        match serde_json::from_slice::<StateFile>(&text) {
            Ok(s) if s.version == STATE_VERSION => Ok(s),
            Ok(s) => {
                tracing::error!(file = %path.display(), "state version {} is not {STATE_VERSION}; starting with every plugin disabled", s.version);
                Self::set_aside(path);
                Ok(StateFile::default())
            }
            Err(e) => {
                tracing::error!(file = %path.display(), "unreadable plugin state ({e}); starting with every plugin disabled");
                Self::set_aside(path);
                Ok(StateFile::default())
            }
        }
    }

    fn set_aside(path: &Path) {
        let mut aside = path.as_os_str().to_owned();
        aside.push(".corrupt");
        let _ = std::fs::rename(path, PathBuf::from(aside));
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use owncast_plugin_host::permissions::Permission;

    #[test]
    fn round_trip_and_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".enabled.json");
        assert_eq!(StateFile::load(&p).unwrap(), StateFile::default());
        let mut s = StateFile::default();
        s.plugins.insert(
            "echo".into(),
            PluginState {
                enabled: true,
                approved: Some(Permissions::new([Permission::ChatSend])),
                approved_version: Some("1.0.0".into()),
                approved_allowed_hosts: None,
            },
        );
        s.save(&p).unwrap();
        assert_eq!(StateFile::load(&p).unwrap(), s);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [".enabled.json"]);
        // A half-written file (as a non-atomic writer might leave) is set aside.
        std::fs::write(&p, b"{\"version\":1,\"plug").unwrap();
        assert_eq!(StateFile::load(&p).unwrap(), StateFile::default());
        assert!(dir.path().join(".enabled.json.corrupt").exists());
    }
}
