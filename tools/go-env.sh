#!/usr/bin/env bash
# Makes sure a Go toolchain is on PATH (Debian's golang-go, Go 1.19 on
# bookworm, when missing) and prints its version. The Go embedding
# (embed/go, examples/go-embed) needs only the standard library: nothing is
# downloaded (GOPROXY=off in the scripts that use it).
set -euo pipefail
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/lib/go/bin/go ]; then
    echo "go-env: Go is installed but not on PATH: add /usr/lib/go/bin" >&2
    exit 1
  fi
  command -v apt-get >/dev/null || { echo "go-env: no go, and no apt-get to install golang-go with" >&2; exit 1; }
  echo "go-env: installing golang-go (Debian)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y golang-go >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y golang-go >/dev/null; }
fi
go version
