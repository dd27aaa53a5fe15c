#!/usr/bin/env bash
# The test command: sets up what the tests need (scripts/setup-test-env.sh), then runs
# the whole suite against the real engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh
if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
cargo nextest run --no-fail-fast "$@"
