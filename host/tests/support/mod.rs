//! Helpers shared by the host's integration tests.
#![allow(dead_code)]

use owncast_plugin_host::{PluginBundle, Runtime, RuntimeConfig};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// One engine for all tests of a binary (as in production: one per process).
pub fn runtime() -> Arc<Runtime> {
    static RT: OnceLock<Arc<Runtime>> = OnceLock::new();
    RT.get_or_init(|| Runtime::new(RuntimeConfig { max_instances: 100, ..Default::default() }).unwrap()).clone()
}

/// A built guest plugin directory (`tools/build-rust-guests.sh`). `None`
/// (test skipped) when it is not built, unless OWNCAST_REQUIRE_GUESTS is set (CI).
fn built(dir: &Path) -> Option<PluginBundle> {
    match PluginBundle::from_dir(dir) {
        Ok(b) => Some(b),
        Err(e) if std::env::var_os("OWNCAST_REQUIRE_GUESTS").is_none() => {
            eprintln!("skipping: {e} (run tools/build-rust-guests.sh)");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// A Rust example from examples/rust.
pub fn example(name: &str) -> Option<PluginBundle> {
    built(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/rust").join(name))
}

/// A test-only guest from host/tests/guests.
pub fn test_guest(name: &str) -> Option<PluginBundle> {
    built(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/guests").join(name))
}

/// Replaces the bundle's manifest (as JSON text).
pub fn with_manifest(mut b: PluginBundle, manifest: &str) -> PluginBundle {
    b.manifest = manifest.as_bytes().to_vec();
    b
}
