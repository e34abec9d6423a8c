#!/usr/bin/env bash
# Finds or installs the toolchain that builds WebAssembly guests (Rust
# components, Extism-ABI fixtures, the JavaScript engine) and prints the
# environment a guest build needs, as `export` lines:
#
#     eval "$(tools/guest-env.sh)"
#     $GUEST_CARGO build $GUEST_CARGO_FLAGS --target wasm32-wasip2 --target-dir "$GUEST_TARGET_DIR"
#
# Run it in a subshell: it puts Debian's cargo first on PATH.
#
# Route 1: rustup with the wasm32-wasip1/wasip2 targets and a wasi-sdk
# (WASI_SDK or /opt/wasi-sdk) -- a developer laptop.
# Route 2: Debian's rustc-web + rust-web-src + clang-19 + wasi-libc, building
# std from source with -Zbuild-std (machines where rustup cannot add targets).
# Idempotent: a second run installs nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC="$ROOT/.toolchain"
log() { echo "guest-env: $*" >&2; }

rustup_route() {
  command -v rustup >/dev/null 2>&1 || return 1
  local installed
  installed="$(rustup target list --installed 2>/dev/null || true)"
  grep -q wasm32-wasip1 <<<"$installed" && grep -q wasm32-wasip2 <<<"$installed" || return 1
  local sdk="${WASI_SDK:-/opt/wasi-sdk}"
  [ -x "$sdk/bin/clang" ] || return 1
  echo "export GUEST_ROUTE=rustup"
  echo "export GUEST_CARGO=cargo"
  echo "export GUEST_CARGO_FLAGS=''"
  echo "export WASI_SDK='$sdk'"
  echo "export GUEST_TARGET_DIR='$ROOT/target-guest'"
}

debian_route() {
  local pkgs="rustc-web cargo-web rust-web-src clang-19 lld-19 llvm-19 wasi-libc patch curl"
  local missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    log "installing Debian packages:$missing"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
  fi
  # wasm-component-ld wants a program called wasm-ld on PATH.
  mkdir -p "$TC/bin" "$TC/wasi-sdk/bin" "$TC/wasi-sdk/share/wasi-sysroot/lib"
  ln -sf /usr/bin/wasm-ld-19 "$TC/bin/wasm-ld"
  # A wasi-sdk-shaped directory for C builds (rquickjs-sys reads WASI_SDK).
  printf '#!/bin/sh\nexec clang-19 "$@"\n' > "$TC/wasi-sdk/bin/clang"
  printf '#!/bin/sh\nexec llvm-ar-19 "$@"\n' > "$TC/wasi-sdk/bin/ar"
  printf '#!/bin/sh\nexec llvm-ranlib-19 "$@"\n' > "$TC/wasi-sdk/bin/ranlib"
  chmod +x "$TC/wasi-sdk/bin/"*
  ln -sfn /usr/include/wasm32-wasi "$TC/wasi-sdk/share/wasi-sysroot/include"
  ln -sfn /usr/lib/wasm32-wasi "$TC/wasi-sdk/share/wasi-sysroot/lib/wasm32-wasi"
  ln -sfn /usr/lib/wasm32-wasi "$TC/wasi-sdk/share/wasi-sysroot/lib/wasm32-wasip1"
  echo "export GUEST_ROUTE=debian"
  echo "export PATH='$TC/bin':/usr/bin:\$PATH"
  echo "export GUEST_CARGO=/usr/bin/cargo"
  echo "export RUSTC=/usr/bin/rustc"
  echo "export RUSTC_BOOTSTRAP=1"
  echo "export GUEST_CARGO_FLAGS='-Zbuild-std=std,panic_abort'"
  echo "export WASI_SDK='$TC/wasi-sdk'"
  echo "export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS='-C linker=wasm-ld-19 -C link-self-contained=no -L /usr/lib/wasm32-wasi'"
  echo "export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS='-L /usr/lib/wasm32-wasi'"
  echo "export GUEST_TARGET_DIR='$ROOT/target-guest'"
}

rustup_route || debian_route
