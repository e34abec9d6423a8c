#!/usr/bin/env bash
# Builds every JavaScript/TypeScript example plugin (examples/js/*) into its
# own directory as <slug>.wasm (+ <slug>.manifest.json), so each example
# directory is a loadable plugin directory (plugin.manifest.json + <slug>.wasm
# + optional public/). Used by CI (tools/test-all.sh).
#
#     tools/build-js-examples.sh              # all examples
#     tools/build-js-examples.sh echo-bot     # some of them
#
# Steps:
#   1. the JS engine (sdks/js/engine/dist/owncast-js-engine.wasm) with
#      tools/build-js-engine.sh when it is missing or older than its sources;
#   2. the SDK's npm packages (sdks/js: npm install from the lockfile, only when
#      node_modules is missing or older than package-lock.json);
#   3. per example: npm install (links the SDK through its file: dependency;
#      no registry access) when its node_modules lacks the SDK, then
#      `npm run build` (owncast-plugin build).
#
# Idempotent: a second run installs nothing and rebuilds the same files.
# Environment: OWNCAST_JS_ENGINE=<wasm> uses that engine instead of step 1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SDK="$ROOT/sdks/js"
EXAMPLES="$ROOT/examples/js"
ENGINE_WASM="$SDK/engine/dist/owncast-js-engine.wasm"

die() { echo "build-js-examples: error: $*" >&2; exit 1; }
say() { echo "build-js-examples: $*" >&2; }

command -v node >/dev/null || die "node is not installed (Node.js 18 or newer is needed)"
command -v npm >/dev/null || die "npm is not installed"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
  die "Node.js $(node --version) is too old: 18 or newer is needed"

# 1. The engine.
if [ -n "${OWNCAST_JS_ENGINE:-}" ]; then
  [ -f "$OWNCAST_JS_ENGINE" ] || die "OWNCAST_JS_ENGINE=$OWNCAST_JS_ENGINE does not exist"
  say "engine: $OWNCAST_JS_ENGINE (OWNCAST_JS_ENGINE)"
else
  stale=""
  if [ ! -f "$ENGINE_WASM" ]; then
    stale="not built yet"
  elif [ -n "$(find "$SDK/engine/src" "$SDK/engine/patches" "$SDK/engine/Cargo.toml" "$SDK/engine/Cargo.lock" -newer "$ENGINE_WASM" -print -quit 2>/dev/null)" ]; then
    stale="sources changed"
  fi
  if [ -n "$stale" ]; then
    say "engine: building ($stale)"
    "$ROOT/tools/build-js-engine.sh" >&2 || die "tools/build-js-engine.sh failed"
  else
    say "engine: up to date ($ENGINE_WASM)"
  fi
fi

# 2. The SDK's packages (esbuild, wizer).
cd "$SDK"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` (which follows the lockfile) rather than `npm ci`: wizer
  # lists per-platform packages, some of which are not published for its
  # version, so a lockfile can never be complete and `npm ci` refuses it.
  say "sdks/js: npm install"
  nice npm install --no-audit --no-fund --loglevel=error >&2 || die "npm install in sdks/js failed"
else
  say "sdks/js: packages up to date"
fi

# 3. The examples.
if [ $# -gt 0 ]; then
  dirs=()
  for name in "$@"; do
    d="$EXAMPLES/${name%/}"
    [ -f "$d/plugin.manifest.json" ] || die "$d is not an example plugin directory"
    dirs+=("$d")
  done
else
  dirs=()
  for d in "$EXAMPLES"/*/; do
    [ -f "$d/plugin.manifest.json" ] && [ -f "$d/package.json" ] && dirs+=("${d%/}")
  done
fi
[ ${#dirs[@]} -gt 0 ] || die "no examples found in $EXAMPLES"

built=0
for d in "${dirs[@]}"; do
  name="$(basename "$d")"
  cd "$d"
  if [ ! -e node_modules/@owncast/plugin-sdk ] || [ ! -e node_modules/.bin/owncast-plugin ]; then
    if [ -f package-lock.json ]; then
      nice npm ci --no-audit --no-fund --loglevel=error >&2 || die "$name: npm ci failed"
    else
      nice npm install --no-audit --no-fund --loglevel=error >&2 || die "$name: npm install failed"
    fi
  fi
  out="$(nice npm run --silent build 2>&1)" || { echo "$out" >&2; die "$name: build failed"; }
  echo "$out" | sed "s|^|build-js-examples: $name: |" >&2
  built=$((built + 1))
done
say "built $built example(s)"
