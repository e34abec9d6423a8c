#!/usr/bin/env bash
# Builds every Python example plugin (examples/python/*) into its own
# directory as <slug>.wasm, a component of the world derived from its
# manifest's permissions (see sdks/python), so each example directory is a
# loadable plugin directory. Used by CI (tools/test-all.sh).
#
#     tools/build-python-examples.sh              # all examples
#     tools/build-python-examples.sh echo-bot     # some of them
#
# Sets up the toolchain first (tools/python-env.sh: componentize-py and the
# SDK in target/python). A build whose inputs did not change is skipped, so a
# second run takes seconds; each real build takes about 8 s of CPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXAMPLES="$ROOT/examples/python"

die() { echo "build-python-examples: error: $*" >&2; exit 1; }
say() { echo "build-python-examples: $*" >&2; }

eval "$("$ROOT/tools/python-env.sh")" || die "tools/python-env.sh failed"

dirs=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    d="$EXAMPLES/${name%/}"
    [ -f "$d/src/plugin.py" ] || die "$d is not a Python example (no src/plugin.py)"
    dirs+=("$d")
  done
else
  for d in "$EXAMPLES"/*/; do
    [ -f "$d/src/plugin.py" ] && dirs+=("${d%/}")
  done
fi
[ ${#dirs[@]} -gt 0 ] || die "no examples found in $EXAMPLES"

for d in "${dirs[@]}"; do
  name="$(basename "$d")"
  out="$(nice "$OWNCAST_PYTHON" -m owncast_plugin build "$d" 2>&1)" || { echo "$out" >&2; die "$name: build failed"; }
  echo "$out" | sed "s|^|build-python-examples: $name: |" >&2
done
say "${#dirs[@]} example(s) ready"
