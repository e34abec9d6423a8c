#!/usr/bin/env bash
# Tests the Go embedding: builds the C ABI library (embed/capi, the shared
# dev profile), checks that its committed header is current, then runs the
# Go package's tests with the race detector and builds examples/go-embed.
# Needs the built example plugins (tools/build-rust-guests.sh,
# tools/build-js-examples.sh); tests fail, not skip, without them.
#
#     tools/test-go.sh              # what tools/test-all.sh runs
#     tools/test-go.sh -bench .     # extra arguments go to `go test`
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
tools/go-env.sh >/dev/null
export GOPROXY=off GOFLAGS=-mod=mod
cargo build --quiet -p owncast-plugin-capi
cargo test --quiet -p owncast-plugin-capi
(cd embed/go && go vet ./... && go test -race -count=1 "$@" ./...)
(cd examples/go-embed && go vet ./... && go build -o /dev/null .)
