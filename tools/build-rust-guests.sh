#!/usr/bin/env bash
# Builds the Rust plugin SDK (sdks/rust) and every Rust example plugin
# (examples/rust/*) as wasm32-wasip2 components, then puts each example's
# component next to its manifest as examples/rust/<dir>/<slug>.wasm, so each
# example directory is a loadable plugin directory (plugin.manifest.json +
# <slug>.wasm).
#
#     tools/build-rust-guests.sh
#
# Every component is checked: it must be a component (layer 1 header) and may
# import only the owncast:plugin interfaces its manifest's permissions allow
# (plus log/config/types and the host's sandboxed WASI).
#
# Environment:
#   CARGO_BUILD_JOBS=1          limit parallel compile jobs (cargo's own variable)
#   OWNCAST_GUEST_PANIC=        how a guest panic ends the call:
#     abort            (default) runs the SDK's panic hook first, which writes
#                      the message to stderr: the host logs it and puts it in
#                      the failed call's error the admin sees. std's panic
#                      machinery adds sandboxed WASI imports (wasi:cli,
#                      wasi:io, wasi:filesystem, ...).
#     immediate-abort  (needs a std built from source) traps at once;
#                      components import no WASI at all, only the owncast
#                      interfaces they use; panic messages are lost.
#   The guest workspaces' release profiles strip debug info but keep the
#   name section, so a trap's error names the guest function it happened in.
#
# Idempotent: a second run rebuilds nothing and copies the same files.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SDK="$ROOT/sdks/rust"
EXAMPLES="$ROOT/examples/rust"
TARGET=wasm32-wasip2

die() { echo "build-rust-guests: error: $*" >&2; exit 1; }
say() { echo "build-rust-guests: $*" >&2; }

# The checker is a native program: build it with the caller's toolchain,
# before the guest environment puts Debian's cargo first on PATH.
ENV_LINES="$("$ROOT/tools/guest-env.sh")" || die "tools/guest-env.sh failed"
GUEST_TARGET_DIR="$(eval "$ENV_LINES"; echo "$GUEST_TARGET_DIR")"
[ -n "$GUEST_TARGET_DIR" ] || die "tools/guest-env.sh did not set GUEST_TARGET_DIR"
say "building the import checker (tools/component-imports, native)"
cargo build --quiet --release --manifest-path "$ROOT/tools/component-imports/Cargo.toml" \
  --target-dir "$GUEST_TARGET_DIR/host-tools" || die "could not build tools/component-imports"
CHECK="$GUEST_TARGET_DIR/host-tools/release/component-imports"

eval "$ENV_LINES"
PANIC="${OWNCAST_GUEST_PANIC:-abort}"
case "$PANIC" in
  immediate-abort)
    case "$GUEST_CARGO_FLAGS" in *build-std*) ;; *) die "OWNCAST_GUEST_PANIC=immediate-abort needs a std built from source (-Zbuild-std); this toolchain route ($GUEST_ROUTE) has a prebuilt std" ;; esac
    export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="${CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS:-} -Zunstable-options -Cpanic=immediate-abort"
    export RUSTC_BOOTSTRAP=1 ;;
  abort) ;;
  *) die "OWNCAST_GUEST_PANIC must be immediate-abort or abort, not '$PANIC'" ;;
esac
say "toolchain route: $GUEST_ROUTE; guest target dir: $GUEST_TARGET_DIR; panic: $PANIC"

# shellcheck disable=SC2086  # GUEST_CARGO_FLAGS is a list of flags
guest_build() { "$GUEST_CARGO" build --release $GUEST_CARGO_FLAGS --target "$TARGET" --target-dir "$GUEST_TARGET_DIR" "$@"; }

say "building the SDK (sdks/rust)"
(cd "$SDK" && guest_build) || die "the SDK (sdks/rust) did not build"

OUT="$GUEST_TARGET_DIR/$TARGET/release"
built=()

# Builds one guest workspace and puts each member's component next to its
# manifest as <dir>/<slug>.wasm.
install_workspace() {
  local ws="$1" label="$2"
  say "building $label"
  (cd "$ws" && guest_build --workspace) || die "$label did not build"
  for dir in "$ws"/*/; do
    dir="${dir%/}"
    name="$(basename "$dir")"
    [ -f "$dir/Cargo.toml" ] || continue
    [ -f "$dir/plugin.manifest.json" ] || die "$label/$name has no plugin.manifest.json"
    crate="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$dir/Cargo.toml" | head -n1)"
    [ -n "$crate" ] || die "$label/$name/Cargo.toml: no package name"
    artifact="$OUT/${crate//-/_}.wasm"
    [ -f "$artifact" ] || die "$label/$name: no component at $artifact (is it a workspace member with crate-type cdylib?)"
    slug="$("$CHECK" slug "$dir/plugin.manifest.json")" || die "$label/$name: unreadable manifest"
    [[ "$slug" =~ ^[a-z0-9-]+$ ]] || die "$label/$name: bad slug '$slug'"
    # Only one component per plugin directory: remove stale ones (a renamed slug).
    for old in "$dir"/*.wasm; do
      [ -e "$old" ] && [ "$old" != "$dir/$slug.wasm" ] && rm -f "$old"
    done
    cp "$artifact" "$dir/$slug.wasm.tmp" && mv "$dir/$slug.wasm.tmp" "$dir/$slug.wasm"
    size="$(wc -c < "$dir/$slug.wasm")"
    echo "built $label/$name/$slug.wasm ($size bytes)"
    "$CHECK" "$dir/$slug.wasm" "$dir/plugin.manifest.json" \
      || die "$label/$name/$slug.wasm: imports do not match its manifest"
    built+=("$name")
  done
}

install_workspace "$EXAMPLES" "examples/rust"
install_workspace "$ROOT/host/tests/guests" "host/tests/guests"
[ "${#built[@]}" -gt 0 ] || die "no examples found under examples/rust"
say "done: ${#built[@]} plugin(s): ${built[*]}"
