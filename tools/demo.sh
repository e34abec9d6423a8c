#!/usr/bin/env bash
# The README's main command. Sets up everything a fresh clone needs (guest
# toolchain, the JS engine and SDK, the example plugins, the CLI), runs the
# demo -- a simulated chat stream through the example plugins -- and then
# starts the full host on an embedded store with those plugins, so you can
# open them in a browser (Ctrl-C stops it).
#
#     tools/demo.sh              # JavaScript examples (examples/js)
#     tools/demo.sh --rust       # Rust component examples (examples/rust)
#     tools/demo.sh --python     # Python component examples (examples/python; componentize-py from PyPI)
#     tools/demo.sh --go         # the host embedded in a Go server (examples/go-embed)
#     tools/demo.sh --no-serve   # only the chat-stream demo
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
set_name=js
serve=1
go=0
for arg in "$@"; do
  case "$arg" in
    --rust) set_name=rust ;;
    --python) set_name=python ;;
    --go) go=1 ;;
    --no-serve) serve=0 ;;
    *) echo "usage: tools/demo.sh [--rust | --python | --go] [--no-serve]" >&2; exit 2 ;;
  esac
done
# Nobody to open a browser in CI or without a terminal.
if [ -n "${CI:-}" ] || [ ! -t 0 ]; then serve=0; fi

say "guest toolchain (installs Debian packages on first run)"
tools/guest-env.sh >/dev/null
say "building the Rust example plugins"
tools/build-rust-guests.sh
if [ "$set_name" = js ]; then
  say "building the JavaScript engine, SDK and example plugins"
  tools/build-js-examples.sh
fi
if [ "$set_name" = python ]; then
  say "building the Python example plugins (installs componentize-py and the SDK in target/python on first run)"
  tools/build-python-examples.sh
fi
if [ "$go" = 1 ]; then
  say "Go toolchain (installs Debian's golang-go on first run)"
  tools/go-env.sh
  say "building the host's C ABI library (embed/capi)"
  cargo build --quiet -p owncast-plugin-capi
  export GOPROXY=off GOFLAGS=-mod=mod
  say "examples/go-embed: a Go server standing in for Owncast, plugins from examples/$set_name"
  cd examples/go-embed
  rm -rf ../../data/go-embed
  go run . -plugins "../$set_name" -data ../../data/go-embed -script
  if [ "$serve" = 1 ]; then
    say "serving the Go server with the plugins mounted (admin password: demo)"
    echo "    try http://127.0.0.1:8080/ (chat), http://127.0.0.1:8080/plugins/overlay/"
    exec go run . -plugins "../$set_name" -data ../../data/go-embed -listen 127.0.0.1:8080 -password demo
  fi
  exit 0
fi
say "building the host and CLI"
cargo build --quiet -p owncast-plugin-cli
say "demo: a simulated chat stream through examples/$set_name"
target/debug/owncast-plugin demo "examples/$set_name"

if [ "$serve" = 1 ]; then
  say "the full host with examples/$set_name (embedded store in data/demo, admin password: demo)"
  echo "    try http://127.0.0.1:8080/plugins/overlay/ and http://127.0.0.1:8080/api/plugins/actions"
  # The password goes through the environment: a command line is readable by every user.
  export OWNCAST_ADMIN_PASSWORD=demo
  exec target/debug/owncast-plugin run --plugins "examples/$set_name" --data data/demo \
    --listen 127.0.0.1:8080 --enable-all
fi
