#!/usr/bin/env bash
# What a developer runs before pushing: exactly what CI runs (tests, then formatting, lints and
# the build without the `gui` feature).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/run
