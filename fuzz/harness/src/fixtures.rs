//! The built guest the HTTP and admin targets serve: the `kernel-tour`
//! legacy fixture (compat-extism/fixtures, built by
//! tools/build-extism-fixtures.sh), which answers `http.serve` requests and
//! declares settings, copied into a plugin folder with `public/` files, a
//! dotfile, a link out of the folder and a secret beside it.

use owncast_compat_extism::ExtismLoader;
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::Host;
use owncast_plugin_testing::SimulatedOwncast;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The fixture's directory name and slug.
pub const FIXTURE: &str = "kernel-tour";

/// Text in files no response may ever carry: the secret beside the plugin
/// folder (a `public/` link points to it), and a `public/` dotfile.
pub(crate) const SECRETS: &[&str] = &["OUTSIDE-SECRET-5f1c", "DOTFILE-SECRET-9b2e"];

/// The fixture's directory; panics (naming the build command) when its
/// module is not built, as the other tests of built guests do.
pub fn fixture_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../compat-extism/fixtures").join(FIXTURE);
    let wasm = dir.join(format!("{FIXTURE}.wasm"));
    assert!(wasm.is_file(), "{} is not built: run tools/build-extism-fixtures.sh", wasm.display());
    dir
}

/// A folder holding `plugins/kernel-tour/` (the fixture plus its `public/`
/// files) and `secret.txt` beside `plugins/`. Made once per process and kept
/// until it exits.
pub(crate) fn plugins_dir() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let root = tempfile::Builder::new().prefix("owncast-fuzz-").tempdir().expect("a temporary folder");
        let plugin = root.path().join("plugins").join(FIXTURE);
        let public = plugin.join("public");
        std::fs::create_dir_all(public.join("css")).unwrap();
        let src = fixture_dir();
        for f in ["plugin.manifest.json", &format!("{FIXTURE}.wasm")] {
            std::fs::copy(src.join(f), plugin.join(f)).unwrap();
        }
        let files: &[(&Path, &str)] = &[
            (&public.join("index.html"), "<!doctype html><title>tour</title><script src=\"app.js\"></script>"),
            (&public.join("app.js"), "console.log('tour');"),
            (&public.join("css/site.css"), "body { color: teal }"),
            (&public.join("data.json"), "{\"ok\": true}"),
            (&public.join(".hidden"), SECRETS[1]),
            (&plugin.join("INSTRUCTIONS.md"), "# Kernel tour\n\nSay `!count`.\n"),
            (&root.path().join("secret.txt"), SECRETS[0]),
        ];
        for (p, text) in files {
            std::fs::write(p, text).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("../../../secret.txt", public.join("link.txt")).unwrap();
        let plugins = root.path().join("plugins");
        (root, plugins)
    })
    .1
}

/// `plugins/kernel-tour/` of [`plugins_dir`].
pub(crate) fn plugin_dir() -> PathBuf {
    plugins_dir().join(FIXTURE)
}

/// A host for the fixture as production runs a legacy plugin: the simulated
/// Owncast, the network, the Extism loader (the HTTP and admin targets).
pub(crate) fn legacy_host() -> Host {
    Host::builder(Arc::new(SimulatedOwncast::demo()), Arc::new(NetworkOutbound))
        .loader(Arc::new(ExtismLoader::new()))
        .build()
        .expect("a host")
}
