#!/usr/bin/env bash
# Browser tests: the dev server page (`owncast-plugin serve`), plugin page
# sandboxing and the admin Plugins page (`owncast-plugin run`): Debian's
# chromium driven by playwright-core. Installs what is missing (chromium via
# apt when running as root, playwright-core via npm ci), builds the CLI, the
# echo-bot example and the JS engine if needed, then runs dev-server.test.mjs,
# plugin-sandbox.test.mjs and admin-page.test.mjs. The admin test saves
# screenshots in screenshots/ (gitignored).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
  else
    echo "browser test: $CHROMIUM is missing (apt-get install chromium)" >&2
    exit 1
  fi
fi

(cd "$HERE" && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund >/dev/null; })

BIN="${OWNCAST_PLUGIN_BIN:-$ROOT/target/debug/owncast-plugin}"
if [ -z "${OWNCAST_PLUGIN_BIN:-}" ]; then
  (cd "$ROOT" && cargo build -q -p owncast-plugin-cli)
fi
[ -f "$ROOT/examples/rust/echo-bot/echo-bot.wasm" ] || "$ROOT/tools/build-rust-guests.sh"
[ -f "$ROOT/sdks/js/engine/dist/owncast-js-engine.wasm" ] || "$ROOT/tools/build-js-engine.sh"

cd "$HERE"
OWNCAST_PLUGIN_BIN="$BIN" CHROMIUM="$CHROMIUM" exec node --test --test-concurrency=1 --test-reporter=spec dev-server.test.mjs plugin-sandbox.test.mjs admin-page.test.mjs
