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
