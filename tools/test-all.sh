#!/usr/bin/env bash
# Runs every test of the project, from a fresh clone: installs what is
# missing (Debian guest toolchain, npm packages), builds every guest plugin,
# then runs the Rust tests, the scenario tests of every plugin and the JS SDK
# tests. This is the README's test command and what CI runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Tests that need built guests fail when they are missing (the default;
# only OWNCAST_SKIP_MISSING_GUESTS=1 skips them): make sure it is not set here.
unset OWNCAST_SKIP_MISSING_GUESTS
step() { printf '\n==> %s\n' "$*"; }
start=$SECONDS

step "house style: cargo fmt --check"
cargo fmt --all --check

step "guest toolchain"
tools/guest-env.sh >/dev/null

step "Rust component examples (examples/rust)"
tools/build-rust-guests.sh

if [ -x tools/build-extism-fixtures.sh ]; then
  step "legacy Extism fixtures (compat-extism/fixtures)"
  tools/build-extism-fixtures.sh
fi

if [ -x tools/build-js-examples.sh ]; then
  step "JS engine and examples (examples/js)"
  tools/build-js-examples.sh
fi

if [ -x tools/build-python-examples.sh ]; then
  step "Python SDK toolchain and examples (sdks/python, examples/python; componentize-py from PyPI)"
  tools/build-python-examples.sh
fi

step "cargo build"
cargo build --workspace --all-targets

step "house style: cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "generated contract documents are current"
target/debug/owncast-plugin contract --md docs/WIRE_PROTOCOL.md --ts sdks/js/types/contract.d.ts \
  --py sdks/python/owncast_plugin/_contract.py --engine-imports sdks/js/engine/src/host_imports.rs --check

step "JS SDK tests (sdks/js)"
tools/build-js-engine.sh
(cd sdks/js && { [ -d node_modules ] || npm install --no-audit --no-fund; } && npm test)

step "Python SDK tests (sdks/python)"
(eval "$(tools/python-env.sh)" &&
  OWNCAST_PLUGIN_BIN="$ROOT/target/debug/owncast-plugin" "$OWNCAST_PYTHON" -W ignore::ResourceWarning \
    -m unittest discover -s sdks/python/tests -t sdks/python/tests)

step "cargo test"
cargo test --workspace

step "Go embedding (embed/go: go test -race; examples/go-embed; installs golang-go when missing)"
tools/test-go.sh

step "dev-server browser test (chromium + playwright-core)"
cli/tests/browser/run.sh

step "plugin scenario tests"
dirs=()
# Plugin folders only (a `target/` left by a native `cargo test` of an example is not one).
for d in examples/rust/*/; do [ -f "$d/plugin.manifest.json" ] && dirs+=("$d"); done
[ -d compat-extism/fixtures ] && for d in compat-extism/fixtures/*/; do [ -f "$d/plugin.manifest.json" ] && dirs+=("$d"); done
[ -d examples/js ] && for d in examples/js/*/; do [ -f "$d/plugin.manifest.json" ] && dirs+=("$d"); done
[ -d examples/python ] && for d in examples/python/*/; do [ -f "$d/plugin.manifest.json" ] && dirs+=("$d"); done
target/debug/owncast-plugin test "${dirs[@]}"

echo "test-all: done in $((SECONDS - start)) s"
