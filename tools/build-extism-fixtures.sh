#!/usr/bin/env bash
# Builds the legacy (Extism ABI) test plugins in compat-extism/fixtures with
# the guest toolchain (wasm32-wasip1 core modules, written with extism-pdk)
# and copies each next to its manifest as compat-extism/fixtures/<dir>/<slug>.wasm,
# so each fixture directory is a loadable plugin directory that
# `owncast-plugin test` and the compat-extism tests run.
#
#     tools/build-extism-fixtures.sh
#
# Environment: CARGO_BUILD_JOBS=1 limits parallel compile jobs.
# Idempotent: a second run rebuilds nothing and copies the same files.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="$ROOT/compat-extism/fixtures"
TARGET=wasm32-wasip1

die() { echo "build-extism-fixtures: error: $*" >&2; exit 1; }
say() { echo "build-extism-fixtures: $*" >&2; }

ENV_LINES="$("$ROOT/tools/guest-env.sh")" || die "tools/guest-env.sh failed"
eval "$ENV_LINES"
say "toolchain route: $GUEST_ROUTE; guest target dir: $GUEST_TARGET_DIR"

# shellcheck disable=SC2086  # GUEST_CARGO_FLAGS is a list of flags
(cd "$FIXTURES" && "$GUEST_CARGO" build --release $GUEST_CARGO_FLAGS --target "$TARGET" \
  --target-dir "$GUEST_TARGET_DIR" --workspace) || die "the fixtures (compat-extism/fixtures) did not build"

OUT="$GUEST_TARGET_DIR/$TARGET/release"
built=()
for dir in "$FIXTURES"/*/; do
  dir="${dir%/}"
  name="$(basename "$dir")"
  [ -f "$dir/Cargo.toml" ] || continue
  [ -f "$dir/plugin.manifest.json" ] || die "fixtures/$name has no plugin.manifest.json"
  crate="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$dir/Cargo.toml" | head -n1)"
  artifact="$OUT/${crate//-/_}.wasm"
  [ -f "$artifact" ] || die "fixtures/$name: no module at $artifact"
  slug="$(sed -n 's/^ *"slug": *"\([a-z0-9-]*\)".*/\1/p' "$dir/plugin.manifest.json" | head -n1)"
  [[ "$slug" =~ ^[a-z0-9-]+$ ]] || die "fixtures/$name: no slug in plugin.manifest.json"
  # A core module (version 1), not a component.
  magic="$(head -c 8 "$artifact" | od -An -tx1 | tr -d ' \n')"
  [ "$magic" = "0061736d01000000" ] || die "fixtures/$name: $artifact is not a WebAssembly core module"
  for old in "$dir"/*.wasm; do
    [ -e "$old" ] && [ "$old" != "$dir/$slug.wasm" ] && rm -f "$old"
  done
  cp "$artifact" "$dir/$slug.wasm.tmp" && mv "$dir/$slug.wasm.tmp" "$dir/$slug.wasm"
  echo "built compat-extism/fixtures/$name/$slug.wasm ($(wc -c < "$dir/$slug.wasm") bytes)"
  built+=("$name")
done
[ "${#built[@]}" -gt 0 ] || die "no fixtures found under compat-extism/fixtures"
say "done: ${#built[@]} fixture(s): ${built[*]}"
