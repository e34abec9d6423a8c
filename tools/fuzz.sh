#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets, what each runs is in
# fuzz/harness/src/lib.rs) for SECONDS each (default 60), FUZZ_JOBS of them at
# once (default 1: one after the other on one core), with libFuzzer
# (cargo-fuzz on the nightly toolchain).
#
#     tools/fuzz.sh [SECONDS] [TARGET...]
#
# Each target starts from its committed seeds (fuzz/seeds/<target>) and its
# regression inputs (fuzz/regressions/<target>) and keeps what it finds in
# fuzz/corpus/<target> (not committed). A crash, hang or out-of-memory input
# lands in fuzz/artifacts/<target>/; the script then names it and exits 1.
# To keep one as a regression: fix the bug, copy the input to
# fuzz/regressions/<target>/<what-it-was>, and `cargo test -p owncast-plugin-fuzz`
# replays it (CI does, on stable, without libFuzzer).
#
# Installs cargo-fuzz when missing (`cargo install cargo-fuzz`). Builds
# without a sanitizer (the code under test is safe Rust; panics, overflow
# checks, debug assertions, timeouts and the RSS limit are the oracles);
# FUZZ_SANITIZER=address builds with AddressSanitizer instead.
# Environment: FUZZ_JOBS (targets at once, default 1), FUZZ_TIMEOUT (seconds
# per input before it counts as a hang, default 30), FUZZ_RSS_MB (default
# 2048), CARGO_BUILD_JOBS.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/fuzz"
SECONDS_EACH="${1:-60}"
shift || true
[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || { echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
SANITIZER="${FUZZ_SANITIZER:-none}"
TIMEOUT="${FUZZ_TIMEOUT:-30}"
RSS_MB="${FUZZ_RSS_MB:-2048}"
JOBS="${FUZZ_JOBS:-1}"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "FUZZ_JOBS must be a positive number" >&2; exit 2; }

say() { echo "fuzz: $*" >&2; }

rustup toolchain list | grep -q '^nightly' || { say "installing the nightly toolchain"; rustup toolchain install nightly --profile minimal; }
cargo +nightly fuzz --version >/dev/null 2>&1 || { say "installing cargo-fuzz"; cargo install cargo-fuzz; }
# The HTTP and admin targets serve the kernel-tour fixture.
[ -f "$ROOT/compat-extism/fixtures/kernel-tour/kernel-tour.wasm" ] || "$ROOT/tools/build-extism-fixtures.sh"

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
say "building ${targets[*]} (sanitizer: $SANITIZER)"
cargo +nightly fuzz build -s "$SANITIZER" --debug-assertions

# One target: its run, then one summary line in artifacts/<target>.summary
# (FAILED ... when libFuzzer found something).
run_target() {
  local t="$1" log rc runs cov corpus
  mkdir -p "corpus/$t" "artifacts/$t" "regressions/$t"
  log="artifacts/$t.log"
  say "$t: ${SECONDS_EACH} s"
  set +e
  cargo +nightly fuzz run -s "$SANITIZER" --debug-assertions "$t" "corpus/$t" "seeds/$t" "regressions/$t" -- \
    -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n1)"
  corpus="$(find "corpus/$t" -type f | wc -l)"
  if [ "$rc" -ne 0 ]; then
    echo "FAILED $t: after ${runs:-?} executions; see fuzz/$log and fuzz/artifacts/$t/" >"artifacts/$t.summary"
    grep -E '^(==[0-9]+==|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -n 8 >&2 || true
  else
    echo "$t: ${runs:-?} executions in ${SECONDS_EACH} s, ${cov:-cov: ?}, corpus $corpus inputs, no failure" >"artifacts/$t.summary"
  fi
}

running=0
for t in "${targets[@]}"; do
  rm -f "artifacts/$t.summary"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=()
for t in "${targets[@]}"; do
  line="$(cat "artifacts/$t.summary" 2>/dev/null || echo "FAILED $t: no summary (the run did not finish)")"
  echo "fuzz: ${line#FAILED }"
  case "$line" in FAILED*) failed+=("$t") ;; esac
done
[ ${#failed[@]} -eq 0 ] || { say "failing targets: ${failed[*]}"; exit 1; }
