#!/usr/bin/env bash
# The README's main command: sets up everything a fresh clone needs (guest
# toolchain, example plugins, the CLI) and runs the demo: a simulated chat
# stream through the example plugins' filter chain and notifications.
#
#     tools/demo.sh            # Rust examples (and the JS ones once built)
#     tools/demo.sh --js       # also build and use the JavaScript examples
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

say "guest toolchain (installs Debian packages on first run)"
tools/guest-env.sh >/dev/null
say "building the Rust example plugins"
tools/build-rust-guests.sh
dirs=(examples/rust)
if [ "${1:-}" = "--js" ] && [ -x tools/build-js-examples.sh ]; then
  say "building the JavaScript example plugins"
  tools/build-js-examples.sh
  dirs=(examples/js)
fi
say "building the host and CLI"
cargo build --quiet -p owncast-plugin-cli
say "demo"
exec target/debug/owncast-plugin demo "${dirs[@]}"
