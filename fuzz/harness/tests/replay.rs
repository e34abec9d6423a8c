//! Every committed input of every fuzz target, replayed on stable without
//! libFuzzer: the seeds (`fuzz/seeds/<target>/`) and the inputs that once
//! crashed, hung or ran out of memory (`fuzz/regressions/<target>/`), each
//! through the target's own function. A panic anywhere (in the code under
//! test, in a thread it started, or an invariant the target checks) fails
//! the test and names the file.

use owncast_plugin_fuzz::{count_panics, TARGETS};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let run = TARGETS.iter().find(|(n, _)| *n == target).unwrap_or_else(|| panic!("no target {target}")).1;
    let seeds = files_in(&fuzz_dir().join("seeds").join(target));
    assert!(!seeds.is_empty(), "fuzz/seeds/{target} has no seeds (cargo run -p owncast-plugin-fuzz --bin fuzz-seeds)");
    let regressions = files_in(&fuzz_dir().join("regressions").join(target));
    let panics = count_panics();
    let mut failed = Vec::new();
    for file in seeds.iter().chain(&regressions) {
        let data = std::fs::read(file).unwrap();
        let before = panics.load(Ordering::SeqCst);
        let outcome = std::panic::catch_unwind(|| run(&data));
        if outcome.is_err() || panics.load(Ordering::SeqCst) != before {
            failed.push(file.strip_prefix(fuzz_dir()).unwrap_or(file).display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: these inputs fail (the panics are printed above): {failed:?}");
    eprintln!("{target}: {} seeds and {} regression inputs pass", seeds.len(), regressions.len());
}

#[test]
fn manifest_inputs_replay() {
    replay("manifest");
}

#[test]
fn package_inputs_replay() {
    replay("package");
}

#[test]
fn scenario_inputs_replay() {
    replay("scenario");
}

#[test]
fn events_inputs_replay() {
    replay("events");
}

#[test]
fn extism_kernel_inputs_replay() {
    replay("extism_kernel");
}

#[test]
fn http_server_inputs_replay() {
    replay("http_server");
}

#[test]
fn admin_api_inputs_replay() {
    replay("admin_api");
}

/// The cargo-fuzz crate (not built by CI: it needs nightly and libFuzzer)
/// has one binary per target, each running the target's function, and no
/// other; every target has its seeds.
#[test]
fn every_target_has_a_fuzz_binary_and_seeds() {
    let cargo = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let mut bins: Vec<String> = cargo
        .lines()
        .filter_map(|l| l.strip_prefix("name = \"").and_then(|r| r.strip_suffix('"')))
        .filter(|n| !n.starts_with("owncast-"))
        .map(str::to_string)
        .collect();
    bins.sort();
    let mut names: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    names.sort();
    assert_eq!(bins, names, "fuzz/Cargo.toml's [[bin]]s are not the targets of TARGETS");
    for (name, _) in TARGETS {
        let src = std::fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz/fuzz_targets/{name}.rs: {e}"));
        assert!(
            src.contains(&format!("owncast_plugin_fuzz::{name}(data)")),
            "fuzz_targets/{name}.rs runs another function"
        );
        assert!(fuzz_dir().join("seeds").join(name).is_dir(), "no fuzz/seeds/{name}");
    }
}
