//! The committed header is what cbindgen generates from the sources.

use std::path::Path;

#[test]
fn header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen could not read embed/capi/src");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = dir.join("include/owncast_plugin.h");
    if std::env::var_os("OWNCAST_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not what cbindgen generates from embed/capi/src; regenerate it with\n  \
         OWNCAST_BLESS=1 cargo test -p owncast-plugin-capi --test header\n--- generated ---\n{}",
        path.display(),
        String::from_utf8_lossy(&generated)
    );
}
