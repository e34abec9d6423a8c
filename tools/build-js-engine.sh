#!/usr/bin/env bash
# Builds the Owncast JavaScript engine (sdks/js/engine: QuickJS-NG + Extism
# PDK, wasm32-wasip1) with the guest toolchain and copies it to
# sdks/js/engine/dist/owncast-js-engine.wasm, where `owncast-plugin build`
# looks for it.
#
#   tools/build-js-engine.sh            # release build
#   JOBS=1 tools/build-js-engine.sh     # limit parallel compile jobs
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENGINE="$ROOT/sdks/js/engine"
DIST="$ENGINE/dist"

eval "$("$ROOT/tools/guest-env.sh")"

# QuickJS's C (built by rquickjs-sys with cc): -O2 and bulk memory
# instructions (memcpy/memset as memory.copy/fill). rquickjs-sys passes the
# sysroot in CFLAGS; the target's own variable replaces that, so it carries
# the sysroot too. A filter call of the profanity-filter example runs about
# 2% fewer instructions than with cc's default -O3 and no bulk memory.
export CFLAGS_wasm32_wasip1="--sysroot=$WASI_SDK/share/wasi-sysroot -O2 -mbulk-memory"

# rquickjs-sys with the engine's QuickJS patches (sdks/js/engine/patches/,
# applied in name order): the crate's published source, checked against its
# crates.io checksum, patched into sdks/js/engine/vendor/rquickjs-sys, which
# the engine's Cargo.toml uses in place of the registry's ([patch]). Redone
# when a patch changes.
QJS_CRATE=rquickjs-sys-0.14.0
QJS_SHA256=cee271d0eeba64f0915b846cb7ae02e16faf3dfdffdca91731101d9d30fe3423
prepare_quickjs() {
  local vendor="$ENGINE/vendor/rquickjs-sys" stamp want crate tmp p
  want="$QJS_SHA256 $(cat "$ENGINE"/patches/*.patch | sha256sum | cut -d' ' -f1)"
  stamp="$vendor/.owncast-patches"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  tmp="$(mktemp -d)"
  crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$QJS_CRATE.crate" 2>/dev/null | head -1 || true)"
  if [ -z "$crate" ]; then
    crate="$tmp/$QJS_CRATE.crate"
    curl -sSfL --retry 3 -o "$crate" "https://static.crates.io/crates/rquickjs-sys/$QJS_CRATE.crate" ||
      { echo "build-js-engine: could not download $QJS_CRATE from crates.io" >&2; exit 1; }
  fi
  echo "$QJS_SHA256  $crate" | sha256sum -c --quiet - ||
    { echo "build-js-engine: $crate does not have $QJS_CRATE's crates.io checksum" >&2; exit 1; }
  mkdir -p "$tmp/src"
  tar -xzf "$crate" -C "$tmp/src" --strip-components=1
  for p in "$ENGINE"/patches/*.patch; do
    patch -s -p1 -d "$tmp/src" <"$p" ||
      { echo "build-js-engine: $p does not apply to $QJS_CRATE" >&2; exit 1; }
  done
  echo "$want" >"$tmp/src/.owncast-patches"
  rm -rf "$vendor"
  mkdir -p "$(dirname "$vendor")"
  mv "$tmp/src" "$vendor"
  rm -rf "$tmp"
  # rquickjs-sys's build script names no source files to watch, so cargo
  # would keep the QuickJS it compiled before this patch set: drop it.
  (cd "$ENGINE" && $GUEST_CARGO clean -q -p rquickjs-sys --release --target wasm32-wasip1 \
    --target-dir "$GUEST_TARGET_DIR")
  echo "build-js-engine: $QJS_CRATE patched ($(ls "$ENGINE"/patches/*.patch | wc -l) patches)"
}
prepare_quickjs

jobs_flag=()
if [ -n "${JOBS:-}" ]; then jobs_flag=(-j "$JOBS"); fi

# shellcheck disable=SC2086  # GUEST_CARGO_FLAGS is a word list
(cd "$ENGINE" && nice -n 10 $GUEST_CARGO build $GUEST_CARGO_FLAGS --release \
  --target wasm32-wasip1 --target-dir "$GUEST_TARGET_DIR" "${jobs_flag[@]}" 2>&1 ||
  { echo "build-js-engine: cargo build failed" >&2; exit 1; })

OUT="$GUEST_TARGET_DIR/wasm32-wasip1/release/owncast_js_engine.wasm"
[ -f "$OUT" ] || { echo "build-js-engine: $OUT was not produced" >&2; exit 1; }
mkdir -p "$DIST"
cp "$OUT" "$DIST/owncast-js-engine.wasm"
size=$(wc -c <"$DIST/owncast-js-engine.wasm")
echo "build-js-engine: $DIST/owncast-js-engine.wasm ($size bytes)"
