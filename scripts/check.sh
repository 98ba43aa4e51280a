#!/usr/bin/env bash
# What a developer runs before pushing: formatting, lints, then what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/convex-nn-explorer/target}"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
bash .ci/run
