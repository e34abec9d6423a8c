//! What each fuzz target runs, one function per target, shared by the
//! cargo-fuzz crate (`fuzz/fuzz_targets/*.rs`, built on nightly with
//! libFuzzer) and the replay tests (`tests/replay.rs`, ordinary `#[test]`s on
//! stable that run every committed seed and regression input through the
//! same functions).
//!
//! Each function feeds its bytes to the code production uses for that input
//! and panics only on a bug: a panic in the code under test, a broken
//! invariant checked here (named in the message), or a hang past a generous
//! bound. Errors the code returns for bad input are the expected outcome.
//!
//! | target | input | through |
//! | --- | --- | --- |
//! | `manifest` | `plugin.manifest.json` bytes | `Manifest::parse`, then its registration checked against itself |
//! | `package` | `.ocpkg` bytes | `package::read_package` with the default limits, then `extract` into a temporary folder |
//! | `scenario` | a `*.test.json` file | `owncast_plugin_scenario::format::parse` |
//! | `events` | selector byte + payload text | `Event::from_text`, the legacy envelope, the typed record and back, a legacy filter result |
//! | `extism_kernel` | a program of kernel calls | a legacy module (WAT) that runs it against its instance's kernel memory |
//! | `http_server` | raw bytes of one connection | `PluginServer::serve_stream`: hyper, routing, `public/` files, a plugin handler |
//! | `admin_api` | selector byte + JSON body | `PluginServer::handle` as the admin: approve and config `PUT`/`POST` |

mod admin;
mod events;
mod fixtures;
mod http;
mod kernel;

pub use admin::admin_api;
pub use events::events;
pub use fixtures::{fixture_dir, FIXTURE};
pub use http::http_server;
pub use kernel::{extism_kernel, KERNEL_WAT};

use owncast_plugin_host::manifest::Manifest;
use owncast_plugin_manager::package::{read_package, PackageLimits};

/// What a target runs on one input.
pub type Target = fn(&[u8]);

/// Every target: its name (the file in `fuzz/fuzz_targets`, the folders in
/// `fuzz/seeds` and `fuzz/regressions`) and its function.
pub const TARGETS: &[(&str, Target)] = &[
    ("manifest", manifest),
    ("package", package),
    ("scenario", scenario),
    ("events", events),
    ("extism_kernel", extism_kernel),
    ("http_server", http_server),
    ("admin_api", admin_api),
];

/// `plugin.manifest.json`: parsed and validated; a manifest that parses must
/// accept the registration it describes itself (what a plugin without
/// `register()` is taken to report).
pub fn manifest(data: &[u8]) {
    let Ok(m) = Manifest::parse(data, "fuzz/plugin.manifest.json") else { return };
    let reg = m.registration();
    if let Err(e) = m.check_registration(&reg, "fuzz") {
        panic!("a parsed manifest refuses its own registration: {e}");
    }
    let _ = (m.bot_name(), m.filter_priority_for(&m.subscriptions, "chat.message.received"));
    // What the admin API and `contract` show of it.
    serde_json::to_string(&m).expect("manifests serialize");
}

/// An uploaded `.ocpkg`: read with the limits uploads get; a package that
/// reads extracts without error, and only inside its folder.
pub fn package(data: &[u8]) {
    let Ok(p) = read_package(data, "fuzz.ocpkg", &PackageLimits::default()) else { return };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let into = dir.path().join("unpacked");
    if let Err(e) = p.extract(&into) {
        panic!("a package that was read does not extract: {e}");
    }
    for (name, data) in &p.files {
        let on_disk = std::fs::read(into.join(name)).unwrap_or_else(|e| panic!("{name} was not extracted: {e}"));
        assert_eq!(&on_disk, data, "{name} extracted with other bytes");
    }
    assert_only_under(dir.path(), &into);
}

/// Fails when anything was written in `root` outside `inside`.
fn assert_only_under(root: &std::path::Path, inside: &std::path::Path) {
    for e in std::fs::read_dir(root).expect("the temporary folder lists") {
        let p = e.expect("an entry").path();
        assert_eq!(p, inside, "extract wrote {} outside its folder", p.display());
    }
}

/// A scenario file (`__tests__/*.test.json`), parsed and checked as
/// `owncast-plugin test` reads it.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = owncast_plugin_scenario::format::parse(text, "fuzz.test.json");
}

/// A panic in any thread fails the replay tests (libFuzzer's own hook
/// aborts on one): counts panics, then runs the previous hook.
pub fn count_panics() -> &'static std::sync::atomic::AtomicUsize {
    static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            previous(info)
        }));
    });
    &PANICS
}

/// The tokio runtime the async targets share (multi-threaded as in
/// production: Owncast callbacks run under `block_in_place`).
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
    })
}
