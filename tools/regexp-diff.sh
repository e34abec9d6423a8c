#!/usr/bin/env bash
# Differential test of a QuickJS patch to libregexp (sdks/js/engine/patches):
# random patterns and texts matched by libregexp with and without the patch
# must give the same matches and captures. Native build (cc), not part of
# CI; the engine's V8-comparison tests are.
#
#     tools/regexp-diff.sh [PATCH] [COUNT] [SEED]
#
# PATCH: a file of sdks/js/engine/patches (default: the newest one that
# changes libregexp.c), taken back out of the patched QuickJS that
# tools/build-js-engine.sh prepared (run it once first). COUNT: cases
# (default 3000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PATCHES="$ROOT/sdks/js/engine/patches"
QJS="$ROOT/sdks/js/engine/vendor/rquickjs-sys/quickjs"
HERE="$ROOT/tools/regexp-diff"

patch_file="${1:-$(grep -l '^+++ b/quickjs/libregexp.c' "$PATCHES"/*.patch | tail -1)}"
[ -f "$patch_file" ] || patch_file="$PATCHES/$patch_file"
[ -f "$patch_file" ] || { echo "regexp-diff: no patch ${1:-}" >&2; exit 2; }
[ -f "$QJS/libregexp.c" ] || { echo "regexp-diff: run tools/build-js-engine.sh first ($QJS)" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/quickjs"
cp "$QJS"/*.c "$QJS"/*.h "$tmp/src/quickjs/"
patch -s -R -p1 -d "$tmp/src" <"$patch_file" ||
  { echo "regexp-diff: $patch_file does not come back out of $QJS" >&2; exit 2; }
for side in before after; do
  src="$tmp/src/quickjs"
  [ "$side" = after ] && src="$QJS"
  cc -O1 -w -I"$src" -o "$tmp/driver-$side" "$HERE/driver.c" "$src/libregexp.c" "$src/libunicode.c" -lm
done
echo "regexp-diff: $(basename "$patch_file"), before and after"
python3 "$HERE/cases.py" "$tmp/driver-before" "$tmp/driver-after" "${2:-3000}" "${3:-1}"
