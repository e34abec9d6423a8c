#!/usr/bin/env bash
# How long `owncast-plugin run` takes to be ready to serve (its port
# answers) with every built JS example plugin enabled: cold (empty code
# cache, first start: every plugin approved and compiled) and warm (the same
# data and code cache, a restart). Release build; prints one line per run.
#
#     tools/startup-bench.sh [RUNS]        # default 3 warm runs
#
# Needs the examples built (tools/build-js-examples.sh) and a release CLI
# (`cargo build --release -p owncast-plugin-cli`, built when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-3}"
BIN="$ROOT/target/release/owncast-plugin"
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -p owncast-plugin-cli)
WORK="$(mktemp -d)"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PID=
mkdir -p "$WORK/plugins"
n=0
for d in "$ROOT"/examples/js/*/; do
  [ -f "$d/plugin.manifest.json" ] || continue
  compgen -G "$d*.wasm" >/dev/null || continue
  ln -s "$d" "$WORK/plugins/$(basename "$d")"
  n=$((n + 1))
done
PORT=$((20000 + RANDOM % 20000))

# Starts the host, waits until its port answers, prints the time, stops it.
start() {
  local label="$1"; shift
  local t0 t1
  t0=$(date +%s%N)
  OWNCAST_PLUGIN_CACHE="$WORK/cache" "$BIN" run --plugins "$WORK/plugins" --data "$WORK/data" \
    --listen "127.0.0.1:$PORT" --admin-password bench --rescan 0 "$@" >"$WORK/$label.log" 2>&1 &
  PID=$!
  until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/$label.log" >&2; echo "startup-bench: the host exited" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  local enabled
  enabled=$(grep -cE '^  [^ ]+ +[^ ]+ +[^ ]*enabled' "$WORK/$label.log" || true)
  kill "$PID"; wait "$PID" 2>/dev/null || true
  printf 'startup-bench: %-6s %d plugins (%d enabled): ready in %d ms (load %s)\n' \
    "$label" "$n" "$enabled" $(((t1 - t0) / 1000000)) "$(cut -d' ' -f1 /proc/loadavg)"
}

start cold --enable-all
for i in $(seq 1 "$RUNS"); do start "warm$i"; done
